/* AV address formats other than sockaddr_in: FI_SOCKADDR_IN6 (reverse
 * lookup ignores flow info and scope id), FI_ADDR_STR (char * arrays,
 * length limit), FI_SOCKADDR (IPv4 and IPv6 packed by family), and the
 * format/family checks. */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "av_fake_domain.h"
#include "util/av.h"

static struct sockaddr_in6 sin6(const char *ip, uint16_t port)
{
	struct sockaddr_in6 s;

	memset(&s, 0, sizeof(s));
	s.sin6_family = AF_INET6;
	s.sin6_port = htons(port);
	CHECK(inet_pton(AF_INET6, ip, &s.sin6_addr) == 1);
	return s;
}

static struct sockaddr_in sin4(const char *ip, uint16_t port)
{
	struct sockaddr_in s;

	memset(&s, 0, sizeof(s));
	s.sin_family = AF_INET;
	s.sin_port = htons(port);
	CHECK(inet_pton(AF_INET, ip, &s.sin_addr) == 1);
	return s;
}

static struct fid_av *open_av(struct fake_domain *f)
{
	struct fi_av_attr attr = { .type = FI_AV_TABLE };
	struct fid_av *av;

	CHECK_OK(weft_av_open(&f->dom.domain_fid, &attr, &av, NULL));
	return av;
}

static void test_ipv6(void)
{
	struct fake_domain f;
	struct fid_av *av;
	struct weft_av *wav;
	struct sockaddr_in6 a[2] = { sin6("::1", 5), sin6("fe80::1:2", 65535) };
	struct sockaddr_in6 got;
	struct sockaddr_in v4 = sin4("1.2.3.4", 1);
	fi_addr_t fa[2];
	size_t len = sizeof(got);
	char buf[80];

	fake_domain_init(&f, FI_SOCKADDR_IN6, FI_AV_TABLE, 0, 0);
	av = open_av(&f);
	wav = weft_av_of(av);
	CHECK(wav->addrlen == sizeof(struct sockaddr_in6));
	a[1].sin6_scope_id = 2;
	CHECK_RET(fi_av_insert(av, a, 2, fa, 0, NULL), 2);
	CHECK(fa[0] == 0 && fa[1] == 1);
	CHECK_OK(fi_av_lookup(av, 1, &got, &len));
	CHECK(len == sizeof(got) && memcmp(&got, &a[1], sizeof(got)) == 0);

	/* Same family, port and address: same peer, whatever the scope id
	 * and flow info say. */
	got = a[1];
	got.sin6_scope_id = 7;
	got.sin6_flowinfo = htonl(0x12345);
	CHECK(weft_av_reverse(wav, &got, sizeof(got)) == 1);
	got.sin6_port = htons(1);
	CHECK(weft_av_reverse(wav, &got, sizeof(got)) == FI_ADDR_NOTAVAIL);
	/* An IPv4 address is not in an IPv6 AV, and cannot be inserted. */
	CHECK(weft_av_reverse(wav, &v4, sizeof(v4)) == FI_ADDR_NOTAVAIL);
	fa[0] = 0;
	CHECK_RET(fi_av_insert(av, &v4, 1, fa, 0, NULL), 0);
	CHECK(fa[0] == FI_ADDR_NOTAVAIL);

	len = sizeof(buf);
	CHECK(fi_av_straddr(av, &a[0], buf, &len) == buf);
	CHECK(strcmp(buf, "fi_sockaddr_in6://[::1]:5") == 0);
	CHECK(len == strlen(buf) + 1);
	len = sizeof(buf);
	fi_av_straddr(av, &a[1], buf, &len);
	CHECK(strcmp(buf, "fi_sockaddr_in6://[fe80::1:2]:65535") == 0);
	CHECK_OK(fi_close(&av->fid));
	fake_domain_fini(&f);
}

