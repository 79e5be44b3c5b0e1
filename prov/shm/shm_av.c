/* The shm address vector: util's AV with string addresses, plus one
 * compatibility shim on fi_av_insert.
 *
 * fi_av(3) says FI_ADDR_STR addresses are passed as an array of strings
 * (char **), and util implements that. libfabric's shm provider, and the
 * applications written against it (fabtests' fi_pingpong among them),
 * instead pass the bytes fi_getname returned: NUL-terminated strings laid
 * one after the other. Both are accepted here: a buffer whose first eight
 * bytes read "fi_shm:/" cannot be an array of user-space pointers (that
 * value is not a canonical address), so it is taken as packed strings and
 * turned into the array form util expects.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "shm.h"

static const struct fi_ops_av *shm_util_av_ops;
static struct fi_ops_av shm_av_ops;

#define SHM_AV_PACKED_TAG "fi_shm:/"

static int shm_av_insert(struct fid_av *av, const void *addr, size_t count,
			 fi_addr_t *fi_addr, uint64_t flags, void *context)
{
	const char *p = addr;
	const char **v;
	int ret;

	if (!addr || !count ||
	    memcmp(addr, SHM_AV_PACKED_TAG, strlen(SHM_AV_PACKED_TAG)))
		return shm_util_av_ops->insert(av, addr, count, fi_addr, flags,
					       context);
	/* Control path: one small allocation per call. */
	v = calloc(count, sizeof(*v));
	if (!v)
		return -FI_ENOMEM;
	for (size_t i = 0; i < count; i++) {
		size_t n = strnlen(p, WEFT_AV_STR_MAX);

		if (n == WEFT_AV_STR_MAX) {
			free(v);
			return -FI_EINVAL;
		}
		v[i] = p;
		p += n + 1;
	}
	ret = shm_util_av_ops->insert(av, v, count, fi_addr, flags, context);
	free(v);
	return ret;
}

int shm_av_open(struct fid_domain *domain, struct fi_av_attr *attr,
		struct fid_av **av, void *context)
{
	int ret = weft_av_open(domain, attr, av, context);

	if (ret)
		return ret;
	/* Every util AV shares one ops table: copy it once, with our
	 * insert. Opening AVs is serialised by the application's control
	 * path only per object, so the copy is made under a once. */
	if (!shm_util_av_ops) {
		static pthread_mutex_t once = PTHREAD_MUTEX_INITIALIZER;

		pthread_mutex_lock(&once);
		if (!shm_util_av_ops) {
			shm_av_ops = *(*av)->ops;
			shm_av_ops.insert = shm_av_insert;
			shm_util_av_ops = (*av)->ops;
		}
		pthread_mutex_unlock(&once);
	}
	(*av)->ops = &shm_av_ops;
	return 0;
}
