/* Address vectors: storage, insert/remove/lookup, reverse lookup, the
 * fi_av_insertsvc / fi_av_insertsym resolvers and fi_av_straddr.
 *
 * Every insert variant ends in av_insert(): insertsvc and insertsym
 * resolve their names into a packed array in the AV's own address format
 * and hand it over, so flags, FI_SYNC_ERR, FI_EVENT and fi_addr output
 * behave the same for all three.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <rdma/fi_eq.h>
#include <rdma/fi_errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "util/fid.h"
#include "util/av.h"
#include "util/eq.h"
#include "util/fabric.h"

enum {
	SLOT_FREE = 0,
	SLOT_USED = 1,
};

/* One slot. state is published last (release) so a lock-free reader that
 * sees SLOT_USED (acquire) also sees len, user_id and addr. */
struct av_slot {
	_Atomic uint32_t state;
	uint32_t len;           /* bytes stored in addr */
	fi_addr_t user_id;      /* FI_AV_USER_ID, else FI_ADDR_NOTAVAIL */
	unsigned char addr[];   /* av->addrlen bytes */
};

/* Canonical bytes of an address: what two addresses must share to be the
 * same peer. sockaddrs: family, port, address (no padding, flow info or
 * scope); strings: the characters before the NUL. */
struct av_canon {
	size_t len;
	unsigned char b[WEFT_AV_STR_MAX];
};

#define AV_MIN_SHIFT 4
#define AV_MAX_SHIFT 20

/* ---- slot storage -------------------------------------------------------- */

/* Slot index -> (chunk, offset). Chunk k starts at index (B << k) - B for
 * B = 1 << base_shift, so idx + B has its top bit at position
 * base_shift + k. */
static bool slot_pos(const struct weft_av *av, uint64_t idx, unsigned *chunk,
		     uint64_t *off)
{
	uint64_t base = (uint64_t)1 << av->base_shift;
	uint64_t limit = (base << WEFT_AV_CHUNKS) - base;
	unsigned top;

	if (idx >= limit)
		return false;
	top = 63 - (unsigned)__builtin_clzll(idx + base);
	*chunk = top - av->base_shift;
	*off = idx + base - ((uint64_t)1 << top);
	return true;
}

/* The slot for idx, or NULL if its chunk was never allocated. Lock-free:
 * the chunk pointer is published with a release store after calloc. */
static struct av_slot *slot_get(struct weft_av *av, uint64_t idx)
{
	unsigned chunk;
	uint64_t off;
	unsigned char *mem;

	if (!slot_pos(av, idx, &chunk, &off))
		return NULL;
	mem = atomic_load_explicit(&av->chunks[chunk], memory_order_acquire);
	if (!mem)
		return NULL;
	return (struct av_slot *)(mem + off * av->stride);
}

/* Allocate the chunk holding idx if needed. Under av->lock. */
static int slot_reserve(struct weft_av *av, uint64_t idx)
{
	unsigned chunk;
	uint64_t off;
	size_t nslots, bytes;
	unsigned char *mem;

	if (!slot_pos(av, idx, &chunk, &off))
		return -FI_ENOSPC;
	if (atomic_load_explicit(&av->chunks[chunk], memory_order_relaxed))
		return 0;
	nslots = (size_t)1 << (av->base_shift + chunk);
	if (__builtin_mul_overflow(nslots, av->stride, &bytes))
		return -FI_ENOMEM;
	mem = calloc(1, bytes);
	if (!mem)
		return -FI_ENOMEM;
	atomic_store_explicit(&av->chunks[chunk], mem, memory_order_release);
	return 0;
}

static struct av_slot *slot_used(struct weft_av *av, fi_addr_t fi_addr)
{
	struct av_slot *s;

	if (!av || fi_addr == FI_ADDR_NOTAVAIL)
		return NULL;
	s = slot_get(av, fi_addr & av->index_mask);
	if (!s || atomic_load_explicit(&s->state, memory_order_acquire) !=
			  SLOT_USED)
		return NULL;
	return s;
}

const void *weft_av_addr(struct weft_av *av, fi_addr_t fi_addr)
{
	struct av_slot *s = slot_used(av, fi_addr);

	return s ? s->addr : NULL;
}

