/* Segments: creation by the owning endpoint, lazy mapping by peers, names,
 * removal on close and at exit, and reclaiming the segments of processes
 * that died without removing theirs.
 *
 * A segment is /dev/shm/weft-shm-<pid>-<n> (shm_open name
 * "/weft-shm-<pid>-<n>"), mode 0600, owned by the user; the endpoint's
 * address is "fi_shm://<pid>:<n>" and its doorbell the abstract unix
 * socket "\0weft-shm-<pid>-<n>". pid and n identify the endpoint on this
 * node for as long as the process lives.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shm.h"

#define SHM_SEG_PREFIX "weft-shm-"

void shm_seg_name(char *buf, size_t len, uint32_t pid, uint32_t n)
{
	snprintf(buf, len, "/" SHM_SEG_PREFIX "%" PRIu32 "-%" PRIu32, pid, n);
}

void shm_bell_addr(struct sockaddr_un *sun, socklen_t *len, uint32_t pid,
		   uint32_t n)
{
	int k;

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	/* Abstract namespace: sun_path[0] == 0, no file to clean up. */
	k = snprintf(sun->sun_path + 1, sizeof(sun->sun_path) - 1,
		     SHM_SEG_PREFIX "%" PRIu32 "-%" PRIu32, pid, n);
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
			   (size_t)k);
}

static int shm_parse_u32(const char **p, const char *end, uint32_t *out)
{
	uint64_t v = 0;
	const char *s = *p;

	if (s >= end || *s < '0' || *s > '9')
		return -FI_EINVAL;
	while (s < end && *s >= '0' && *s <= '9') {
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX)
			return -FI_EINVAL;
		s++;
	}
	*p = s;
	*out = (uint32_t)v;
	return 0;
}

int shm_name_parse(const char *s, size_t len, uint32_t *pid, uint32_t *n)
{
	size_t plen = strlen(SHM_ADDR_PREFIX);
	const char *end, *p;

	if (!s || !len)
		return -FI_EINVAL;
	end = memchr(s, '\0', len);
	if (!end)
		end = s + len;
	if ((size_t)(end - s) <= plen || memcmp(s, SHM_ADDR_PREFIX, plen))
		return -FI_EINVAL;
	p = s + plen;
	if (shm_parse_u32(&p, end, pid) || p >= end || *p != ':')
		return -FI_EINVAL;
	p++;
	if (shm_parse_u32(&p, end, n) || p != end || *pid == 0)
		return -FI_EINVAL;
	return 0;
}

bool shm_pid_alive(uint32_t pid)
{
	return kill((pid_t)pid, 0) == 0 || errno != ESRCH;
}

/* ---- exit-time removal ------------------------------------------------ */

#define SHM_TRACK_MAX 4096

static pthread_mutex_t shm_track_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t shm_track[SHM_TRACK_MAX]; /* pid << 32 | n, 0 = free */

/* Best effort on a normal exit (exit(), return from main) or an unload of
 * the library without fi_close: remove this process's segments. A
 * destructor rather than atexit(), so that nothing is left pointing into
 * an unloaded library. A child of fork() inherits the table but not the
 * segments: only the creating pid removes them. A killed process leaves
 * its segments for shm_region_reclaim. */
__attribute__((destructor)) static void shm_exit_unlink(void)
{
	uint32_t self = (uint32_t)getpid();

	pthread_mutex_lock(&shm_track_lock);
	for (size_t i = 0; i < SHM_TRACK_MAX; i++) {
		if (shm_track[i] && (uint32_t)(shm_track[i] >> 32) == self)
			shm_region_unlink(self, (uint32_t)shm_track[i]);
		shm_track[i] = 0;
	}
	pthread_mutex_unlock(&shm_track_lock);
}

