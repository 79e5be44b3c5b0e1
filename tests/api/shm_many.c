/* shm: many peers. 4 processes open 16 endpoints each (64 peers); every
 * endpoint sends tagged messages (inline and rendezvous) to one receiver,
 * which checks data, tags and FI_SOURCE and answers each endpoint. The
 * rings are small (FI_SHM_RING_SIZE=16), so senders meet full rings and
 * must retry after -FI_EAGAIN without losing anything. */
#include <stdlib.h>

#include "shm_test.h"

#define NPROC 4
#define NEPS 16
#define NMSG 4
#define BIG 3000

static void sender(const struct shm_t_pipe *p, int rank)
{
	static struct shm_t t[NEPS];
	static char bufs[NEPS][NMSG][BIG];
	char rxbuf[BIG], rname[SHM_T_NAME];
	fi_addr_t to[NEPS];
	struct fi_cq_tagged_entry c;
	int ctx;

	for (int e = 0; e < NEPS; e++) {
		shm_t_open(&t[e], FI_TAGGED | FI_SOURCE);
		shm_t_send_bytes(p, t[e].name, SHM_T_NAME);
	}
	shm_t_recv_bytes(p, rname, SHM_T_NAME);
	for (int e = 0; e < NEPS; e++)
		to[e] = shm_t_insert(&t[e], rname);
	shm_t_sync(p);
	for (int m = 0; m < NMSG; m++) {
		for (int e = 0; e < NEPS; e++) {
			unsigned id = (unsigned)((rank * NEPS + e) * NMSG + m);
			size_t len = (m & 1) ? BIG : 40;

			shm_t_fill(bufs[e][m], len, id);
			SHM_T_POST(t[e].tx,
				   fi_tsend(t[e].ep, bufs[e][m], len, NULL,
					    to[e], id, &ctx));
		}
	}
	for (int e = 0; e < NEPS; e++) {
		unsigned id = (unsigned)(rank * NEPS + e);

		for (int m = 0; m < NMSG; m++)
			shm_t_expect(t[e].tx, &c, NULL);
		SHM_T_POST(t[e].rx, fi_trecv(t[e].ep, rxbuf, BIG, NULL,
					     FI_ADDR_UNSPEC, 0, ~0ull, &ctx));
		shm_t_expect(t[e].rx, &c, NULL);
		CHECK(c.tag == 0x1000 + id && shm_t_check(rxbuf, 64, id));
	}
	shm_t_sync(p);
	for (int e = 0; e < NEPS; e++)
		shm_t_close(&t[e]);
}

static void receiver(struct shm_t_pipe p[NPROC][2])
{
	static char rx[NPROC * NEPS * NMSG][BIG];
	struct shm_t t;
	fi_addr_t addr[NPROC * NEPS];
	bool seen[NPROC * NEPS * NMSG] = { false };
	struct fi_cq_tagged_entry c;
	char name[SHM_T_NAME], tx[64];
	int ctx;

	shm_t_open_ex(&t, FI_TAGGED | FI_SOURCE,
		      &(struct shm_t_opts){ .cq_size = 1024 });
	for (int r = 0; r < NPROC; r++) {
		for (int e = 0; e < NEPS; e++) {
			shm_t_recv_bytes(&p[r][0], name, SHM_T_NAME);
			addr[r * NEPS + e] = shm_t_insert(&t, name);
		}
		shm_t_send_bytes(&p[r][0], t.name, SHM_T_NAME);
	}
	/* One receive per message, each for its own tag. */
	for (unsigned id = 0; id < NPROC * NEPS * NMSG; id++)
		SHM_T_POST(t.rx, fi_trecv(t.ep, rx[id], BIG, NULL,
					  FI_ADDR_UNSPEC, id, 0, rx[id]));
	for (int r = 0; r < NPROC; r++)
		shm_t_sync(&p[r][0]);
	for (unsigned n = 0; n < NPROC * NEPS * NMSG; n++) {
		fi_addr_t src;
		unsigned id;

		shm_t_expect(t.rx, &c, &src);
		id = (unsigned)c.tag;
		CHECK(id < NPROC * NEPS * NMSG && !seen[id]);
		seen[id] = true;
		CHECK(c.op_context == rx[id]);
		CHECK(c.len == ((id % NMSG) & 1 ? BIG : 40));
		CHECK(shm_t_check(rx[id], c.len, id));
		CHECK(src == addr[id / NMSG]);
	}
	/* Answer every endpoint: the receiver maps 64 peers. */
	for (unsigned e = 0; e < NPROC * NEPS; e++) {
		shm_t_fill(tx, 64, e);
		SHM_T_POST(t.tx, fi_tsend(t.ep, tx, 64, NULL, addr[e],
					  0x1000 + e, &ctx));
		shm_t_expect(t.tx, &c, NULL);
	}
	for (int r = 0; r < NPROC; r++)
		shm_t_sync(&p[r][0]);
	shm_t_close(&t);
}

int main(void)
{
	struct shm_t_pipe p[NPROC][2];
	pid_t kids[NPROC];

	weft_test_require_weft_loaded();
	alarm(100);
	setenv("FI_SHM_RING_SIZE", "16", 1);
	for (int r = 0; r < NPROC; r++) {
		shm_t_pipes(p[r]);
		kids[r] = shm_t_fork();
		CHECK(kids[r] >= 0);
		if (kids[r] == 0) {
			alarm(60);
			sender(&p[r][1], r);
			exit(0);
		}
	}
	receiver(p);
	for (int r = 0; r < NPROC; r++)
		CHECK(shm_t_reap(kids[r], 20000) == 0);
	return 0;
}