const void *weft_av_addr_len(struct weft_av *av, fi_addr_t fi_addr,
			     size_t *len)
{
	struct av_slot *s = slot_used(av, fi_addr);

	if (!s)
		return NULL;
	*len = s->len;
	return s->addr;
}

fi_addr_t weft_av_report_addr(struct weft_av *av, fi_addr_t fi_addr)
{
	struct av_slot *s = slot_used(av, fi_addr);

	if (s && s->user_id != FI_ADDR_NOTAVAIL)
		return s->user_id;
	return fi_addr;
}

/* ---- address formats ----------------------------------------------------- */

static bool is_sockaddr_format(uint32_t fmt)
{
	return fmt == FI_SOCKADDR_IN || fmt == FI_SOCKADDR_IN6 ||
	       fmt == FI_SOCKADDR;
}

static size_t format_addrlen(uint32_t fmt)
{
	switch (fmt) {
	case FI_SOCKADDR_IN: return sizeof(struct sockaddr_in);
	case FI_SOCKADDR_IN6:
	case FI_SOCKADDR: return sizeof(struct sockaddr_in6);
	case FI_ADDR_STR: return WEFT_AV_STR_MAX;
	default: return 0;
	}
}

static bool family_ok(uint32_t fmt, sa_family_t fam)
{
	switch (fmt) {
	case FI_SOCKADDR_IN: return fam == AF_INET;
	case FI_SOCKADDR_IN6: return fam == AF_INET6;
	case FI_SOCKADDR: return fam == AF_INET || fam == AF_INET6;
	default: return false;
	}
}

static size_t family_len(sa_family_t fam)
{
	return fam == AF_INET ? sizeof(struct sockaddr_in) :
	       fam == AF_INET6 ? sizeof(struct sockaddr_in6) : 0;
}

/* Canonical form of addr (len bytes available) in the AV's format.
 * -FI_EINVAL if it is not such an address. */
static int canon_of(const struct weft_av *av, const void *addr, size_t len,
		    struct av_canon *c)
{
	sa_family_t fam;

	if (!addr)
		return -FI_EINVAL;
	if (av->addr_format == FI_ADDR_STR) {
		size_t n = strnlen(addr, len < WEFT_AV_STR_MAX ? len :
							      WEFT_AV_STR_MAX);
		if (n == 0 || n >= WEFT_AV_STR_MAX)
			return -FI_EINVAL;
		memcpy(c->b, addr, n);
		c->len = n;
		return 0;
	}
	if (len < sizeof(sa_family_t))
		return -FI_EINVAL;
	memcpy(&fam, addr, sizeof(fam));
	if (!family_ok(av->addr_format, fam) || len < family_len(fam))
		return -FI_EINVAL;
	memcpy(c->b, &fam, sizeof(fam));
	if (fam == AF_INET) {
		struct sockaddr_in sin;
		memcpy(&sin, addr, sizeof(sin));
		memcpy(c->b + 2, &sin.sin_port, 2);
		memcpy(c->b + 4, &sin.sin_addr, 4);
		c->len = 8;
	} else {
		struct sockaddr_in6 sin6;
		memcpy(&sin6, addr, sizeof(sin6));
		memcpy(c->b + 2, &sin6.sin6_port, 2);
		memcpy(c->b + 4, &sin6.sin6_addr, 16);
		c->len = 20;
	}
	return 0;
}

/* Entry i of an fi_av_insert array, with its length. *cursor carries the
 * byte offset for FI_SOCKADDR, whose entries have per-family sizes; once
 * an entry's family is unknown the rest cannot be found (-FI_EINVAL). */
