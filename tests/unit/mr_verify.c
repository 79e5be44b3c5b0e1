/* weft_mr_verify: offset addressing (from 0, or from a nonzero `offset`)
 * and FI_MR_VIRT_ADDR, ranges inside / straddling / outside, spans across
 * the iovs of a regv registration, wrong key, wrong access, address
 * wrap-around, out[] too small, validate-only (out NULL); and
 * weft_mr_check_local for FI_MR_LOCAL descriptors. */
#include "av_fake_domain.h"
#include "util/mr.h"

static char mem[3][64];

static struct fid_mr *reg3(struct fake_domain *f, uint64_t access,
			   uint64_t key, uint64_t offset)
{
	/* Three separate 64-byte buffers, registered as one region with
	 * lengths 16, 32, 8 (concatenated offsets [0,16) [16,48) [48,56)). */
	struct iovec iov[3] = { { mem[0], 16 }, { mem[1], 32 }, { mem[2], 8 } };
	struct fid_mr *mr;

	CHECK_OK(weft_mr_regv(&f->dom.domain_fid.fid, iov, 3, access, offset,
			      key, 0, &mr, NULL));
	return mr;
}

static void test_offsets(void)
{
	struct fake_domain f;
	struct weft_mr_map *map;
	struct fid_mr *mr, *mr2;
	struct iovec out[4];
	size_t n;

	fake_domain_init(&f, FI_SOCKADDR_IN, FI_AV_TABLE, 0, 0);
	map = &f.dom.mr_map;
	mr = reg3(&f, FI_REMOTE_READ | FI_REMOTE_WRITE, 7, 0);

	/* Inside the first iov. */
	n = 4;
	CHECK_OK(weft_mr_verify(map, 7, 2, 10, FI_REMOTE_READ, out, &n));
	CHECK(n == 1 && out[0].iov_base == mem[0] + 2 && out[0].iov_len == 10);
	/* Across all three iovs. */
	n = 4;
	CHECK_OK(weft_mr_verify(map, 7, 10, 44, FI_REMOTE_WRITE, out, &n));
	CHECK(n == 3);
	CHECK(out[0].iov_base == mem[0] + 10 && out[0].iov_len == 6);
	CHECK(out[1].iov_base == mem[1] && out[1].iov_len == 32);
	CHECK(out[2].iov_base == mem[2] && out[2].iov_len == 6);
	/* Exactly the whole region; both access bits at once. */
	n = 4;
	CHECK_OK(weft_mr_verify(map, 7, 0, 56,
				FI_REMOTE_READ | FI_REMOTE_WRITE, out, &n));
	CHECK(n == 3 && out[2].iov_len == 8);
	/* Starting at an iov boundary. */
	n = 4;
	CHECK_OK(weft_mr_verify(map, 7, 16, 1, FI_REMOTE_READ, out, &n));
	CHECK(n == 1 && out[0].iov_base == mem[1]);
	/* One byte past the end, starting past the end, huge lengths. */
	n = 4;
	CHECK_RET(weft_mr_verify(map, 7, 0, 57, FI_REMOTE_READ, out, &n),
		  -FI_EINVAL);
	CHECK_RET(weft_mr_verify(map, 7, 56, 1, FI_REMOTE_READ, out, &n),
		  -FI_EINVAL);
	CHECK_RET(weft_mr_verify(map, 7, 8, SIZE_MAX, FI_REMOTE_READ, out, &n),
		  -FI_EINVAL);
	CHECK_RET(weft_mr_verify(map, 7, UINT64_MAX, 2, FI_REMOTE_READ, out, &n),
		  -FI_EINVAL);
	CHECK(n == 4); /* untouched on failure */
	/* Zero length at the end is fine. */
	CHECK_OK(weft_mr_verify(map, 7, 56, 0, FI_REMOTE_READ, out, &n));
	CHECK(n == 0);
	/* Wrong key, out[] too small, validate only. */
	n = 4;
	CHECK_RET(weft_mr_verify(map, 8, 0, 1, FI_REMOTE_READ, out, &n),
		  -FI_EKEYREJECTED);
	n = 2;
	CHECK_RET(weft_mr_verify(map, 7, 0, 56, FI_REMOTE_READ, out, &n),
		  -FI_E2BIG);
	CHECK(n == 2);
	n = 0;
	CHECK_OK(weft_mr_verify(map, 7, 0, 56, FI_REMOTE_READ, NULL, &n));
	CHECK(n == 3);
	CHECK_RET(weft_mr_verify(map, 7, 0, 1, FI_REMOTE_READ, out, NULL),
		  -FI_EINVAL);

	/* Read-only region: writes refused, and so are local-only rights. */
	mr2 = reg3(&f, FI_REMOTE_READ, 9, 1000);
	n = 4;
	CHECK_RET(weft_mr_verify(map, 9, 1000, 1, FI_REMOTE_WRITE, out, &n),
		  -FI_EACCES);
	CHECK_RET(weft_mr_verify(map, 9, 1000, 1,
				 FI_REMOTE_READ | FI_REMOTE_WRITE, out, &n),
		  -FI_EACCES);
	/* Nonzero offset: addresses start there. */
	CHECK_OK(weft_mr_verify(map, 9, 1000 + 20, 4, FI_REMOTE_READ, out, &n));
	CHECK(n == 1 && out[0].iov_base == mem[1] + 4);
	n = 4;
	CHECK_RET(weft_mr_verify(map, 9, 999, 4, FI_REMOTE_READ, out, &n),
		  -FI_EINVAL);
	CHECK_RET(weft_mr_verify(map, 9, 0, 4, FI_REMOTE_READ, out, &n),
		  -FI_EINVAL);

	/* Closed: the key is gone. */
	CHECK_OK(fi_close(&mr->fid));
	CHECK_RET(weft_mr_verify(map, 7, 0, 1, FI_REMOTE_READ, out, &n),
		  -FI_EKEYREJECTED);
	CHECK_OK(fi_close(&mr2->fid));
	fake_domain_fini(&f);
}

