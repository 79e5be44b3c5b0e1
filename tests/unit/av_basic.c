/* AV with IPv4 addresses: FI_AV_TABLE sequential indices, FI_AV_MAP,
 * lookup (including truncation), remove and slot reuse, reverse lookup
 * that ignores sin_zero, straddr, growth past the count hint, FI_SYNC_ERR,
 * FI_AV_USER_ID, rx_ctx_bits, and close refusing while bound. */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "av_fake_domain.h"
#include "util/av.h"

static struct sockaddr_in sin4(const char *ip, uint16_t port)
{
	struct sockaddr_in s;

	memset(&s, 0, sizeof(s));
	s.sin_family = AF_INET;
	s.sin_port = htons(port);
	CHECK(inet_pton(AF_INET, ip, &s.sin_addr) == 1);
	return s;
}

static struct fid_av *open_av(struct fake_domain *f, enum fi_av_type type,
			      size_t count)
{
	struct fi_av_attr attr = { .type = type, .count = count };
	struct fid_av *av = NULL;

	CHECK_OK(weft_av_open(&f->dom.domain_fid, &attr, &av, (void *)0x1234));
	CHECK(av && av->fid.fclass == FI_CLASS_AV);
	CHECK(av->fid.context == (void *)0x1234);
	CHECK(attr.type == (type == FI_AV_UNSPEC ? f->attr.av_type : type) ||
	      (type == FI_AV_UNSPEC && attr.type == FI_AV_MAP));
	return av;
}

static void test_table(void)
{
	struct fake_domain f;
	struct fid_av *av;
	struct weft_av *wav;
	struct sockaddr_in a[3] = { sin4("10.0.0.1", 1000), sin4("10.0.0.2", 1001),
				    sin4("10.0.0.3", 1002) };
	struct sockaddr_in got;
	fi_addr_t fa[3], one;
	size_t len;

	fake_domain_init(&f, FI_SOCKADDR_IN, FI_AV_UNSPEC, 0, 0);
	av = open_av(&f, FI_AV_TABLE, 0);
	wav = weft_av_of(av);
	CHECK(atomic_load(&f.dom.ref) == 1);

	/* Indices are sequential across calls; fi_addr may be NULL. */
	CHECK_RET(fi_av_insert(av, a, 2, fa, 0, NULL), 2);
	CHECK(fa[0] == 0 && fa[1] == 1);
	CHECK_RET(fi_av_insert(av, &a[2], 1, NULL, FI_MORE, NULL), 1);
	CHECK(weft_av_addr(wav, 2) != NULL);
	CHECK(memcmp(weft_av_addr(wav, 2), &a[2], sizeof(a[2])) == 0);
	CHECK(weft_av_addr(wav, 3) == NULL);
	CHECK(weft_av_addr(wav, FI_ADDR_NOTAVAIL) == NULL);
	CHECK(weft_av_addr(wav, FI_ADDR_UNSPEC) == NULL);
	CHECK(wav->count == 3);

	/* Lookup: full copy, then truncation with the real size reported. */
	len = sizeof(got);
	memset(&got, 0xff, sizeof(got));
	CHECK_OK(fi_av_lookup(av, 1, &got, &len));
	CHECK(len == sizeof(struct sockaddr_in));
	CHECK(memcmp(&got, &a[1], sizeof(got)) == 0);
	len = 4;
	memset(&got, 0xee, sizeof(got));
	CHECK_OK(fi_av_lookup(av, 0, &got, &len));
	CHECK(len == sizeof(struct sockaddr_in));
	CHECK(memcmp(&got, &a[0], 4) == 0);
	CHECK(((unsigned char *)&got)[4] == 0xee);
	len = 0;
	CHECK_OK(fi_av_lookup(av, 0, NULL, &len));
	CHECK(len == sizeof(struct sockaddr_in));
	len = sizeof(got);
	CHECK_RET(fi_av_lookup(av, 7, &got, &len), -FI_EINVAL);
	CHECK(len == sizeof(got));

	/* Reverse lookup ignores sin_zero. */
	got = a[1];
	memset(got.sin_zero, 0x5a, sizeof(got.sin_zero));
	CHECK(weft_av_reverse(wav, &got, sizeof(got)) == 1);
	got = sin4("10.0.0.2", 999);
	CHECK(weft_av_reverse(wav, &got, sizeof(got)) == FI_ADDR_NOTAVAIL);
	CHECK(weft_av_reverse(wav, &a[0], 8) == FI_ADDR_NOTAVAIL); /* short */

	/* Remove, then the lowest free index is reused. */
	one = 1;
	CHECK_OK(fi_av_remove(av, &one, 1, 0));
	CHECK(weft_av_addr(wav, 1) == NULL);
	CHECK(weft_av_reverse(wav, &a[1], sizeof(a[1])) == FI_ADDR_NOTAVAIL);
	len = sizeof(got);
	CHECK_RET(fi_av_lookup(av, 1, &got, &len), -FI_EINVAL);
	CHECK_RET(fi_av_remove(av, &one, 1, 0), -FI_EINVAL); /* twice */
	got = sin4("10.0.0.9", 9);
	CHECK_RET(fi_av_insert(av, &got, 1, &fa[0], 0, NULL), 1);
	CHECK(fa[0] == 1);
	CHECK(weft_av_reverse(wav, &got, sizeof(got)) == 1);
	/* Removing an address and inserting it again works (fi_av(3)). */
	CHECK_OK(fi_av_remove(av, &fa[0], 1, 0));
	CHECK_RET(fi_av_insert(av, &got, 1, &fa[0], 0, NULL), 1);
	CHECK(fa[0] == 1 && weft_av_reverse(wav, &got, sizeof(got)) == 1);
	CHECK_RET(fi_av_insert(av, &a[1], 1, &fa[1], 0, NULL), 1);
	CHECK(fa[1] == 3);
	CHECK(wav->count == 4);

	/* All or nothing: one bad address in the list removes none. */
	fi_addr_t bad[2] = { 0, 42 };
	CHECK_RET(fi_av_remove(av, bad, 2, 0), -FI_EINVAL);
	CHECK(weft_av_addr(wav, 0) != NULL);
	CHECK_RET(fi_av_remove(av, bad, 1, FI_MORE), -FI_EINVAL); /* flags */

	CHECK_OK(fi_close(&av->fid));
	CHECK(atomic_load(&f.dom.ref) == 0);
	fake_domain_fini(&f);
}

