/* What the tcp provider offers: one fi_info template per address family,
 * as static data for the core's matcher. No fixup hook: the core resolves
 * node/service into src_addr/dest_addr for socket address formats
 * (weft_info_resolve_sockaddr), and one domain serves every interface. */
#include "tcp_rdm.h"

#define TCP_TX_CAPS                                                            \
	(FI_MSG | FI_TAGGED | FI_RMA | FI_ATOMIC | FI_SEND | FI_READ | FI_WRITE)
#define TCP_RX_CAPS                                                            \
	(FI_MSG | FI_TAGGED | FI_RMA | FI_ATOMIC | FI_RECV | FI_REMOTE_READ |   \
	 FI_REMOTE_WRITE)
#define TCP_DOMAIN_CAPS (FI_LOCAL_COMM | FI_REMOTE_COMM)
#define TCP_CAPS (TCP_TX_CAPS | TCP_RX_CAPS | TCP_DOMAIN_CAPS)

/* One byte stream per connection: messages are sent, delivered and
 * completed in order. */
#define TCP_MSG_ORDER                                                          \
	(FI_ORDER_SAS | FI_ORDER_SAW | FI_ORDER_WAS | FI_ORDER_WAW |           \
	 FI_ORDER_RAR | FI_ORDER_RAW | FI_ORDER_WAR)

static struct fi_tx_attr tcp_tx_attr = {
	.caps = TCP_TX_CAPS,
	.op_flags = 0,
	.msg_order = TCP_MSG_ORDER,
	.comp_order = FI_ORDER_STRICT,
	.inject_size = TCP_INJECT_SIZE,
	.size = TCP_DEF_QUEUE_SIZE,
	.iov_limit = TCP_IOV_LIMIT,
	.rma_iov_limit = 1,
};

static struct fi_rx_attr tcp_rx_attr = {
	.caps = TCP_RX_CAPS,
	.msg_order = TCP_MSG_ORDER,
	.comp_order = FI_ORDER_STRICT,
	.total_buffered_recv = 0,
	.size = TCP_DEF_QUEUE_SIZE,
	.iov_limit = TCP_IOV_LIMIT,
};

static struct fi_ep_attr tcp_ep_attr = {
	.type = FI_EP_MSG,
	.protocol = FI_PROTO_SOCK_TCP,
	.protocol_version = TCP_PROTO_VERSION,
	.max_msg_size = TCP_MAX_MSG_SIZE,
	.msg_prefix_size = 0,
	.tx_ctx_cnt = 1,
	.rx_ctx_cnt = 1,
};

/* Data progress is manual: the application's CQ/counter reads move data,
 * its EQ reads move connection management. */
static struct fi_domain_attr tcp_domain_attr = {
	.name = "tcp",
	.threading = FI_THREAD_SAFE,
	.control_progress = FI_PROGRESS_MANUAL,
	.data_progress = FI_PROGRESS_MANUAL,
	.resource_mgmt = FI_RM_ENABLED,
	.av_type = FI_AV_UNSPEC,
	.mr_mode = 0,
	.mr_key_size = sizeof(uint64_t),
	.cq_data_size = sizeof(uint64_t),
	.cq_cnt = 1024,
	.ep_cnt = 65536,
	.tx_ctx_cnt = 65536,
	.rx_ctx_cnt = 65536,
	.max_ep_tx_ctx = 1,
	.max_ep_rx_ctx = 1,
	.cntr_cnt = 1024,
	.mr_iov_limit = 1,
	.caps = TCP_DOMAIN_CAPS,
	.mr_cnt = 65536,
	.max_err_data = TCP_CM_DATA_MAX,
};

/* FI_EP_MSG: both kinds of progress automatic (a progress thread per
 * domain, util/progress.h, tcp_fabric.c); an application that asks for
 * FI_PROGRESS_MANUAL gets manual progress and no thread (the matcher
 * hands out what was asked for when the provider offers AUTO). */
static struct fi_domain_attr tcp_msg_domain_attr = {
	.name = "tcp",
	.threading = FI_THREAD_SAFE,
	.control_progress = FI_PROGRESS_AUTO,
	.data_progress = FI_PROGRESS_AUTO,
	.resource_mgmt = FI_RM_ENABLED,
	.av_type = FI_AV_UNSPEC,
	.mr_mode = 0,
	.mr_key_size = sizeof(uint64_t),
	.cq_data_size = sizeof(uint64_t),
	.cq_cnt = 1024,
	.ep_cnt = 65536,
	.tx_ctx_cnt = 65536,
	.rx_ctx_cnt = 65536,
	.max_ep_tx_ctx = 1,
	.max_ep_rx_ctx = 1,
	.cntr_cnt = 1024,
	.mr_iov_limit = 1,
	.caps = TCP_DOMAIN_CAPS,
	.mr_cnt = 65536,
	.max_err_data = TCP_CM_DATA_MAX,
};