static void test_strings(void)
{
	struct fake_domain f;
	struct fid_av *av;
	struct weft_av *wav;
	char longname[WEFT_AV_STR_MAX + 10];
	const char *names[4] = { "fi_shm://alpha", "fi_shm://beta", NULL, "" };
	char got[WEFT_AV_STR_MAX];
	fi_addr_t fa[4];
	int errs[4];
	size_t len;
	char buf[64];

	fake_domain_init(&f, FI_ADDR_STR, FI_AV_TABLE, 0, 0);
	av = open_av(&f);
	wav = weft_av_of(av);
	CHECK(wav->addrlen == WEFT_AV_STR_MAX);

	/* NULL and empty strings fail one by one. */
	CHECK_RET(fi_av_insert(av, names, 4, fa, FI_SYNC_ERR, errs), 2);
	CHECK(fa[0] == 0 && fa[1] == 1);
	CHECK(fa[2] == FI_ADDR_NOTAVAIL && fa[3] == FI_ADDR_NOTAVAIL);
	CHECK(errs[0] == 0 && errs[1] == 0 && errs[2] == FI_EINVAL &&
	      errs[3] == FI_EINVAL);
	CHECK(strcmp(weft_av_addr(wav, 1), "fi_shm://beta") == 0);

	len = sizeof(got);
	CHECK_OK(fi_av_lookup(av, 0, got, &len));
	CHECK(len == strlen("fi_shm://alpha") + 1 && strcmp(got, names[0]) == 0);

	/* Reverse: the string with or without its NUL. */
	CHECK(weft_av_reverse(wav, "fi_shm://beta", 14) == 1);
	CHECK(weft_av_reverse(wav, "fi_shm://beta", 13) == 1);
	CHECK(weft_av_reverse(wav, "fi_shm://bet", 13) == FI_ADDR_NOTAVAIL);
	CHECK(weft_av_reverse(wav, "fi_shm://betax", 13) == 1); /* first 13 */

	/* Longest string that fits, and one byte more. */
	memset(longname, 'n', sizeof(longname));
	longname[WEFT_AV_STR_MAX - 1] = '\0';
	const char *lp = longname;
	CHECK_RET(fi_av_insert(av, &lp, 1, fa, 0, NULL), 1);
	CHECK(fa[0] == 2);
	CHECK(strlen(weft_av_addr(wav, 2)) == WEFT_AV_STR_MAX - 1);
	longname[WEFT_AV_STR_MAX - 1] = 'n';
	longname[WEFT_AV_STR_MAX] = '\0';
	CHECK_RET(fi_av_insert(av, &lp, 1, fa, 0, NULL), 0);

	len = sizeof(buf);
	CHECK(fi_av_straddr(av, "fi_shm://alpha", buf, &len) == buf);
	CHECK(strcmp(buf, "fi_shm://alpha") == 0 && len == 15);

	/* insertsvc: a string node and no service. */
	CHECK_RET(fi_av_insertsvc(av, "fi_shm://gamma", NULL, fa, 0, NULL), 1);
	CHECK(strcmp(weft_av_addr(wav, fa[0]), "fi_shm://gamma") == 0);
	CHECK_RET(fi_av_insertsvc(av, "fi_shm://gamma", "1", fa, 0, NULL),
		  -FI_EINVAL);
	CHECK_RET(fi_av_insertsym(av, "fi_shm://x", 1, "1", 1, fa, 0, NULL),
		  -FI_ENOSYS);
	CHECK_OK(fi_close(&av->fid));
	fake_domain_fini(&f);
}

static void test_sockaddr_mixed(void)
{
	struct fake_domain f;
	struct fid_av *av;
	struct weft_av *wav;
	struct sockaddr_in a4 = sin4("10.1.2.3", 7);
	struct sockaddr_in6 a6 = sin6("2001:db8::5", 8);
	unsigned char packed[sizeof(a4) + sizeof(a6) + sizeof(a4)];
	unsigned char got[sizeof(struct sockaddr_in6)];
	fi_addr_t fa[3];
	size_t len;
	char buf[64];

	fake_domain_init(&f, FI_SOCKADDR, FI_AV_TABLE, 0, 0);
	av = open_av(&f);
	wav = weft_av_of(av);
	/* Entries are packed, each as long as its family's sockaddr. */
	memcpy(packed, &a4, sizeof(a4));
	memcpy(packed + sizeof(a4), &a6, sizeof(a6));
	memcpy(packed + sizeof(a4) + sizeof(a6), &a4, sizeof(a4));
	((struct sockaddr_in *)(packed + sizeof(a4) + sizeof(a6)))->sin_port =
		htons(9);
	CHECK_RET(fi_av_insert(av, packed, 3, fa, 0, NULL), 3);
	CHECK(fa[0] == 0 && fa[1] == 1 && fa[2] == 2);

	len = sizeof(got);
	CHECK_OK(fi_av_lookup(av, 0, got, &len));
	CHECK(len == sizeof(a4) && memcmp(got, &a4, sizeof(a4)) == 0);
	len = sizeof(got);
	CHECK_OK(fi_av_lookup(av, 1, got, &len));
	CHECK(len == sizeof(a6) && memcmp(got, &a6, sizeof(a6)) == 0);
	CHECK(weft_av_reverse(wav, &a6, sizeof(a6)) == 1);
	len = 0;
	CHECK(weft_av_addr_len(wav, 1, &len) == weft_av_addr(wav, 1));
	CHECK(len == sizeof(a6));
	CHECK(weft_av_addr_len(wav, 2, &len) != NULL && len == sizeof(a4));
	len = 77;
	CHECK(weft_av_addr_len(wav, 3, &len) == NULL && len == 77);
	CHECK(weft_av_reverse(wav, &a4, sizeof(a4)) == 0);

	len = sizeof(buf);
	fi_av_straddr(av, &a4, buf, &len);
	CHECK(strcmp(buf, "fi_sockaddr_in://10.1.2.3:7") == 0);
	len = sizeof(buf);
	fi_av_straddr(av, &a6, buf, &len);
	CHECK(strcmp(buf, "fi_sockaddr_in6://[2001:db8::5]:8") == 0);

	/* An unknown family stops the walk: it and everything after fail. */
	struct sockaddr_in bad = a4;
	bad.sin_family = AF_UNIX;
	memcpy(packed, &bad, sizeof(bad));
	CHECK_RET(fi_av_insert(av, packed, 2, fa, 0, NULL), 0);
	CHECK(fa[0] == FI_ADDR_NOTAVAIL && fa[1] == FI_ADDR_NOTAVAIL);
	len = sizeof(buf);
	fi_av_straddr(av, &bad, buf, &len);
	CHECK(strncmp(buf, "fi_addr_unknown://", 18) == 0);
	CHECK_OK(fi_close(&av->fid));
	fake_domain_fini(&f);
}