static int entry_at(const struct weft_av *av, const void *addrs, size_t i,
		    size_t *cursor, bool packed, const void **entry,
		    size_t *len)
{
	const unsigned char *p;
	sa_family_t fam;

	switch (av->addr_format) {
	case FI_ADDR_STR: {
		const char *s;
		size_t n;

		if (packed) {
			/* Packed strings: *cursor is the byte offset of
			 * entry i. */
			s = (const char *)addrs + *cursor;
			n = strnlen(s, WEFT_AV_STR_MAX);
			if (n == 0 || n == WEFT_AV_STR_MAX)
				return -FI_EINVAL; /* the rest is lost too */
			*cursor += n + 1;
			*entry = s;
			*len = n + 1;
			return 0;
		}
		s = ((const char *const *)addrs)[i];
		if (!s)
			return -FI_EINVAL;
		n = strnlen(s, WEFT_AV_STR_MAX);
		if (n == 0 || n == WEFT_AV_STR_MAX)
			return -FI_EINVAL;
		*entry = s;
		*len = n + 1;
		return 0;
	}
	case FI_SOCKADDR:
		if (*cursor == SIZE_MAX)
			return -FI_EINVAL;
		p = (const unsigned char *)addrs + *cursor;
		memcpy(&fam, p, sizeof(fam));
		if (!family_len(fam)) {
			*cursor = SIZE_MAX;
			return -FI_EINVAL;
		}
		*cursor += family_len(fam);
		*entry = p;
		*len = family_len(fam);
		return 0;
	default:
		p = (const unsigned char *)addrs + i * av->addrlen;
		memcpy(&fam, p, sizeof(fam));
		if (!family_ok(av->addr_format, fam))
			return -FI_EINVAL;
		*entry = p;
		*len = av->addrlen;
		return 0;
	}
}

/* Whether an FI_ADDR_STR insert buffer holds the strings themselves, one
 * after the other (what fi_getname returns and what libfabric's shm and
 * its users such as fi_pingpong pass), rather than the array of char *
 * fi_av(3) describes. Every FI_ADDR_STR address starts with at least 8
 * printable characters ("fi_shm://", "fi_sockaddr_in://", ...), while the
 * first 8 bytes of a pointer array are a user-space pointer, whose top
 * byte is 0 on every 64-bit Linux ABI (at most 57 address bits). Read a
 * byte at a time and stop at the first non-printable one, so a short
 * packed buffer is never read past its NUL. */
