/* Bad input on counters, through the public API on the udp provider:
 * fi_cntr_open attributes, fi_cntr_wait without a wait object, timeouts,
 * errors ending a wait, fi_control. Every case must answer a negative FI_E*
 * code without crashing; checks are soft so one run lists every
 * deviation. */
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include "udp_test.h"
#include "bad_input.h"

static void *raise_error(void *arg)
{
	struct timespec ts = {.tv_nsec = 50 * 1000 * 1000};

	nanosleep(&ts, NULL);
	CHECK_OK(fi_cntr_adderr(arg, 1));
	return NULL;
}

static void check_cntr(struct udp_t *t)
{
	struct fi_cntr_attr attr = {.events = FI_CNTR_EVENTS_COMP};
	struct fid_cntr *cntr = NULL, *wcntr;
	int fd;

	EXPECT_RET_FORKED(fi_cntr_open(t->domain, &attr, NULL, NULL),
			  -FI_EINVAL);
	attr.events = (enum fi_cntr_events)99;
	EXPECT_RET(fi_cntr_open(t->domain, &attr, &cntr, NULL), -FI_EINVAL);
	attr.events = FI_CNTR_EVENTS_COMP;
	attr.flags = 1ULL << 40;
	EXPECT_RET(fi_cntr_open(t->domain, &attr, &cntr, NULL), -FI_EINVAL);
	attr.flags = 0;
	attr.wait_obj = (enum fi_wait_obj)99;
	EXPECT_NEG(fi_cntr_open(t->domain, &attr, &cntr, NULL));
	attr.wait_obj = FI_WAIT_SET; /* no wait set given */
	EXPECT_NEG(fi_cntr_open(t->domain, &attr, &cntr, NULL));
	CHECK(cntr == NULL);

	/* Without a wait object, fi_cntr_wait is invalid (fi_cntr(3)): an
	 * error, not a sleep. */
	attr.wait_obj = FI_WAIT_NONE;
	CHECK_OK(fi_cntr_open(t->domain, &attr, &cntr, NULL));
	EXPECT_NEG(fi_cntr_wait(cntr, 1, 100));
	EXPECT_NEG(fi_control(&cntr->fid, FI_GETWAIT, &fd));
	EXPECT_RET(fi_control(&cntr->fid, 12345, NULL), -FI_ENOSYS);
	CHECK_OK(fi_close(&cntr->fid));

	/* With one: a threshold never reached times out. */
	attr.wait_obj = FI_WAIT_UNSPEC;
	CHECK_OK(fi_cntr_open(t->domain, &attr, &wcntr, NULL));
	EXPECT_RET(fi_cntr_wait(wcntr, 1, 50), -FI_ETIMEDOUT);
	EXPECT_RET_FORKED(fi_control(&wcntr->fid, FI_GETWAIT, NULL),
			  -FI_EINVAL);
	/* An error raised while a thread waits ends the wait at once. */
	{
		pthread_t thr;
		int r;

		CHECK(pthread_create(&thr, NULL, raise_error, wcntr) == 0);
		r = fi_cntr_wait(wcntr, 5, 5000);
		CHECK(pthread_join(thr, NULL) == 0);
		if (r != -FI_EAVAIL) {
			fprintf(stderr, "fi_cntr_wait with errors: %d (%s), "
				"expected -FI_EAVAIL\n", r, fi_strerror(-r));
			failures++;
		}
	}
	CHECK_OK(fi_close(&wcntr->fid));
}

int main(void)
{
	struct udp_t t;

	weft_test_require_weft_loaded();
	udp_t_open(&t, udp_t_getinfo(0, FI_MSG));
	check_cntr(&t);
	udp_t_close(&t);
	if (failures)
		fprintf(stderr, "%d bad-input expectation(s) not met\n",
			failures);
	return failures ? 1 : 0;
}