static void test_map_growth(void)
{
	struct fake_domain f;
	struct fid_av *av;
	struct weft_av *wav;
	enum { N = 5000 };
	static struct sockaddr_in a[N];
	static fi_addr_t fa[N];

	fake_domain_init(&f, FI_SOCKADDR_IN, FI_AV_MAP, 0, 0);
	av = open_av(&f, FI_AV_UNSPEC, 4); /* domain says MAP */
	wav = weft_av_of(av);
	CHECK(wav->type == FI_AV_MAP);
	for (int i = 0; i < N; i++)
		a[i] = sin4("192.168.0.1", (uint16_t)(1 + i));
	/* Grows far past the hint, in several calls. */
	CHECK_RET(fi_av_insert(av, a, 100, fa, 0, NULL), 100);
	CHECK_RET(fi_av_insert(av, a + 100, N - 100, fa + 100, 0, NULL), N - 100);
	for (int i = 0; i < N; i++) {
		const struct sockaddr_in *p = weft_av_addr(wav, fa[i]);
		CHECK(p && p->sin_port == a[i].sin_port);
		CHECK(weft_av_reverse(wav, &a[i], sizeof(a[i])) == fa[i]);
	}
	/* MAP needs somewhere to put the addresses. */
	CHECK_RET(fi_av_insert(av, a, 1, NULL, 0, NULL), -FI_EINVAL);
	CHECK_OK(fi_av_remove(av, fa, N, 0));
	CHECK(wav->count == 0);
	for (int i = 0; i < N; i += 97)
		CHECK(weft_av_reverse(wav, &a[i], sizeof(a[i])) == FI_ADDR_NOTAVAIL);
	CHECK_OK(fi_close(&av->fid));
	fake_domain_fini(&f);
}