static bool str_packed(const void *addrs)
{
	const unsigned char *p = addrs;

	if (sizeof(void *) < 8)
		return false;
	for (size_t i = 0; i < 8; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return false;
	return true;
}

/* ---- insert / remove ----------------------------------------------------- */

/* The lowest free slot: a reused one (below high) or a new one at high.
 * Under av->lock. */
static int slot_take(struct weft_av *av, uint64_t *idx)
{
	if (av->nfree) {
		for (uint64_t i = av->free_hint; i < av->high; i++) {
			struct av_slot *s = slot_get(av, i);
			if (atomic_load_explicit(&s->state,
						 memory_order_relaxed) ==
			    SLOT_FREE) {
				*idx = i;
				return 0;
			}
		}
		/* nfree said there was one: the bookkeeping is broken. */
		return -FI_EOTHER;
	}
	*idx = av->high;
	return slot_reserve(av, av->high);
}

/* Insert one validated entry. Under av->lock. */
static int insert_one(struct weft_av *av, const void *addr, size_t len,
		      fi_addr_t user_id, fi_addr_t *out)
{
	struct av_canon c;
	struct av_slot *s;
	uint64_t idx;
	int ret;

	ret = canon_of(av, addr, len, &c);
	if (ret)
		return ret;
	ret = slot_take(av, &idx);
	if (ret)
		return ret;
	ret = weft_hash_insert(&av->index, weft_hash_bytes(c.b, c.len), idx);
	if (ret)
		return ret;
	s = slot_get(av, idx);
	memset(s->addr, 0, av->addrlen);
	memcpy(s->addr, addr, len);
	s->len = (uint32_t)len;
	s->user_id = user_id;
	/* Publish: readers that see SLOT_USED see the bytes above. */
	atomic_store_explicit(&s->state, SLOT_USED, memory_order_release);
	if (idx == av->high) {
		av->high++;
	} else {
		av->nfree--;
		av->free_hint = idx + 1;
	}
	av->count++;
	*out = idx;
	return 0;
}

static void report_error(struct weft_av *av, void *context, size_t i, int err)
{
	/* fi_av(3): the error entry's data is the failed address's index in
	 * the insert call. A full EQ loses the entry; the final completion's
	 * count still tells the application how many went in. */
	(void)weft_eq_write_error(av->eq, &av->av_fid.fid, context, i, -err,
				  -err, NULL, 0);
}

static int av_insert(struct fid_av *av_fid, const void *addr, size_t count,
		     fi_addr_t *fi_addr, uint64_t flags, void *context)
{
	struct weft_av *av;
	bool async, packed;
	int *sync_err = NULL;
	size_t done = 0, cursor = 0;

	if (!av_fid || av_fid->fid.fclass != FI_CLASS_AV)
		return -FI_EINVAL;
	av = weft_av_of(av_fid);
	if (flags & ~(FI_MORE | FI_SYNC_ERR | FI_AV_USER_ID))
		return -FI_EINVAL;
	async = av->flags & FI_EVENT;
	if (async && !av->eq)
		return -FI_ENOEQ;
	if (flags & FI_SYNC_ERR) {
		/* fi_av(3): synchronous inserts only; context is int[count]. */
		if (async || (count && !context))
			return -FI_EINVAL;
		sync_err = context;
	}
	if (count && !addr)
		return -FI_EINVAL;
	/* FI_AV_MAP values can only reach the application through fi_addr;
	 * user ids are read from it. */
	if (count && !fi_addr &&
	    (av->type == FI_AV_MAP || (flags & FI_AV_USER_ID)))
		return -FI_EINVAL;

	packed = count && av->addr_format == FI_ADDR_STR && str_packed(addr);

	weft_lock_acquire(&av->lock);
	for (size_t i = 0; i < count; i++) {
		const void *entry = NULL;
		size_t len = 0;
		fi_addr_t out = FI_ADDR_NOTAVAIL;
		fi_addr_t id = (flags & FI_AV_USER_ID) ? fi_addr[i] :
							 FI_ADDR_NOTAVAIL;
		int ret;

		ret = entry_at(av, addr, i, &cursor, packed, &entry, &len);
		if (!ret)
			ret = insert_one(av, entry, len, id, &out);
		if (fi_addr)
			fi_addr[i] = out;
		if (sync_err)
			sync_err[i] = -ret;
		if (ret && async)
			report_error(av, context, i, ret);
		if (!ret)
			done++;
	}
	weft_lock_release(&av->lock);

	if (async) {
		struct fi_eq_entry ev = {
			.fid = &av->av_fid.fid,
			.context = context,
			.data = done,
		};
		int ret = weft_eq_write_event(av->eq, FI_AV_COMPLETE, &ev,
					      sizeof(ev), 0);
		return ret < 0 ? ret : 0;
	}
	return (int)(done > INT_MAX ? INT_MAX : done);
}

static int av_remove(struct fid_av *av_fid, fi_addr_t *fi_addr, size_t count,
		     uint64_t flags)
{
	struct weft_av *av;
	int ret = 0;

	if (!av_fid || av_fid->fid.fclass != FI_CLASS_AV || flags ||
	    (count && !fi_addr))
		return -FI_EINVAL;
	av = weft_av_of(av_fid);

	weft_lock_acquire(&av->lock);
	/* All or nothing: check every address before removing any. */
	for (size_t i = 0; i < count; i++) {
		if (!slot_used(av, fi_addr[i])) {
			ret = -FI_EINVAL;
			goto out;
		}
	}
	for (size_t i = 0; i < count; i++) {
		uint64_t idx = fi_addr[i] & av->index_mask;
		struct av_slot *s = slot_used(av, fi_addr[i]);
		struct av_canon c;

		if (!s)
			continue; /* listed twice */
		if (!canon_of(av, s->addr, s->len, &c))
			weft_hash_remove(&av->index,
					 weft_hash_bytes(c.b, c.len), idx);
		atomic_store_explicit(&s->state, SLOT_FREE,
				      memory_order_release);
		/* Release: a provider that sees the new generation also
		 * sees the slot freed. */
		atomic_fetch_add_explicit(&av->gen, 1, memory_order_release);
		av->nfree++;
		av->count--;
		if (idx < av->free_hint)
			av->free_hint = idx;
	}
out:
	weft_lock_release(&av->lock);
	return ret;
}

fi_addr_t weft_av_reverse(struct weft_av *av, const void *addr, size_t addrlen)
{
	struct av_canon want, have;
	fi_addr_t found = FI_ADDR_NOTAVAIL;
	size_t cursor = 0;
	uint64_t idx;
	uint64_t h;

	if (!av || canon_of(av, addr, addrlen, &want))
		return FI_ADDR_NOTAVAIL;
	h = weft_hash_bytes(want.b, want.len);
	weft_lock_acquire(&av->lock);
	while (weft_hash_next(&av->index, h, &cursor, &idx)) {
		struct av_slot *s = slot_get(av, idx);
		if (s && !canon_of(av, s->addr, s->len, &have) &&
		    have.len == want.len && !memcmp(have.b, want.b, want.len)) {
			found = idx;
			break;
		}
	}
	weft_lock_release(&av->lock);
	return found;
}

static int av_lookup(struct fid_av *av_fid, fi_addr_t fi_addr, void *addr,
		     size_t *addrlen)
{
	struct weft_av *av;
	struct av_slot *s;
	int ret = 0;

	if (!av_fid || av_fid->fid.fclass != FI_CLASS_AV || !addrlen ||
	    (*addrlen && !addr))
		return -FI_EINVAL;
	av = weft_av_of(av_fid);
	weft_lock_acquire(&av->lock);
	s = slot_used(av, fi_addr);
	if (!s) {
		ret = -FI_EINVAL;
	} else {
		/* fi_av(3): truncate to the buffer, report the full size. */
		if (*addrlen)
			memcpy(addr, s->addr,
			       *addrlen < s->len ? *addrlen : s->len);
		*addrlen = s->len;
	}
	weft_lock_release(&av->lock);
	return ret;
}

/* ---- fi_av_straddr ------------------------------------------------------- */

static const char *av_straddr(struct fid_av *av_fid, const void *addr,
			      char *buf, size_t *len)
{
	struct weft_av *av;
	char host[INET6_ADDRSTRLEN];
	int n = -1;
	sa_family_t fam;

	if (!av_fid || av_fid->fid.fclass != FI_CLASS_AV || !addr || !len ||
	    (*len && !buf))
		return NULL;
	av = weft_av_of(av_fid);
	if (av->addr_format == FI_ADDR_STR) {
		n = snprintf(buf, *len, "%s", (const char *)addr);
		goto done;
	}
	memcpy(&fam, addr, sizeof(fam));
	if (fam == AF_INET) {
		struct sockaddr_in sin;
		memcpy(&sin, addr, sizeof(sin));
		if (inet_ntop(AF_INET, &sin.sin_addr, host, sizeof(host)))
			n = snprintf(buf, *len, "fi_sockaddr_in://%s:%u", host,
				     ntohs(sin.sin_port));
	} else if (fam == AF_INET6) {
		struct sockaddr_in6 sin6;
		memcpy(&sin6, addr, sizeof(sin6));
		if (inet_ntop(AF_INET6, &sin6.sin6_addr, host, sizeof(host)))
			n = snprintf(buf, *len, "fi_sockaddr_in6://[%s]:%u",
				     host, ntohs(sin6.sin6_port));
	} else {
		n = snprintf(buf, *len, "fi_addr_unknown://family%u",
			     (unsigned)fam);
	}
done:
	if (n < 0)
		return NULL;
	*len = (size_t)n + 1;
	return buf;
}

/* ---- name resolution: fi_av_insertsvc / fi_av_insertsym ------------------ */

/* Pack one sockaddr into out (an array in the AV's format) at *used bytes;
 * out has room for one sockaddr_in6 per entry. */
static int pack_sockaddr(const struct weft_av *av, const struct sockaddr *sa,
			 unsigned char *out, size_t *used)
{
	size_t n = family_len(sa->sa_family);

	if (!family_ok(av->addr_format, sa->sa_family))
		return -FI_EADDRNOTAVAIL;
	if (av->addr_format != FI_SOCKADDR)
		n = av->addrlen;
	memcpy(out + *used, sa, family_len(sa->sa_family));
	*used += n;
	return 0;
}

static int resolve(const struct weft_av *av, const char *node,
		   const char *service, struct sockaddr_storage *ss)
{
	struct addrinfo hints, *res;
	int ret;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_DGRAM; /* one answer per address */
	switch (av->addr_format) {
	case FI_SOCKADDR_IN:
		hints.ai_family = AF_INET;
		break;
	case FI_SOCKADDR_IN6:
		hints.ai_family = AF_INET6;
		hints.ai_flags = AI_V4MAPPED;
		break;
	default:
		hints.ai_family = AF_UNSPEC;
		break;
	}
	ret = getaddrinfo(node, service, &hints, &res);
	if (ret)
		return ret == EAI_MEMORY ? -FI_ENOMEM : -FI_EADDRNOTAVAIL;
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, res->ai_addr, res->ai_addrlen < sizeof(*ss) ?
					 res->ai_addrlen : sizeof(*ss));
	freeaddrinfo(res);
	return family_len(ss->ss_family) ? 0 : -FI_EADDRNOTAVAIL;
}

