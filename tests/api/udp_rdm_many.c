/* udp FI_EP_RDM with many peers (public API only): 64 endpoints in one
 * process, all in one AV, each sends 20 tagged messages (up to 40 KiB, so
 * several packets each) to endpoint 0 while endpoint 0 also sends one
 * message back to each of them. Endpoint 0 checks with FI_SOURCE that
 * every sender's messages arrive exactly once, in order, intact; every
 * send completes. Single-threaded: the loop drives every endpoint's
 * progress by reading its CQs. */
#include <rdma/fi_tagged.h>

#include "udp_test.h"

#define NEP 64
#define NMSG 20
#define MAXLEN 40000

struct node {
	struct fid_ep *ep;
	struct fid_cq *tx, *rx;
	fi_addr_t addr;
	int sent, done, got;
	uint8_t buf[MAXLEN];
	uint8_t rbuf[MAXLEN];
};

static struct node nodes[NEP];
static uint8_t rbuf0[MAXLEN];
static int next_idx[NEP];

static size_t msg_len(int src, int idx)
{
	return ((size_t)src * 7919u + (size_t)idx * 104729u) % MAXLEN;
}

static uint8_t msg_byte(int src, int idx, size_t i)
{
	return (uint8_t)(src * 31 + idx * 17 + (int)(i % 251));
}

static struct fi_info *rdm_getinfo(void)
{
	struct fi_info *hints = fi_allocinfo(), *info = NULL;

	CHECK(hints);
	hints->ep_attr->type = FI_EP_RDM;
	hints->caps = FI_MSG | FI_TAGGED | FI_SOURCE;
	hints->addr_format = FI_SOCKADDR_IN;
	hints->fabric_attr->prov_name = strdup("udp");
	CHECK_OK(fi_getinfo(FI_VERSION(1, 17), "127.0.0.1", NULL, FI_SOURCE,
			    hints, &info));
	fi_freeinfo(hints);
	return info;
}

int main(void)
{
	struct fi_cq_attr cq_attr = {.format = FI_CQ_FORMAT_TAGGED, .size = 256};
	struct fi_cq_tagged_entry c;
	struct udp_t t;
	long end;
	int i, received = 0, total = (NEP - 1) * NMSG, replies = 0;
	bool posted = false;

	weft_test_require_weft_loaded();
	udp_t_open(&t, rdm_getinfo());
	for (i = 0; i < NEP; i++) {
		struct node *n = &nodes[i];
		char name[64];
		size_t len = sizeof(name);

		CHECK_OK(fi_endpoint(t.domain, t.info, &n->ep, NULL));
		CHECK_OK(fi_cq_open(t.domain, &cq_attr, &n->tx, NULL));
		CHECK_OK(fi_cq_open(t.domain, &cq_attr, &n->rx, NULL));
		CHECK_OK(fi_ep_bind(n->ep, &t.av->fid, 0));
		CHECK_OK(fi_ep_bind(n->ep, &n->tx->fid, FI_TRANSMIT));
		CHECK_OK(fi_ep_bind(n->ep, &n->rx->fid, FI_RECV));
		CHECK_OK(fi_enable(n->ep));
		CHECK_OK(fi_getname(&n->ep->fid, name, &len));
		CHECK_RET(fi_av_insert(t.av, name, 1, &n->addr, 0, NULL), 1);
	}
	/* Replies: endpoint 0 sends one message to each; each posts one
	 * receive for it. */
	for (i = 1; i < NEP; i++) {
		CHECK_OK(fi_trecv(nodes[i].ep, nodes[i].rbuf, MAXLEN, NULL,
				  FI_ADDR_UNSPEC, 99, 0, NULL));
	}
	end = udp_t_now_ms() + 60000;
	while (received < total || replies < NEP - 1 ||
	       nodes[0].done < NEP - 1) {
		CHECK(udp_t_now_ms() < end);
		if (!posted) {
			CHECK_OK(fi_trecv(nodes[0].ep, rbuf0, MAXLEN, NULL,
					  FI_ADDR_UNSPEC, 0, ~0ull, NULL));
			posted = true;
		}
		for (i = 0; i < NEP; i++) {
			struct node *n = &nodes[i];

			/* Senders: one message in flight each. */
			if (i && n->sent == n->done && n->sent < NMSG) {
				size_t len = msg_len(i, n->sent);

				for (size_t k = 0; k < len; k++)
					n->buf[k] = msg_byte(i, n->sent, k);
				CHECK_OK(fi_tsend(n->ep, n->buf, len, NULL,
						  nodes[0].addr,
						  (uint64_t)n->sent, NULL));
				n->sent++;
			}
			if (!i && n->sent < NEP - 1 && n->sent == n->done) {
				memset(n->buf, 0x42, 1000);
				CHECK_OK(fi_tsend(n->ep, n->buf, 1000, NULL,
						  nodes[n->sent + 1].addr, 99,
						  NULL));
				n->sent++;
			}
			if (fi_cq_read(n->tx, &c, 1) == 1)
				n->done++;
			if (i && fi_cq_read(n->rx, &c, 1) == 1) {
				CHECK(c.len == 1000 && c.tag == 99);
				CHECK(n->rbuf[0] == 0x42 && n->rbuf[999] == 0x42);
				replies++;
			}
		}
		{
			fi_addr_t src;
			ssize_t r = fi_cq_readfrom(nodes[0].rx, &c, 1, &src);
			int s, idx;

			if (r == 1) {
				CHECK(src >= 1 && src < NEP);
				s = (int)src;
				idx = (int)c.tag;
				CHECK(idx == next_idx[s]); /* in order per sender */
				CHECK(c.len == msg_len(s, idx));
				for (size_t k = 0; k < c.len; k++)
					CHECK(rbuf0[k] == msg_byte(s, idx, k));
				next_idx[s]++;
				received++;
				posted = false;
			} else {
				CHECK_RET(r, -FI_EAGAIN);
			}
		}
	}
	for (i = 1; i < NEP; i++)
		CHECK(next_idx[i] == NMSG && nodes[i].done == NMSG);
	for (i = 0; i < NEP; i++) {
		CHECK_OK(fi_close(&nodes[i].ep->fid));
		CHECK_OK(fi_close(&nodes[i].tx->fid));
		CHECK_OK(fi_close(&nodes[i].rx->fid));
	}
	udp_t_close(&t);
	return 0;
}
