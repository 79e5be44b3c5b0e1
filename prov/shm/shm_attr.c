/* What the shm provider offers: one fi_info template (FI_EP_RDM, string
 * addresses) as static data for the core's matcher, and the fixup hook
 * that fills the addresses of a matched copy. */
#include <stdlib.h>
#include <string.h>

#include "shm.h"

#define SHM_TX_CAPS                                                            \
	(FI_MSG | FI_TAGGED | FI_RMA | FI_ATOMIC | FI_SEND | FI_READ |         \
	 FI_WRITE | FI_FENCE)
#define SHM_RX_CAPS                                                            \
	(FI_MSG | FI_TAGGED | FI_RMA | FI_ATOMIC | FI_RECV | FI_REMOTE_READ |  \
	 FI_REMOTE_WRITE | FI_SOURCE | FI_SOURCE_ERR | FI_DIRECTED_RECV |      \
	 FI_MULTI_RECV | FI_RMA_EVENT)
#define SHM_DOMAIN_CAPS (FI_LOCAL_COMM)
#define SHM_CAPS (SHM_TX_CAPS | SHM_RX_CAPS | SHM_DOMAIN_CAPS)

static struct fi_tx_attr shm_tx_attr = {
	.caps = SHM_TX_CAPS,
	.msg_order = FI_ORDER_SAS,
	.comp_order = FI_ORDER_NONE,
	/* What an inline RMA write carries (an entry's payload less the
	 * remote range); messages of up to SHM_INLINE_SIZE go inline
	 * anyway. */
	.inject_size = SHM_RMA_INLINE_SIZE,
	.size = SHM_DEF_TX_SIZE,
	.iov_limit = SHM_IOV_LIMIT,
	.rma_iov_limit = SHM_IOV_LIMIT,
	.op_flags = 0,
};

static struct fi_rx_attr shm_rx_attr = {
	.caps = SHM_RX_CAPS,
	.msg_order = FI_ORDER_SAS,
	.comp_order = FI_ORDER_NONE,
	.total_buffered_recv = 0,
	.size = SHM_DEF_RX_SIZE,
	.iov_limit = SHM_IOV_LIMIT,
};

static struct fi_ep_attr shm_ep_attr = {
	.type = FI_EP_RDM,
	.protocol = FI_PROTO_SHM,
	.protocol_version = SHM_PROTO_VERSION,
	.max_msg_size = SHM_MAX_MSG_SIZE,
	.tx_ctx_cnt = 1,
	.rx_ctx_cnt = 1,
};

/* Data progress is manual: arrivals are processed when the application
 * reads a bound CQ or counter, or posts. */
static struct fi_domain_attr shm_domain_attr = {
	.name = "shm",
	.threading = FI_THREAD_SAFE,
	.control_progress = FI_PROGRESS_AUTO,
	.data_progress = FI_PROGRESS_MANUAL,
	.resource_mgmt = FI_RM_ENABLED,
	.av_type = FI_AV_UNSPEC,
	.mr_mode = 0,
	.mr_key_size = sizeof(uint64_t),
	.cq_data_size = sizeof(uint64_t),
	.cq_cnt = 1024,
	.ep_cnt = 1024,
	.tx_ctx_cnt = 1024,
	.rx_ctx_cnt = 1024,
	.max_ep_tx_ctx = 1,
	.max_ep_rx_ctx = 1,
	.cntr_cnt = 1024,
	.mr_iov_limit = 1,
	.caps = SHM_DOMAIN_CAPS,
	.mr_cnt = 65536,
	/* FI_SOURCE_ERR hands back the sender's name as err_data. */
	.max_err_data = SHM_NAME_MAX,
};

static struct fi_fabric_attr shm_fabric_attr = {
	.name = "shm",
	.prov_version = WEFT_PROV_VERSION,
};

static const struct fi_info shm_info = {
	.caps = SHM_CAPS,
	.addr_format = FI_ADDR_STR,
	.tx_attr = &shm_tx_attr,
	.rx_attr = &shm_rx_attr,
	.ep_attr = &shm_ep_attr,
	.domain_attr = &shm_domain_attr,
	.fabric_attr = &shm_fabric_attr,
};

const struct fi_info *const shm_infos[] = {
	&shm_info,
	NULL,
};

static int shm_set_addr(void **dst, size_t *dstlen, const char *s)
{
	char *copy = strdup(s);

	if (!copy)
		return -FI_ENOMEM;
	free(*dst);
	*dst = copy;
	*dstlen = strlen(copy) + 1;
	return 0;
}

/* Addresses: an endpoint always names itself ("fi_shm://<pid>:<n>",
 * chosen at fi_endpoint), so src_addr is only passed through from the
 * hints. A node that is one of our names is a destination (or, with
 * FI_SOURCE, a source); anything else (a host name, an IP address that
 * an out-of-band setup passes along) says nothing about shared memory and
 * is ignored. */
int shm_info_fixup(uint32_t version, const char *node, const char *service,
		   uint64_t flags, const struct fi_info *hints,
		   struct fi_info *info, struct fi_info **last)
{
	uint32_t pid, n;
	int ret = 0;

	(void)version;
	(void)service;
	*last = info;
	if (info->addr_format != FI_ADDR_STR)
		return -FI_ENODATA;
	if (hints && hints->src_addr && hints->src_addrlen &&
	    !shm_name_parse(hints->src_addr, hints->src_addrlen, &pid, &n))
		ret = shm_set_addr(&info->src_addr, &info->src_addrlen,
				   hints->src_addr);
	if (!ret && hints && hints->dest_addr && hints->dest_addrlen &&
	    !shm_name_parse(hints->dest_addr, hints->dest_addrlen, &pid, &n))
		ret = shm_set_addr(&info->dest_addr, &info->dest_addrlen,
				   hints->dest_addr);
	if (!ret && node && !shm_name_parse(node, strlen(node) + 1, &pid, &n)) {
		if (flags & FI_SOURCE)
			ret = shm_set_addr(&info->src_addr, &info->src_addrlen,
					   node);
		else
			ret = shm_set_addr(&info->dest_addr,
					   &info->dest_addrlen, node);
	}
	return ret;
}