static int av_insertsvc(struct fid_av *av_fid, const char *node,
			const char *service, fi_addr_t *fi_addr,
			uint64_t flags, void *context)
{
	struct weft_av *av;
	struct sockaddr_storage ss;
	unsigned char packed[sizeof(struct sockaddr_in6)];
	size_t used = 0;
	int ret;

	if (!av_fid || av_fid->fid.fclass != FI_CLASS_AV || !node)
		return -FI_EINVAL;
	av = weft_av_of(av_fid);
	if (av->addr_format == FI_ADDR_STR) {
		/* fi_av(3): an FI_ADDR_STR address goes in node alone. */
		if (service)
			return -FI_EINVAL;
		return av_insert(av_fid, &node, 1, fi_addr, flags, context);
	}
	if (!service)
		return -FI_EINVAL;
	ret = resolve(av, node, service, &ss);
	if (!ret)
		ret = pack_sockaddr(av, (struct sockaddr *)&ss, packed, &used);
	if (ret)
		return ret;
	return av_insert(av_fid, packed, 1, fi_addr, flags, context);
}

int weft_av_sym_node_name(const char *node, size_t step, char *out,
			  size_t outlen)
{
	struct in_addr a4;
	struct in6_addr a6;
	size_t len, digits = 0;
	unsigned long long num;
	int n;

	if (!node || !out || !outlen)
		return -FI_EINVAL;
	len = strlen(node);
	if (inet_pton(AF_INET, node, &a4) == 1) {
		uint64_t v = ntohl(a4.s_addr) + (uint64_t)step;
		if (v > UINT32_MAX)
			return -FI_EINVAL;
		a4.s_addr = htonl((uint32_t)v);
		return inet_ntop(AF_INET, &a4, out, (socklen_t)outlen) ?
			       0 : -FI_ETOOSMALL;
	}
	if (inet_pton(AF_INET6, node, &a6) == 1) {
		/* Add step to the address as a 128-bit big-endian number. */
		uint64_t carry = step;
		for (int i = 15; i >= 0 && carry; i--) {
			carry += a6.s6_addr[i];
			a6.s6_addr[i] = (uint8_t)carry;
			carry >>= 8;
		}
		if (carry)
			return -FI_EINVAL;
		return inet_ntop(AF_INET6, &a6, out, (socklen_t)outlen) ?
			       0 : -FI_ETOOSMALL;
	}
	if (step == 0) {
		n = snprintf(out, outlen, "%s", node);
		return n >= 0 && (size_t)n < outlen ? 0 : -FI_ETOOSMALL;
	}
	while (digits < len && isdigit((unsigned char)node[len - 1 - digits]))
		digits++;
	if (!digits || digits > 18)
		return -FI_EINVAL;
	num = strtoull(node + len - digits, NULL, 10);
	n = snprintf(out, outlen, "%.*s%0*llu", (int)(len - digits), node,
		     (int)digits, num + step);
	return n >= 0 && (size_t)n < outlen ? 0 : -FI_ETOOSMALL;
}

