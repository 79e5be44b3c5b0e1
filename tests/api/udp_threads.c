/* udp at FI_THREAD_SAFE: four threads send through one endpoint (and read
 * its send CQ) while two threads take completions from the receiver's CQ
 * and repost the buffers. A credit counter keeps at most as many messages
 * in flight as receives are posted, so loopback loses nothing; every
 * (sender, sequence) must arrive exactly once with intact payload. */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "udp_test.h"

#define SENDERS 4
#define RECEIVERS 2
#define PER_SENDER 300
#define SLOTS 64
#define MSG 96

struct slot {
	char buf[MSG];
};

static struct udp_t t;
static struct udp_t_ep a, b;
static struct slot slots[SLOTS];
static atomic_int credits = SLOTS;
static atomic_int received, tx_done;
static atomic_uchar seen[SENDERS][PER_SENDER];

static void *sender(void *arg)
{
	int id = (int)(long)arg;
	struct fi_cq_data_entry comp;
	char buf[MSG];
	long end = udp_t_now_ms() + 20000;

	for (int seq = 0; seq < PER_SENDER; seq++) {
		ssize_t ret;

		/* Take a credit: a posted receive is waiting for this. */
		for (;;) {
			int c = atomic_load(&credits);

			if (c > 0 && atomic_compare_exchange_weak(&credits, &c,
								  c - 1))
				break;
			CHECK(udp_t_now_ms() < end);
			if (fi_cq_read(a.tx, &comp, 1) == 1)
				atomic_fetch_add(&tx_done, 1);
		}
		udp_t_fill(buf, MSG, (unsigned)(id * 1000 + seq));
		buf[0] = (char)id;
		buf[1] = (char)(seq & 0xff);
		buf[2] = (char)(seq >> 8);
		do {
			ret = fi_senddata(a.ep, buf, MSG, NULL,
					  ((uint64_t)id << 32) | (uint64_t)seq,
					  b.addr, NULL);
			if (ret == -FI_EAGAIN && fi_cq_read(a.tx, &comp, 1) == 1)
				atomic_fetch_add(&tx_done, 1);
		} while (ret == -FI_EAGAIN && udp_t_now_ms() < end);
		CHECK_OK(ret);
		if (fi_cq_read(a.tx, &comp, 1) == 1)
			atomic_fetch_add(&tx_done, 1);
	}
	while (atomic_load(&tx_done) < SENDERS * PER_SENDER &&
	       udp_t_now_ms() < end)
		if (fi_cq_read(a.tx, &comp, 1) == 1)
			atomic_fetch_add(&tx_done, 1);
	return NULL;
}

static void *receiver(void *arg)
{
	struct fi_cq_data_entry comp;
	long end = udp_t_now_ms() + 20000;

	while (atomic_load(&received) < SENDERS * PER_SENDER) {
		ssize_t ret = fi_cq_read(b.rx, &comp, 1);
		struct slot *s;
		int id, seq;
		unsigned char want = 0;

		CHECK(udp_t_now_ms() < end);
		if (ret == -FI_EAGAIN)
			continue;
		CHECK_RET(ret, 1);
		s = comp.op_context;
		CHECK(s >= slots && s < slots + SLOTS);
		CHECK(comp.len == MSG && (comp.flags & FI_REMOTE_CQ_DATA));
		id = (int)(comp.data >> 32);
		seq = (int)(comp.data & 0xffffffff);
		CHECK(id >= 0 && id < SENDERS && seq >= 0 && seq < PER_SENDER);
		CHECK(s->buf[0] == (char)id && s->buf[1] == (char)(seq & 0xff));
		{
			char ref[MSG];

			udp_t_fill(ref, MSG, (unsigned)(id * 1000 + seq));
			CHECK(!memcmp(ref + 3, s->buf + 3, MSG - 3));
		}
		CHECK(atomic_compare_exchange_strong(&seen[id][seq], &want, 1));
		atomic_fetch_add(&received, 1);
		CHECK_OK(fi_recv(b.ep, s->buf, MSG, NULL, FI_ADDR_UNSPEC, s));
		atomic_fetch_add(&credits, 1);
	}
	return NULL;
}

int main(void)
{
	pthread_t snd[SENDERS], rcv[RECEIVERS];

	weft_test_require_weft_loaded();
	udp_t_open(&t, udp_t_getinfo(0, FI_MSG));
	CHECK(t.info->domain_attr->threading == FI_THREAD_SAFE);
	udp_t_ep_open(&t, &a);
	udp_t_ep_open(&t, &b);
	for (int i = 0; i < SLOTS; i++)
		CHECK_OK(fi_recv(b.ep, slots[i].buf, MSG, NULL, FI_ADDR_UNSPEC,
				 &slots[i]));

	for (long i = 0; i < RECEIVERS; i++)
		CHECK(pthread_create(&rcv[i], NULL, receiver, NULL) == 0);
	for (long i = 0; i < SENDERS; i++)
		CHECK(pthread_create(&snd[i], NULL, sender, (void *)i) == 0);
	for (int i = 0; i < SENDERS; i++)
		CHECK(pthread_join(snd[i], NULL) == 0);
	for (int i = 0; i < RECEIVERS; i++)
		CHECK(pthread_join(rcv[i], NULL) == 0);

	CHECK(atomic_load(&received) == SENDERS * PER_SENDER);
	CHECK(atomic_load(&tx_done) == SENDERS * PER_SENDER);
	for (int i = 0; i < SENDERS; i++)
		for (int j = 0; j < PER_SENDER; j++)
			CHECK(seen[i][j] == 1);

	udp_t_ep_close(&a);
	udp_t_ep_close(&b);
	udp_t_close(&t);
	return 0;
}
