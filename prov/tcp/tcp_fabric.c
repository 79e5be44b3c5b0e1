/* The tcp fabric and domain: util's base objects with util's CQ, counter,
 * EQ, AV and MR implementations plugged into the ops tables; passive
 * endpoints and endpoints are the provider's own. */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "tcp_rdm.h"

static struct fi_ops_fabric tcp_fabric_ops = {
	.size = sizeof(struct fi_ops_fabric),
	.domain = tcp_domain_open,
	.passive_ep = tcp_passive_ep,
	.eq_open = weft_eq_open,
	.wait_open = weft_fabric_wait_open_none,
	.trywait = weft_fabric_trywait,
	.domain2 = weft_fabric_domain2,
};

int tcp_fabric_open(struct fi_fabric_attr *attr, struct fid_fabric **fabric,
		    void *context)
{
	return weft_fabric_open(&tcp_desc, &tcp_fabric_ops, attr, fabric,
				context);
}

/* ---- domain ----------------------------------------------------------- */

/* FI_EP_RDM endpoints are their own kind (tcp_rdm_ep.c); everything
 * else is an FI_EP_MSG endpoint. */
static int tcp_endpoint(struct fid_domain *domain, struct fi_info *info,
			struct fid_ep **ep, void *context)
{
	if (info && info->ep_attr && info->ep_attr->type == FI_EP_RDM)
		return tcp_rdm_endpoint_open(domain, info, ep, context);
	return tcp_endpoint_open(domain, info, ep, context);
}

static int tcp_endpoint2(struct fid_domain *domain, struct fi_info *info,
			 struct fid_ep **ep, uint64_t flags, void *context)
{
	if (flags)
		return -FI_EBADFLAGS;
	return tcp_endpoint(domain, info, ep, context);
}

static struct fi_ops_domain tcp_domain_ops = {
	.size = sizeof(struct fi_ops_domain),
	.av_open = weft_av_open,
	.cq_open = weft_cq_open,
	.endpoint = tcp_endpoint,
	.scalable_ep = weft_domain_scalable_ep_none,
	.cntr_open = weft_cntr_open,
	.poll_open = weft_domain_poll_open_none,
	.stx_ctx = weft_domain_stx_ctx_none,
	.srx_ctx = weft_domain_srx_ctx_none,
	.query_atomic = weft_domain_query_atomic,
	.query_collective = weft_domain_query_collective_none,
	.endpoint2 = tcp_endpoint2,
};

static int tcp_domain_close(struct fid *fid)
{
	struct tcp_domain *dom;
	int ret;

	if (!fid || fid->fclass != FI_CLASS_DOMAIN)
		return -FI_EINVAL;
	dom = weft_container_of(fid, struct tcp_domain, util.domain_fid.fid);
	ret = weft_domain_fini(&dom->util);
	if (ret)
		return ret;
	/* Nothing is left in the domain: the thread has no endpoint. */
	weft_progress_thread_stop(&dom->pt);
	close(dom->epfd);
	pthread_mutex_destroy(&dom->poll_lock);
	free(dom);
	return 0;
}

static struct fi_ops tcp_domain_fi_ops = {
	.size = sizeof(struct fi_ops),
	.close = tcp_domain_close,
	.bind = weft_domain_bind,
	.control = weft_fid_control_none,
	.ops_open = weft_fid_ops_open_none,
	.tostr = weft_fid_tostr_none,
	.ops_set = weft_fid_ops_set_none,
};

/* Automatic progress when the application asked for it (or left it
 * unspecified: the MSG template offers FI_PROGRESS_AUTO, which the
 * matcher then hands out) for data or control. */
static bool tcp_wants_auto(const struct fi_info *info)
{
	const struct fi_domain_attr *da = info->domain_attr;

	return da && (da->data_progress == FI_PROGRESS_AUTO ||
		      da->control_progress == FI_PROGRESS_AUTO);
}

int tcp_domain_open(struct fid_fabric *fabric, struct fi_info *info,
		    struct fid_domain **domain, void *context)
{
	struct tcp_domain *dom;
	int ret;

	if (!fabric || !info || !domain)
		return -FI_EINVAL;
	if (info->addr_format != FI_SOCKADDR_IN &&
	    info->addr_format != FI_SOCKADDR_IN6 &&
	    info->addr_format != FI_SOCKADDR &&
	    info->addr_format != FI_FORMAT_UNSPEC)
		return -FI_EINVAL;
	dom = calloc(1, sizeof(*dom));
	if (!dom)
		return -FI_ENOMEM;
	dom->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (dom->epfd < 0) {
		ret = -errno;
		goto err_free;
	}
	if (pthread_mutex_init(&dom->poll_lock, NULL)) {
		ret = -FI_ENOMEM;
		goto err_epfd;
	}
	atomic_init(&dom->poll_seq, 1);
	atomic_init(&dom->neps, 0);
	ret = weft_domain_init(&dom->util, weft_fabric_of(fabric), info,
			       context);
	if (ret)
		goto err_lock;
	if (tcp_wants_auto(info)) {
		/* The thread races with the application at every threading
		 * level: every lock in the domain must be real, so the
		 * objects opened in it see FI_THREAD_SAFE. */
		dom->util.threading = FI_THREAD_SAFE;
		dom->util.lock.enabled = true;
		ret = weft_progress_thread_start(&dom->pt);
		if (ret) {
			weft_domain_fini(&dom->util);
			goto err_lock;
		}
		dom->auto_progress = true;
	}
	/* The MR ops stay util's. */
	dom->util.domain_fid.fid.ops = &tcp_domain_fi_ops;
	dom->util.domain_fid.ops = &tcp_domain_ops;
	*domain = &dom->util.domain_fid;
	return 0;

err_lock:
	pthread_mutex_destroy(&dom->poll_lock);
err_epfd:
	close(dom->epfd);
err_free:
	free(dom);
	return ret;
}