static void test_flags(void)
{
	struct fake_domain f;
	struct fid_av *av;
	struct weft_av *wav;
	unsigned char buf[2 * sizeof(struct sockaddr_in)];
	struct sockaddr_in good = sin4("1.2.3.4", 5), bad = good;
	fi_addr_t fa[2];
	int errs[2] = { 99, 99 };

	fake_domain_init(&f, FI_SOCKADDR_IN, FI_AV_TABLE, 0, 0);
	av = open_av(&f, FI_AV_TABLE, 0);
	wav = weft_av_of(av);

	/* Per-entry failure: a wrong family. The good one still goes in. */
	bad.sin_family = AF_INET6;
	memcpy(buf, &bad, sizeof(bad));
	memcpy(buf + sizeof(bad), &good, sizeof(good));
	CHECK_RET(fi_av_insert(av, buf, 2, fa, FI_SYNC_ERR, errs), 1);
	CHECK(fa[0] == FI_ADDR_NOTAVAIL && fa[1] == 0);
	CHECK(errs[0] == FI_EINVAL && errs[1] == 0);
	/* FI_SYNC_ERR needs its context array. */
	CHECK_RET(fi_av_insert(av, &good, 1, fa, FI_SYNC_ERR, NULL), -FI_EINVAL);
	/* Unknown flags, NULL addresses. */
	CHECK_RET(fi_av_insert(av, &good, 1, fa, FI_SEND, NULL), -FI_EINVAL);
	CHECK_RET(fi_av_insert(av, NULL, 1, fa, 0, NULL), -FI_EINVAL);
	CHECK_RET(fi_av_insert(av, NULL, 0, NULL, 0, NULL), 0);
	/* No EQ, no FI_EVENT: bind with flags or a non-EQ is refused. */
	CHECK_RET(fi_av_bind(av, &av->fid, 0), -FI_EINVAL);

	/* FI_AV_USER_ID: ids come in through fi_addr, indices go out, and
	 * completions report the id. */
	fi_addr_t ids[1] = { 0xabcdef };
	struct sockaddr_in u = sin4("5.6.7.8", 9);
	CHECK_RET(fi_av_insert(av, &u, 1, ids, FI_AV_USER_ID, NULL), 1);
	CHECK(ids[0] == 1);
	CHECK(weft_av_report_addr(wav, 1) == 0xabcdef);
	CHECK(weft_av_report_addr(wav, 0) == 0);
	CHECK(weft_av_reverse(wav, &u, sizeof(u)) == 1);
	CHECK_RET(fi_av_insert(av, &u, 1, NULL, FI_AV_USER_ID, NULL), -FI_EINVAL);

	/* Endpoints bound: close refuses. */
	atomic_fetch_add(&wav->ref, 1);
	CHECK_RET(fi_close(&av->fid), -FI_EBUSY);
	atomic_fetch_sub(&wav->ref, 1);
	CHECK_OK(fi_close(&av->fid));
	fake_domain_fini(&f);
}

static void test_straddr_and_rx_bits(void)
{
	struct fake_domain f;
	struct fi_av_attr attr = { .type = FI_AV_TABLE, .rx_ctx_bits = 4 };
	struct fid_av *av;
	struct weft_av *wav;
	struct sockaddr_in a = sin4("1.2.3.4", 5);
	char buf[64];
	size_t len = sizeof(buf);
	fi_addr_t fa;

	fake_domain_init(&f, FI_SOCKADDR_IN, FI_AV_TABLE, 0, 0);
	CHECK_OK(weft_av_open(&f.dom.domain_fid, &attr, &av, NULL));
	wav = weft_av_of(av);
	CHECK(fi_av_straddr(av, &a, buf, &len) == buf);
	CHECK(strcmp(buf, "fi_sockaddr_in://1.2.3.4:5") == 0);
	CHECK(len == strlen("fi_sockaddr_in://1.2.3.4:5") + 1);
	/* Truncation: still NUL-terminated, len says what was needed. */
	len = 8;
	memset(buf, 'x', sizeof(buf));
	CHECK(fi_av_straddr(av, &a, buf, &len) == buf);
	CHECK(strcmp(buf, "fi_sock") == 0);
	CHECK(len == strlen("fi_sockaddr_in://1.2.3.4:5") + 1);
	CHECK(fi_av_straddr(av, &a, NULL, NULL) == NULL);

	CHECK_RET(fi_av_insert(av, &a, 1, &fa, 0, NULL), 1);
	/* fi_rx_addr puts the context index in the top bits. */
	fi_addr_t rx = fi_rx_addr(fa, 3, 4);
	CHECK(weft_av_addr(wav, rx) == weft_av_addr(wav, fa));
	CHECK(weft_av_rx_index(wav, rx) == 3);
	CHECK_OK(fi_close(&av->fid));
	fake_domain_fini(&f);
}

int main(void)
{
	test_table();
	test_map_growth();
	test_flags();
	test_straddr_and_rx_bits();
	return 0;
}