static struct fi_fabric_attr tcp_fabric_attr = {
	.name = "tcp",
	.prov_version = WEFT_PROV_VERSION,
};

static const struct fi_info tcp_info_ipv4 = {
	.caps = TCP_CAPS,
	.addr_format = FI_SOCKADDR_IN,
	.tx_attr = &tcp_tx_attr,
	.rx_attr = &tcp_rx_attr,
	.ep_attr = &tcp_ep_attr,
	.domain_attr = &tcp_msg_domain_attr,
	.fabric_attr = &tcp_fabric_attr,
};

static const struct fi_info tcp_info_ipv6 = {
	.caps = TCP_CAPS,
	.addr_format = FI_SOCKADDR_IN6,
	.tx_attr = &tcp_tx_attr,
	.rx_attr = &tcp_rx_attr,
	.ep_attr = &tcp_ep_attr,
	.domain_attr = &tcp_msg_domain_attr,
	.fabric_attr = &tcp_fabric_attr,
};

/* FI_EP_RDM (tcp_rdm.h): connections made on demand per peer. Order:
 * one stream per peer, except that a rendezvous message's data lands
 * after later small messages and writes, so nothing is promised about
 * what follows a send (no FI_ORDER_WAS, RAS). */
#define TCP_RDM_TX_CAPS (TCP_TX_CAPS)
#define TCP_RDM_RX_CAPS                                                        \
	(TCP_RX_CAPS | FI_MULTI_RECV | FI_SOURCE | FI_DIRECTED_RECV)
#define TCP_RDM_CAPS (TCP_RDM_TX_CAPS | TCP_RDM_RX_CAPS | TCP_DOMAIN_CAPS)
#define TCP_RDM_ORDER                                                          \
	(FI_ORDER_SAS | FI_ORDER_SAW | FI_ORDER_WAW | FI_ORDER_RAR |           \
	 FI_ORDER_RAW | FI_ORDER_WAR)

static struct fi_tx_attr tcp_rdm_tx_attr = {
	.caps = TCP_RDM_TX_CAPS,
	.op_flags = 0,
	.msg_order = TCP_RDM_ORDER,
	.comp_order = FI_ORDER_NONE,
	.inject_size = TCP_RDM_INJECT_SIZE,
	.size = TCP_DEF_QUEUE_SIZE,
	.iov_limit = TCP_IOV_LIMIT,
	.rma_iov_limit = 1,
};

static struct fi_rx_attr tcp_rdm_rx_attr = {
	.caps = TCP_RDM_RX_CAPS,
	.msg_order = TCP_RDM_ORDER,
	.comp_order = FI_ORDER_NONE,
	.total_buffered_recv = 0,
	.size = TCP_DEF_QUEUE_SIZE,
	.iov_limit = TCP_IOV_LIMIT,
};

static struct fi_ep_attr tcp_rdm_ep_attr = {
	.type = FI_EP_RDM,
	.protocol = FI_PROTO_SOCK_TCP,
	.protocol_version = TCP_PROTO_VERSION,
	.max_msg_size = TCP_MAX_MSG_SIZE,
	.msg_prefix_size = 0,
	.tx_ctx_cnt = 1,
	.rx_ctx_cnt = 1,
};

static const struct fi_info tcp_rdm_info_ipv4 = {
	.caps = TCP_RDM_CAPS,
	.addr_format = FI_SOCKADDR_IN,
	.tx_attr = &tcp_rdm_tx_attr,
	.rx_attr = &tcp_rdm_rx_attr,
	.ep_attr = &tcp_rdm_ep_attr,
	.domain_attr = &tcp_domain_attr,
	.fabric_attr = &tcp_fabric_attr,
};

static const struct fi_info tcp_rdm_info_ipv6 = {
	.caps = TCP_RDM_CAPS,
	.addr_format = FI_SOCKADDR_IN6,
	.tx_attr = &tcp_rdm_tx_attr,
	.rx_attr = &tcp_rdm_rx_attr,
	.ep_attr = &tcp_rdm_ep_attr,
	.domain_attr = &tcp_domain_attr,
	.fabric_attr = &tcp_fabric_attr,
};

const struct fi_info *const tcp_infos[] = {
	&tcp_info_ipv4,
	&tcp_info_ipv6,
	&tcp_rdm_info_ipv4,
	&tcp_rdm_info_ipv6,
	NULL,
};