static void test_open_errors(void)
{
	struct fake_domain f;
	struct fi_av_attr attr = { .type = FI_AV_TABLE };
	struct fid_av *av = (struct fid_av *)0x1;

	fake_domain_init(&f, FI_SOCKADDR_IN, FI_AV_TABLE, 0, 0);
	CHECK_RET(weft_av_open(NULL, &attr, &av, NULL), -FI_EINVAL);
	f.dom.domain_fid.fid.fclass = FI_CLASS_EP; /* not a domain */
	CHECK_RET(weft_av_open(&f.dom.domain_fid, &attr, &av, NULL), -FI_EINVAL);
	f.dom.domain_fid.fid.fclass = FI_CLASS_DOMAIN;
	CHECK_RET(weft_av_open(&f.dom.domain_fid, NULL, &av, NULL), -FI_EINVAL);
	CHECK_RET(weft_av_open(&f.dom.domain_fid, &attr, NULL, NULL), -FI_EINVAL);
	attr.type = (enum fi_av_type)9;
	CHECK_RET(weft_av_open(&f.dom.domain_fid, &attr, &av, NULL), -FI_EINVAL);
	attr.type = FI_AV_TABLE;
	attr.flags = FI_SEND;
	CHECK_RET(weft_av_open(&f.dom.domain_fid, &attr, &av, NULL), -FI_EINVAL);
	attr.flags = 0;
	attr.name = "shared";
	CHECK_RET(weft_av_open(&f.dom.domain_fid, &attr, &av, NULL), -FI_ENOSYS);
	attr.name = NULL;
	attr.rx_ctx_bits = -1;
	CHECK_RET(weft_av_open(&f.dom.domain_fid, &attr, &av, NULL), -FI_EINVAL);
	attr.rx_ctx_bits = 0;
	CHECK(av == (struct fid_av *)0x1); /* untouched on failure */
	CHECK(atomic_load(&f.dom.ref) == 0);
	fake_domain_fini(&f);

	/* A format the AV does not store. */
	fake_domain_init(&f, FI_SOCKADDR_IB, FI_AV_TABLE, 0, 0);
	CHECK_RET(weft_av_open(&f.dom.domain_fid, &attr, &av, NULL), -FI_EINVAL);
	fake_domain_fini(&f);
	/* FI_FORMAT_UNSPEC: either IP family. */
	fake_domain_init(&f, FI_FORMAT_UNSPEC, FI_AV_TABLE, 0, 0);
	CHECK_OK(weft_av_open(&f.dom.domain_fid, &attr, &av, NULL));
	CHECK(weft_av_of(av)->addr_format == FI_SOCKADDR);
	CHECK_OK(fi_close(&av->fid));
	fake_domain_fini(&f);
}

int main(void)
{
	test_ipv6();
	test_strings();
	test_sockaddr_mixed();
	test_open_errors();
	return 0;
}