static int sym_node(const struct weft_av *av, const char *node, size_t step,
		    const char *service, struct sockaddr_storage *ss)
{
	char name[NI_MAXHOST];
	int ret = weft_av_sym_node_name(node, step, name, sizeof(name));

	return ret ? ret : resolve(av, name, service, ss);
}

static int av_insertsym(struct fid_av *av_fid, const char *node,
			size_t nodecnt, const char *service, size_t svccnt,
			fi_addr_t *fi_addr, uint64_t flags, void *context)
{
	struct weft_av *av;
	unsigned char *packed;
	size_t total, bytes, used = 0;
	unsigned long port;
	char *end;
	int ret = 0;

	if (!av_fid || av_fid->fid.fclass != FI_CLASS_AV || !node ||
	    !service || !nodecnt || !svccnt)
		return -FI_EINVAL;
	av = weft_av_of(av_fid);
	if (!is_sockaddr_format(av->addr_format))
		return -FI_ENOSYS;
	errno = 0;
	port = strtoul(service, &end, 10);
	if (errno || end == service || *end || port + svccnt - 1 > 65535 ||
	    svccnt > 65536)
		return -FI_EINVAL;
	if (__builtin_mul_overflow(nodecnt, svccnt, &total) ||
	    total > INT_MAX ||
	    __builtin_mul_overflow(total, sizeof(struct sockaddr_in6), &bytes))
		return -FI_EINVAL;
	packed = malloc(bytes);
	if (!packed)
		return -FI_ENOMEM;
	for (size_t n = 0; n < nodecnt && !ret; n++) {
		struct sockaddr_storage ss;

		ret = sym_node(av, node, n, service, &ss);
		for (size_t s = 0; s < svccnt && !ret; s++) {
			in_port_t p = htons((in_port_t)(port + s));
			if (ss.ss_family == AF_INET)
				((struct sockaddr_in *)&ss)->sin_port = p;
			else
				((struct sockaddr_in6 *)&ss)->sin6_port = p;
			ret = pack_sockaddr(av, (struct sockaddr *)&ss, packed,
					    &used);
		}
	}
	if (!ret)
		ret = av_insert(av_fid, packed, total, fi_addr, flags, context);
	free(packed);
	return ret;
}

