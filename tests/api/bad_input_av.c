/* Bad input on address vectors, through the public API on the udp
 * provider: fi_av_open attributes, fi_av_bind, inserts of NULL or
 * wrong-family addresses (the slot comes back FI_ADDR_NOTAVAIL), bad
 * node/service strings, lookups and removals of entries that do not exist,
 * too-small output buffers (truncated, never overrun). Every case must
 * answer a negative FI_E* code (or the documented partial count) without
 * crashing; checks are soft so one run lists every deviation. */
#include <sys/wait.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "udp_test.h"
#include "bad_input.h"

static void check_av_open(struct udp_t *t)
{
	struct fi_av_attr attr = {.type = FI_AV_TABLE};
	struct fid_av *av = NULL;

	EXPECT_RET_FORKED(fi_av_open(t->domain, NULL, &av, NULL), -FI_EINVAL);
	EXPECT_RET_FORKED(fi_av_open(t->domain, &attr, NULL, NULL),
			  -FI_EINVAL);
	attr.type = (enum fi_av_type)99;
	EXPECT_RET(fi_av_open(t->domain, &attr, &av, NULL), -FI_EINVAL);
	attr.type = FI_AV_TABLE;
	attr.flags = 1ULL << 40;
	EXPECT_NEG(fi_av_open(t->domain, &attr, &av, NULL));
	attr.flags = 0;
	attr.rx_ctx_bits = 65; /* more bits than an fi_addr_t has */
	EXPECT_NEG(fi_av_open(t->domain, &attr, &av, NULL));
	attr.rx_ctx_bits = 0;
	CHECK(av == NULL);
}

static void check_av_bind(struct udp_t *t)
{
	struct fi_cq_attr cq_attr = {.format = FI_CQ_FORMAT_CONTEXT};
	struct fi_eq_attr eq_attr = {.size = 8};
	struct fid_cq *cq;
	struct fid_eq *eq2;
	struct fid_fabric *fab2;

	CHECK_OK(fi_cq_open(t->domain, &cq_attr, &cq, NULL));
	CHECK_OK(fi_fabric(t->info->fabric_attr, &fab2, NULL));
	CHECK_OK(fi_eq_open(fab2, &eq_attr, &eq2, NULL));
	EXPECT_RET_FORKED(fi_av_bind(t->av, NULL, 0), -FI_EINVAL);
	EXPECT_RET(fi_av_bind(t->av, &cq->fid, 0), -FI_EINVAL);
	EXPECT_RET(fi_av_bind(t->av, &eq2->fid, 0), -FI_EINVAL);
	CHECK_OK(fi_close(&eq2->fid));
	CHECK_OK(fi_close(&fab2->fid));
	CHECK_OK(fi_close(&cq->fid));
}

static void check_av_insert(struct udp_t *t, struct udp_t_ep *a)
{
	struct sockaddr_in6 v6 = {.sin6_family = AF_INET6};
	struct sockaddr_in bad = {.sin_family = AF_UNIX};
	struct sockaddr_in addrs[2];
	fi_addr_t fa[2] = {0, 0}, good;
	char buf[256], tiny[4];
	size_t len;

	/* NULL address array, unknown flags. */
	EXPECT_NEG_FORKED(fi_av_insert(t->av, NULL, 1, fa, 0, NULL));
	EXPECT_NEG(fi_av_insert(t->av, a->name, 1, fa, 1ULL << 40, NULL));
	/* Addresses of the wrong family: none inserted, slot marked. */
	fa[0] = 0;
	EXPECT_RET(fi_av_insert(t->av, &v6, 1, fa, 0, NULL), 0);
	CHECK(fa[0] == FI_ADDR_NOTAVAIL);
	fa[0] = 0;
	EXPECT_RET(fi_av_insert(t->av, &bad, 1, fa, 0, NULL), 0);
	CHECK(fa[0] == FI_ADDR_NOTAVAIL);
	/* A batch with one bad entry: the good one goes in. */
	memcpy(&addrs[0], a->name, sizeof(addrs[0]));
	memset(&addrs[1], 0, sizeof(addrs[1]));
	addrs[1].sin_family = AF_UNIX;
	EXPECT_RET(fi_av_insert(t->av, addrs, 2, fa, 0, NULL), 1);
	CHECK(fa[0] != FI_ADDR_NOTAVAIL && fa[1] == FI_ADDR_NOTAVAIL);
	good = fa[0];

	/* Service and node strings that mean nothing. */
	EXPECT_NEG_FORKED(fi_av_insertsvc(t->av, NULL, "9", fa, 0, NULL));
	{
		int r = fi_av_insertsvc(t->av, "no.such.host.invalid", "9",
					fa, 0, NULL);
		if (r != 0 && r >= 0) {
			fprintf(stderr, "insertsvc bad host: %d\n", r);
			failures++;
		}
	}
	EXPECT_NEG_FORKED(fi_av_insertsym(t->av, NULL, 1, "9", 1, fa, 0,
					  NULL));

	/* Lookups of entries that do not exist. */
	len = sizeof(buf);
	EXPECT_NEG(fi_av_lookup(t->av, (fi_addr_t)4242, buf, &len));
	len = sizeof(buf);
	EXPECT_NEG(fi_av_lookup(t->av, FI_ADDR_NOTAVAIL, buf, &len));
	EXPECT_NEG_FORKED(fi_av_lookup(t->av, good, buf, NULL));
	/* Too small a buffer: truncated, and the size needed comes back;
	 * nothing written past the buffer. */
	memset(buf, 0x5a, sizeof(buf));
	len = 2;
	{
		int r = fi_av_lookup(t->av, good, buf, &len);
		if (r != 0 && r != -FI_ETOOSMALL) {
			fprintf(stderr, "lookup small buffer: %d\n", r);
			failures++;
		}
	}
	CHECK(len == a->namelen);
	for (size_t i = 2; i < sizeof(buf); i++)
		CHECK((unsigned char)buf[i] == 0x5a);
	/* fi_av_straddr into a tiny buffer: truncated, NUL-terminated. */
	memset(tiny, 0x5a, sizeof(tiny));
	len = 3;
	CHECK(fi_av_straddr(t->av, a->name, tiny, &len) == tiny);
	CHECK(len > 3);
	CHECK(tiny[3] == 0x5a);
	EXPECT_NOCRASH_FORKED(fi_av_straddr(t->av, NULL, buf, &len));

	/* Removing what is not there, and twice. */
	EXPECT_NEG(fi_av_remove(t->av, (fi_addr_t[]){4242}, 1, 0));
	EXPECT_NEG_FORKED(fi_av_remove(t->av, NULL, 1, 0));
	CHECK_OK(fi_av_remove(t->av, &good, 1, 0));
	EXPECT_NEG(fi_av_remove(t->av, &good, 1, 0));
	/* A removed address is not a valid destination any more. */
	EXPECT_NEG(fi_send(a->ep, buf, 8, NULL, good, NULL));
	len = sizeof(buf);
	EXPECT_NEG(fi_av_lookup(t->av, good, buf, &len));
}

int main(void)
{
	struct udp_t t;
	struct udp_t_ep a;

	weft_test_require_weft_loaded();
	udp_t_open(&t, udp_t_getinfo(0, FI_MSG));
	udp_t_ep_open(&t, &a);
	check_av_open(&t);
	check_av_bind(&t);
	check_av_insert(&t, &a);
	udp_t_ep_close(&a);
	udp_t_close(&t);
	if (failures)
		fprintf(stderr, "%d bad-input expectation(s) not met\n",
			failures);
	return failures ? 1 : 0;
}