void shm_exit_track(uint32_t pid, uint32_t n, bool add)
{
	uint64_t id = (uint64_t)pid << 32 | n;

	pthread_mutex_lock(&shm_track_lock);
	for (size_t i = 0; i < SHM_TRACK_MAX; i++) {
		if (add && !shm_track[i]) {
			shm_track[i] = id;
			break;
		}
		if (!add && shm_track[i] == id) {
			shm_track[i] = 0;
			break;
		}
	}
	pthread_mutex_unlock(&shm_track_lock);
}

/* ---- reclaim -------------------------------------------------------------- */

/* Once per process; a child of fork() scans again (it is a new process
 * that may outlive others). */
static pthread_mutex_t shm_reclaim_lock = PTHREAD_MUTEX_INITIALIZER;
static pid_t shm_reclaim_pid;

static void shm_reclaim_scan(void)
{
	DIR *d = opendir("/dev/shm");
	struct dirent *de;
	uid_t uid = getuid();

	if (!d)
		return;
	while ((de = readdir(d))) {
		unsigned long pid, n;
		char tail;
		struct stat st;

		if (strncmp(de->d_name, SHM_SEG_PREFIX,
			    strlen(SHM_SEG_PREFIX)))
			continue;
		if (sscanf(de->d_name + strlen(SHM_SEG_PREFIX), "%lu-%lu%c",
			   &pid, &n, &tail) != 2 ||
		    pid == 0 || pid > UINT32_MAX || n > UINT32_MAX)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		    st.st_uid != uid || !S_ISREG(st.st_mode))
			continue;
		if (shm_pid_alive((uint32_t)pid))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			FI_INFO(&shm_prov, FI_LOG_EP_CTRL,
				"removed stale segment %s\n", de->d_name);
	}
	closedir(d);
}

void shm_region_reclaim(void)
{
	pthread_mutex_lock(&shm_reclaim_lock);
	if (shm_reclaim_pid != getpid()) {
		shm_reclaim_pid = getpid();
		shm_reclaim_scan();
	}
	pthread_mutex_unlock(&shm_reclaim_lock);
}

/* ---- create / map ---------------------------------------------------------- */

static void shm_region_set(struct shm_region *r, void *base, size_t size)
{
	struct shm_seg_hdr *h = base;

	r->hdr = h;
	r->size = size;
	r->ring = (struct shm_entry *)((uint8_t *)base + h->ring_off);
	r->mask = (uint64_t)h->ring_size - 1;
	r->bounce = (uint8_t *)base + h->bounce_off;
	r->bounce_count = h->bounce_count;
	r->bounce_size = h->bounce_size;
	r->reserve = (uint64_t)h->ring_size / 2;
}

int shm_region_create(struct shm_region *r, uint32_t pid, uint32_t n)
{
	char name[SHM_NAME_MAX];
	struct shm_seg_hdr *h;
	size_t ring_bytes = shm_params.ring_size * sizeof(struct shm_entry);
	size_t bounce_off = SHM_RING_OFF + ring_bytes;
	size_t size = bounce_off +
		      shm_params.bounce_count * shm_params.bounce_size;
	void *base;
	int fd, ret;

	shm_seg_name(name, sizeof(name), pid, n);
	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST) {
		/* Left by an earlier process with our pid: it is dead (we
		 * are this pid now), so the name is ours to take. */
		shm_unlink(name);
		fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
			      0600);
	}
	if (fd < 0) {
		ret = shm_errno_to_fi(errno);
		FI_WARN(&shm_prov, FI_LOG_EP_CTRL, "shm_open %s: %s\n", name,
			strerror(errno));
		return ret;
	}
	/* Sparse: pages cost memory only once touched. */
	if (ftruncate(fd, (off_t)size) != 0) {
		ret = shm_errno_to_fi(errno);
		goto err_unlink;
	}
	base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		ret = shm_errno_to_fi(errno);
		goto err_unlink;
	}
	close(fd);

	h = base;
	h->magic = SHM_SEG_MAGIC;
	h->version = SHM_PROTO_VERSION;
	h->pid = pid;
	h->ep_n = n;
	h->seg_size = size;
	h->ring_off = SHM_RING_OFF;
	h->ring_size = (uint32_t)shm_params.ring_size;
	h->entry_size = sizeof(struct shm_entry);
	h->bounce_off = bounce_off;
	h->bounce_count = (uint32_t)shm_params.bounce_count;
	h->bounce_size = (uint32_t)shm_params.bounce_size;
	weft_store_relaxed(&h->tail, 0);
	weft_store_relaxed(&h->armed, 0);
	weft_store_relaxed(&h->bell, 0);
	shm_region_set(r, base, size);
	/* The ring stays zero (the file is new and sparse): zero is each
	 * entry's initial sequence number (shm_seq_load), so ring pages
	 * become resident only as producers reach them. */
	/* Release: a peer that sees ready (acquire) sees the layout. */
	weft_store_release(&h->ready, 1);
	return 0;