/* ---- fid plumbing -------------------------------------------------------- */

static int av_set_none(struct fid_av *av, struct fi_av_set_attr *attr,
		       struct fid_av_set **av_set, void *context)
{
	return -FI_ENOSYS;
}

static struct fi_ops_av av_ops = {
	.size = sizeof(struct fi_ops_av),
	.insert = av_insert,
	.insertsvc = av_insertsvc,
	.insertsym = av_insertsym,
	.remove = av_remove,
	.lookup = av_lookup,
	.straddr = av_straddr,
	.av_set = av_set_none,
};

static void av_free(struct weft_av *av)
{
	for (unsigned i = 0; i < WEFT_AV_CHUNKS; i++)
		free(atomic_load_explicit(&av->chunks[i],
					  memory_order_relaxed));
	weft_hash_fini(&av->index);
	weft_lock_destroy(&av->lock);
	free(av);
}

static int av_close(struct fid *fid)
{
	struct weft_av *av;

	if (!fid || fid->fclass != FI_CLASS_AV)
		return -FI_EINVAL;
	av = weft_container_of(fid, struct weft_av, av_fid.fid);
	if (atomic_load(&av->ref) > 0)
		return -FI_EBUSY;
	if (av->eq)
		atomic_fetch_sub(&av->eq->ref, 1);
	atomic_fetch_sub(&av->domain->ref, 1);
	av->av_fid.fid.fclass = FI_CLASS_UNSPEC;
	av_free(av);
	return 0;
}

static int av_bind(struct fid *fid, struct fid *bfid, uint64_t flags)
{
	struct weft_av *av;
	struct weft_eq *eq;

	if (!fid || fid->fclass != FI_CLASS_AV || !bfid ||
	    bfid->fclass != FI_CLASS_EQ || flags)
		return -FI_EINVAL;
	av = weft_container_of(fid, struct weft_av, av_fid.fid);
	eq = weft_container_of(bfid, struct weft_eq, eq_fid.fid);
	if (av->domain->fabric && eq->fabric && eq->fabric != av->domain->fabric)
		return -FI_EINVAL;
	weft_lock_acquire(&av->lock);
	if (av->eq) {
		weft_lock_release(&av->lock);
		return -FI_EINVAL;
	}
	av->eq = eq;
	atomic_fetch_add(&eq->ref, 1);
	weft_lock_release(&av->lock);
	return 0;
}

