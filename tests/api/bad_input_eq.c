/* Bad input on event queues, through the public API on the udp provider:
 * fi_eq_write without FI_WRITE or with bad arguments, reads into NULL or
 * too small a buffer, unknown flags, blocking reads without a wait object,
 * timeouts, a full queue. Every case must answer a negative FI_E* code
 * without crashing; checks are soft so one run lists every deviation. */
#include <sys/wait.h>
#include <unistd.h>

#include "udp_test.h"
#include "bad_input.h"

static void check_eq(struct udp_t *t)
{
	struct fi_eq_attr attr = {.size = 4, .wait_obj = FI_WAIT_NONE};
	struct fid_eq *eq, *weq;
	struct fi_eq_entry entry = {.context = &entry};
	struct fi_eq_err_entry err;
	char small[2];
	uint32_t event;
	int fd;

	/* Not opened with FI_WRITE: the application cannot write. */
	CHECK_OK(fi_eq_open(t->fabric, &attr, &eq, NULL));
	EXPECT_RET(fi_eq_write(eq, FI_NOTIFY, &entry, sizeof(entry), 0),
		   -FI_EINVAL);
	EXPECT_RET(fi_eq_read(eq, &event, &entry, sizeof(entry), 0),
		   -FI_EAGAIN);
	EXPECT_RET(fi_eq_readerr(eq, &err, 0), -FI_EAGAIN);
	/* Blocking reads on an EQ without a wait object must not block. */
	EXPECT_NEG(fi_eq_sread(eq, &event, &entry, sizeof(entry), 100, 0));
	EXPECT_NEG(fi_control(&eq->fid, FI_GETWAIT, &fd));
	EXPECT_RET(fi_control(&eq->fid, 12345, NULL), -FI_ENOSYS);
	CHECK_OK(fi_close(&eq->fid));

	attr.flags = FI_WRITE;
	attr.wait_obj = FI_WAIT_FD;
	CHECK_OK(fi_eq_open(t->fabric, &attr, &weq, NULL));
	EXPECT_RET(fi_eq_sread(weq, &event, &entry, sizeof(entry), 50, 0),
		   -FI_EAGAIN);
	EXPECT_RET_FORKED(fi_eq_write(weq, FI_NOTIFY, NULL, sizeof(entry), 0),
			  -FI_EINVAL);
	EXPECT_RET(fi_eq_write(weq, FI_NOTIFY, &entry, sizeof(entry),
			       1ULL << 40),
		   -FI_EINVAL);
	/* A length whose event allocation would wrap around. */
	EXPECT_RET_FORKED(fi_eq_write(weq, FI_NOTIFY, &entry, SIZE_MAX, 0),
			  -FI_EINVAL);
	CHECK(fi_eq_write(weq, FI_NOTIFY, &entry, sizeof(entry), 0) ==
	      (ssize_t)sizeof(entry));
	/* Reading into too small a buffer, into NULL, with unknown flags:
	 * an error, and the event stays queued. */
	EXPECT_RET(fi_eq_read(weq, &event, small, sizeof(small), 0),
		   -FI_ETOOSMALL);
	EXPECT_RET_FORKED(fi_eq_read(weq, &event, NULL, sizeof(entry), 0),
			  -FI_EINVAL);
	EXPECT_RET_FORKED(fi_eq_read(weq, NULL, &entry, sizeof(entry), 0),
			  -FI_EINVAL);
	EXPECT_RET(fi_eq_read(weq, &event, &entry, sizeof(entry), 1ULL << 40),
		   -FI_EINVAL);
	EXPECT_RET_FORKED(fi_eq_readerr(weq, NULL, 0), -FI_EINVAL);
	memset(&entry, 0, sizeof(entry));
	CHECK(fi_eq_read(weq, &event, &entry, sizeof(entry), 0) ==
	      (ssize_t)sizeof(entry));
	CHECK(event == FI_NOTIFY && entry.context == &entry);
	EXPECT_RET_FORKED(fi_control(&weq->fid, FI_GETWAIT, NULL), -FI_EINVAL);
	/* Overflowing the application's share of the queue. */
	for (int i = 0; i < 4; i++)
		CHECK(fi_eq_write(weq, FI_NOTIFY, &entry, sizeof(entry), 0) ==
		      (ssize_t)sizeof(entry));
	EXPECT_RET(fi_eq_write(weq, FI_NOTIFY, &entry, sizeof(entry), 0),
		   -FI_EAGAIN);
	EXPECT_NOCRASH_FORKED(fi_eq_strerror(weq, 12345, NULL, NULL, 0));
	CHECK_OK(fi_close(&weq->fid));
}

int main(void)
{
	struct udp_t t;

	weft_test_require_weft_loaded();
	udp_t_open(&t, udp_t_getinfo(0, FI_MSG));
	check_eq(&t);
	udp_t_close(&t);
	if (failures)
		fprintf(stderr, "%d bad-input expectation(s) not met\n",
			failures);
	return failures ? 1 : 0;
}
