/* util AV, FI_ADDR_STR: fi_av_insert takes the array of char * that
 * fi_av(3) describes and also the bytes fi_getname returns (NUL-terminated
 * strings one after the other, as libfabric's shm and fi_pingpong pass
 * them). Both forms, several entries, a bad entry in the packed form, the
 * generation bump of fi_av_remove and the reuse of the freed index. */
#include <stdlib.h>
#include <string.h>

#include <rdma/fi_domain.h>

#include "av_fake_domain.h"
#include "util/av.h"

int main(void)
{
	struct fake_domain f;
	struct fi_av_attr attr = { .type = FI_AV_TABLE };
	struct fid_av *av;
	struct weft_av *wav;
	const char *arr[2] = { "fi_shm://1:1", "fi_shm://1:2" };
	static const char packed[] = "fi_shm://2:1\0fi_shm://2:2\0fi_shm://2:3";
	static const char bad[] = "fi_shm://3:1\0\0fi_shm://3:3";
	fi_addr_t fa[3];
	int errs[3];
	uint64_t gen;

	fake_domain_init(&f, FI_ADDR_STR, FI_AV_TABLE, 0, 0);
	CHECK_OK(weft_av_open(&f.dom.domain_fid, &attr, &av, NULL));
	wav = weft_av_of(av);

	/* The documented form. */
	CHECK_RET(fi_av_insert(av, arr, 2, fa, 0, NULL), 2);
	CHECK(fa[0] == 0 && fa[1] == 1);
	CHECK(!strcmp(weft_av_addr(wav, 1), "fi_shm://1:2"));

	/* Packed strings, three of them. */
	CHECK_RET(fi_av_insert(av, packed, 3, fa, 0, NULL), 3);
	CHECK(fa[0] == 2 && fa[1] == 3 && fa[2] == 4);
	CHECK(!strcmp(weft_av_addr(wav, 2), "fi_shm://2:1"));
	CHECK(!strcmp(weft_av_addr(wav, 4), "fi_shm://2:3"));
	CHECK(weft_av_reverse(wav, "fi_shm://2:2", 13) == 3);

	/* An empty string in the packed form: it and the rest fail (their
	 * places are unknown), the first goes in. */
	CHECK_RET(fi_av_insert(av, bad, 3, fa, FI_SYNC_ERR, errs), 1);
	CHECK(fa[0] == 5 && fa[1] == FI_ADDR_NOTAVAIL &&
	      fa[2] == FI_ADDR_NOTAVAIL);
	CHECK(errs[0] == 0 && errs[1] == FI_EINVAL && errs[2] == FI_EINVAL);

	/* fi_av_remove bumps the generation providers watch. */
	gen = atomic_load(&wav->gen);
	fa[0] = 3;
	CHECK_OK(fi_av_remove(av, fa, 1, 0));
	CHECK(atomic_load(&wav->gen) == gen + 1);
	CHECK(weft_av_addr(wav, 3) == NULL);
	/* The freed index is reused, through the packed form again. */
	CHECK_RET(fi_av_insert(av, "fi_shm://9:9", 1, fa, 0, NULL), 1);
	CHECK(fa[0] == 3 && !strcmp(weft_av_addr(wav, 3), "fi_shm://9:9"));

	CHECK_OK(fi_close(&av->fid));
	fake_domain_fini(&f);
	return 0;
}
