/* udp provider: FI_EP_DGRAM over UDP sockets. Internal types shared by the
 * provider's files.
 *
 * Object layout follows util: each object embeds its weft_* base as the
 * first member, and a small udp_*_of() helper converts back.
 */
#ifndef WEFT_UDP_H
#define WEFT_UDP_H

#include <netinet/in.h>
#include <rdma/fabric.h>
#include <rdma/fi_cm.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_endpoint.h>
#include <rdma/fi_errno.h>
#include <rdma/providers/fi_log.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "core/prov.h"
#include "udp_proto.h"
#include "util/ep.h"
#include "util/fabric.h"

/* Advertised limits. */
#define UDP_IOV_LIMIT 4
#define UDP_DEF_QUEUE_SIZE 1024
#define UDP_MAX_QUEUE_SIZE 65536

extern struct fi_provider udp_prov;
extern const struct weft_prov_desc udp_desc;
extern const struct fi_info *const udp_infos[];

/* Tunables, read once by udp_init() (see udp_init.c for help texts). */
struct udp_params {
	char *iface;  /* FI_UDP_IFACE: only this interface, or NULL */
	int sndbuf;   /* FI_UDP_SNDBUF: SO_SNDBUF bytes, 0 = kernel default */
	int rcvbuf;   /* FI_UDP_RCVBUF: SO_RCVBUF bytes, 0 = kernel default */
	int rdm_rto_min_us; /* FI_UDP_RDM_RTO_MIN_US */
	int rdm_dead_ms;    /* FI_UDP_RDM_DEAD_MS */
	int rdm_mtu;        /* FI_UDP_RDM_MTU: 0 = by interface */
	int rdm_drop_ppm;   /* FI_UDP_RDM_DROP_PPM: test-only loss */
	int rdm_unexp_mb;   /* FI_UDP_RDM_UNEXP_MB: unexpected pool, 0 = 64 */
};
extern struct udp_params udp_params;

/* getinfo fixup hook (udp_attr.c). */
int udp_info_fixup(uint32_t version, const char *node, const char *service,
		   uint64_t flags, const struct fi_info *hints,
		   struct fi_info *info, struct fi_info **last);

union udp_sockaddr {
	struct sockaddr sa;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
};

/* Largest message for an address family on an interface with this MTU
 * (0: unknown, assume the largest datagram). */
size_t udp_max_msg_size(int family, unsigned int mtu);

/* ---- fabric, domain ------------------------------------------------ */


int udp_fabric_open(struct fi_fabric_attr *attr, struct fid_fabric **fabric,
		    void *context);
int udp_domain_open(struct fid_fabric *fabric, struct fi_info *info,
		    struct fid_domain **domain, void *context);

/* ---- endpoint ---------------------------------------------------------- */

/* A posted receive. iov[0] is the endpoint's header scratch, iov[1..] the
 * application's buffers, so one recvmsg() lands the payload in place. */
struct udp_rx_entry {
	void *context;
	uint64_t flags;   /* op flags: FI_COMPLETION decides selective reports */
	size_t capacity;  /* sum of the application's iov lengths */
	size_t iov_count; /* including the header slot */
	struct iovec iov[1 + UDP_IOV_LIMIT];
};

struct udp_stats {
	uint64_t rx_bad;   /* not ours, wrong version, malformed: dropped */
	uint64_t rx_trunc; /* delivered truncated (FI_ETRUNC) */
};

struct udp_ep {
	struct weft_ep util; /* first */
	int sock;            /* nonblocking SOCK_DGRAM, see `bound` */
	int family;
	socklen_t addrlen;   /* sizeof the family's sockaddr */
	union udp_sockaddr addr; /* configured, then bound (getname) */
	size_t max_msg_size; /* payload bytes per datagram */
	size_t inject_size;
	size_t tx_size;
	bool bound;          /* socket bound (at fi_enable or first getname) */
	bool want_source;    /* FI_SOURCE asked and an AV is bound */
	bool source_err;     /* FI_SOURCE_ERR asked */

	/* Posted receives: a ring of rx_mask+1 entries (a power of two >=
	 * rx_attr->size), allocated at open. head/tail are free-running;
	 * entries [head, tail) are posted, oldest first. Owned by whoever
	 * holds util.lock (the lock is a no-op below FI_THREAD_SAFE, where
	 * the application serialises calls). */
	struct udp_rx_entry *rxq;
	uint32_t rx_mask, rx_head, rx_tail;
	size_t rx_size;      /* rx_attr->size: how many may be posted */

	/* Receive scratch, reused by every recvmsg (under util.lock). */
	struct udp_hdr rx_hdr;
	union udp_sockaddr rx_src;

	struct udp_stats stats;
};

static inline struct udp_ep *udp_ep_of(struct fid_ep *e)
{
	return weft_container_of(e, struct udp_ep, util.ep_fid);
}

static inline struct udp_ep *udp_ep_of_fid(struct fid *f)
{
	return udp_ep_of(weft_container_of(f, struct fid_ep, fid));
}

int udp_endpoint_open(struct fid_domain *domain, struct fi_info *info,
		      struct fid_ep **ep, void *context);

/* The data path (udp_msg.c) and progress (udp_progress.c). */
extern struct fi_ops_msg udp_msg_ops;
void udp_ep_progress(struct weft_ep *ep);
/* Move arrived datagrams into posted receives: drops foreign datagrams,
 * completes at most one receive. Caller holds ep->util.lock. */
void udp_rx_progress(struct udp_ep *ep);
/* Remove the posted receive with this context: FI_ECANCELED completion.
 * 0 or -FI_ENOENT. */
int udp_rx_cancel(struct udp_ep *ep, void *context);

/* Socket naming shared by the DGRAM and RDM endpoints (udp_ep.c): each
 * endpoint keeps its socket, family, address and bound flag and passes
 * them in. udp_sock_bind binds once and stores the address the kernel
 * chose; getname binds first, so a name can be handed out before
 * fi_enable; setname is refused once bound. */
int udp_sock_bind(int sock, union udp_sockaddr *addr, socklen_t addrlen,
		  bool *bound);
int udp_sock_setname(union udp_sockaddr *addr, socklen_t addrlen, int family,
		     bool bound, const void *name, size_t namelen);
int udp_sock_getname(int sock, union udp_sockaddr *addr, socklen_t addrlen,
		     bool *bound, void *name, size_t *namelen);

/* errno -> -FI_E*, for the syscall wrappers. */
static inline int udp_errno_to_fi(int err)
{
	return -err; /* FI_E* values are the errno values on Linux */
}

#endif