static void test_virt_addr(void)
{
	struct fake_domain f;
	struct weft_mr_map *map;
	struct fid_mr *mr, *mr2;
	struct iovec out[4];
	static char big[128];
	size_t n;
	uint64_t b0 = (uintptr_t)mem[0], b1 = (uintptr_t)mem[1];

	fake_domain_init(&f, FI_SOCKADDR_IN, FI_AV_TABLE, FI_MR_VIRT_ADDR, 0);
	map = &f.dom.mr_map;
	mr = reg3(&f, FI_REMOTE_WRITE, 1, 0);

	/* Each iov is reached at its own address. */
	n = 4;
	CHECK_OK(weft_mr_verify(map, 1, b1 + 30, 2, FI_REMOTE_WRITE, out, &n));
	CHECK(n == 1 && out[0].iov_base == mem[1] + 30);
	n = 4;
	CHECK_OK(weft_mr_verify(map, 1, b0, 16, FI_REMOTE_WRITE, out, &n));
	CHECK(n == 1 && out[0].iov_base == mem[0]);
	/* Offsets are not addresses here; bytes between/after iovs are not
	 * registered. */
	n = 4;
	CHECK_RET(weft_mr_verify(map, 1, 0, 1, FI_REMOTE_WRITE, out, &n),
		  -FI_EINVAL);
	CHECK_RET(weft_mr_verify(map, 1, b0 + 16, 1, FI_REMOTE_WRITE, out, &n),
		  -FI_EINVAL);
	CHECK_RET(weft_mr_verify(map, 1, b0 + 10, 7, FI_REMOTE_WRITE, out, &n),
		  -FI_EINVAL);
	CHECK_RET(weft_mr_verify(map, 1, b1 + 31, 2, FI_REMOTE_WRITE, out, &n),
		  -FI_EINVAL);
	CHECK_RET(weft_mr_verify(map, 1, UINT64_MAX - 1, 4, FI_REMOTE_WRITE,
				 out, &n), -FI_EINVAL);

	/* Adjacent iovs: a range may run from one into the next. */
	struct iovec adj[2] = { { big, 40 }, { big + 40, 60 } };
	CHECK_OK(weft_mr_regv(&f.dom.domain_fid.fid, adj, 2, FI_REMOTE_READ, 0,
			      2, 0, &mr2, NULL));
	n = 4;
	CHECK_OK(weft_mr_verify(map, 2, (uintptr_t)big + 30, 20, FI_REMOTE_READ,
				out, &n));
	CHECK(n == 2 && out[0].iov_base == big + 30 && out[0].iov_len == 10 &&
	      out[1].iov_base == big + 40 && out[1].iov_len == 10);
	n = 4;
	CHECK_RET(weft_mr_verify(map, 2, (uintptr_t)big + 90, 11,
				 FI_REMOTE_READ, out, &n), -FI_EINVAL);

	/* Local descriptors: [buf, buf+len) within one iov, access bits. */
	struct weft_mr *w = fi_mr_desc(mr);
	CHECK_OK(weft_mr_check_local(w, mem[1] + 8, 24, 0));
	CHECK_RET(weft_mr_check_local(w, mem[1] + 8, 25, 0), -FI_EINVAL);
	CHECK_RET(weft_mr_check_local(w, mem[0] + 8, 16, 0), -FI_EINVAL);
	CHECK_RET(weft_mr_check_local(w, mem[1], 1, FI_SEND), -FI_EACCES);
	CHECK_OK(weft_mr_check_local(w, mem[2] + 8, 0, FI_REMOTE_WRITE));
	CHECK_RET(weft_mr_check_local(NULL, mem[1], 1, 0), -FI_EINVAL);

	CHECK_OK(fi_close(&mr->fid));
	CHECK_OK(fi_close(&mr2->fid));
	fake_domain_fini(&f);
}

int main(void)
{
	test_offsets();
	test_virt_addr();
	return 0;
}