err_unlink:
	close(fd);
	shm_unlink(name);
	return ret;
}

int shm_region_map(struct shm_region *r, uint32_t pid, uint32_t n)
{
	char name[SHM_NAME_MAX];
	struct shm_seg_hdr *h;
	struct stat st;
	uint64_t ring_end, bounce_end;
	void *base;
	int fd, ret;

	shm_seg_name(name, sizeof(name), pid, n);
	fd = shm_open(name, O_RDWR | O_CLOEXEC, 0);
	if (fd < 0)
		return errno == ENOENT ? -FI_EHOSTUNREACH
				       : shm_errno_to_fi(errno);
	if (fstat(fd, &st) != 0 || st.st_uid != getuid() ||
	    (size_t)st.st_size < SHM_RING_OFF) {
		close(fd);
		return -FI_EHOSTUNREACH;
	}
	base = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE,
		    MAP_SHARED, fd, 0);
	close(fd);
	if (base == MAP_FAILED)
		return shm_errno_to_fi(errno);

	/* The header is the peer's word: check every field we will use to
	 * compute an address against the size we mapped. */
	h = base;
	ret = -FI_EHOSTUNREACH;
	if (!weft_load_acquire(&h->ready) || h->magic != SHM_SEG_MAGIC ||
	    h->version != SHM_PROTO_VERSION || h->pid != pid ||
	    h->ep_n != n || h->seg_size != (uint64_t)st.st_size ||
	    h->entry_size != sizeof(struct shm_entry) || !h->ring_size ||
	    (h->ring_size & (h->ring_size - 1)) || h->ring_off != SHM_RING_OFF ||
	    h->bounce_count > 64 || h->bounce_size % 64)
		goto err_unmap;
	if (h->bounce_off > h->seg_size)
		goto err_unmap;
	ring_end = h->ring_off + (uint64_t)h->ring_size * h->entry_size;
	bounce_end = h->bounce_off +
		     (uint64_t)h->bounce_count * h->bounce_size;
	if (ring_end > h->seg_size || h->bounce_off < ring_end ||
	    bounce_end > h->seg_size)
		goto err_unmap;
	shm_region_set(r, base, (size_t)st.st_size);
	return 0;

err_unmap:
	munmap(base, (size_t)st.st_size);
	return ret;
}

void shm_region_unmap(struct shm_region *r)
{
	if (r->hdr)
		munmap(r->hdr, r->size);
	memset(r, 0, sizeof(*r));
}

bool shm_region_exists(uint32_t pid, uint32_t n)
{
	char name[SHM_NAME_MAX], path[SHM_NAME_MAX + 16];
	struct stat st;

	shm_seg_name(name, sizeof(name), pid, n);
	snprintf(path, sizeof(path), "/dev/shm%s", name);
	return stat(path, &st) == 0 || errno != ENOENT;
}

void shm_region_unlink(uint32_t pid, uint32_t n)
{
	char name[SHM_NAME_MAX];

	shm_seg_name(name, sizeof(name), pid, n);
	shm_unlink(name);
}