static struct fi_ops av_fi_ops = {
	.size = sizeof(struct fi_ops),
	.close = av_close,
	.bind = av_bind,
	.control = weft_fid_control_none,
	.ops_open = weft_fid_ops_open_none,
	.tostr = weft_fid_tostr_none,
	.ops_set = weft_fid_ops_set_none,
};

int weft_av_open(struct fid_domain *domain, struct fi_av_attr *attr,
		 struct fid_av **av_out, void *context)
{
	struct weft_domain *dom;
	struct weft_av *av;
	enum fi_av_type type;
	uint32_t fmt = FI_FORMAT_UNSPEC;
	size_t hint;
	int ret;

	if (!domain || domain->fid.fclass != FI_CLASS_DOMAIN || !attr ||
	    !av_out)
		return -FI_EINVAL;
	dom = weft_domain_of(domain);
	if (attr->flags & ~(FI_EVENT | FI_READ | FI_SYMMETRIC | FI_AV_USER_ID))
		return -FI_EINVAL;
	/* Named (shared) AVs, and read-only access which needs one. */
	if (attr->name || (attr->flags & FI_READ))
		return -FI_ENOSYS;
	if (attr->rx_ctx_bits < 0 || attr->rx_ctx_bits > 32)
		return -FI_EINVAL;

	type = attr->type;
	if (type == FI_AV_UNSPEC && dom->info && dom->info->domain_attr)
		type = dom->info->domain_attr->av_type;
	if (type == FI_AV_UNSPEC)
		type = FI_AV_MAP;
	if (type != FI_AV_MAP && type != FI_AV_TABLE)
		return -FI_EINVAL;

	if (dom->info)
		fmt = dom->info->addr_format;
	if (fmt == FI_FORMAT_UNSPEC)
		fmt = FI_SOCKADDR;
	if (!format_addrlen(fmt))
		return -FI_EINVAL;

	av = calloc(1, sizeof(*av));
	if (!av)
		return -FI_ENOMEM;
	av->domain = dom;
	av->type = type;
	av->addr_format = fmt;
	av->addrlen = format_addrlen(fmt);
	av->flags = attr->flags;
	av->stride = (sizeof(struct av_slot) + av->addrlen + 7) & ~(size_t)7;
	/* count is only a hint: size for it, up to a point, then grow. */
	hint = attr->count < ((size_t)1 << AV_MAX_SHIFT) ?
		       attr->count : ((size_t)1 << AV_MAX_SHIFT);
	av->base_shift = AV_MIN_SHIFT;
	while (av->base_shift < AV_MAX_SHIFT &&
	       ((size_t)1 << av->base_shift) < hint)
		av->base_shift++;
	av->rx_ctx_bits = attr->rx_ctx_bits;
	av->index_mask = attr->rx_ctx_bits ? ~0ULL >> attr->rx_ctx_bits : ~0ULL;
	atomic_init(&av->ref, 0);
	for (unsigned i = 0; i < WEFT_AV_CHUNKS; i++)
		atomic_init(&av->chunks[i], NULL);

	ret = weft_hash_init(&av->index, hint);
	if (ret) {
		free(av);
		return ret;
	}
	/* Same rule as the domain lock: only DOMAIN and COMPLETION threading
	 * promise one thread at a time across all endpoints sharing the AV. */
	if (weft_lock_init(&av->lock, dom->threading != FI_THREAD_DOMAIN &&
					      dom->threading !=
						      FI_THREAD_COMPLETION)) {
		weft_hash_fini(&av->index);
		free(av);
		return -FI_ENOMEM;
	}

	av->av_fid.fid.fclass = FI_CLASS_AV;
	av->av_fid.fid.context = context;
	av->av_fid.fid.ops = &av_fi_ops;
	av->av_fid.ops = &av_ops;
	atomic_fetch_add(&dom->ref, 1);
	attr->type = type;
	*av_out = &av->av_fid;
	return 0;
}
