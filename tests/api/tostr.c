/* fi_tostr / fi_tostr_r through the public API.
 *
 * The expected strings below were produced by libfabric 1.17 (Debian's
 * libfabric.so.1) from the very same inputs: build this file with
 * -DTOSTR_GENERATE against that library and it prints the table instead of
 * checking it. weft must print the same bytes, since fi_info -v output is
 * compared between the two.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <rdma/fabric.h>
#include <rdma/fi_collective.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_eq.h>
#include <rdma/fi_trigger.h>
#include <rdma/providers/fi_log.h>

#ifndef TOSTR_GENERATE
#include "testlib.h"
#else
#include <stdio.h>
#include <stdlib.h>
#define CHECK(c) ((void)(c))
#endif

/* ---- inputs ------------------------------------------------------------ */

static struct sockaddr_in sin4;
static struct sockaddr_in6 sin6;
static struct fi_tx_attr tx;
static struct fi_rx_attr rx;
static struct fi_ep_attr ep;
static struct fi_domain_attr dom;
static struct fi_fabric_attr fab;
static struct fi_info info4, info6, info_str, info_bare;

static void build_inputs(void)
{
	sin4.sin_family = AF_INET;
	sin4.sin_port = htons(4711);
	inet_pton(AF_INET, "192.0.2.7", &sin4.sin_addr);
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(9);
	inet_pton(AF_INET6, "fd00::2", &sin6.sin6_addr);

	tx.caps = FI_MSG | FI_RMA | FI_TAGGED | FI_SEND | FI_READ | FI_WRITE;
	tx.mode = FI_CONTEXT;
	tx.op_flags = FI_COMPLETION | FI_TRANSMIT_COMPLETE;
	tx.msg_order = FI_ORDER_SAS | FI_ORDER_RMA_RAW;
	tx.comp_order = FI_ORDER_NONE;
	tx.inject_size = 1256;
	tx.size = 1024;
	tx.iov_limit = 4;
	tx.rma_iov_limit = 4;
	tx.tclass = FI_TC_BULK_DATA;

	rx.caps = FI_MSG | FI_RECV | FI_MULTI_RECV | FI_SOURCE;
	rx.op_flags = FI_MULTI_RECV;
	rx.msg_order = FI_ORDER_SAS;
	rx.comp_order = FI_ORDER_STRICT | FI_ORDER_DATA;
	rx.total_buffered_recv = 65536;
	rx.size = 512;
	rx.iov_limit = 2;

	ep.type = FI_EP_RDM;
	ep.protocol = FI_PROTO_UDP;
	ep.protocol_version = 1;
	ep.max_msg_size = SIZE_MAX;
	ep.max_order_raw_size = 64;
	ep.mem_tag_format = 0xaaaaaaaaaaaaaaaaULL;
	ep.tx_ctx_cnt = 1;
	ep.rx_ctx_cnt = 1;

	dom.name = "eth0";
	dom.threading = FI_THREAD_SAFE;
	dom.control_progress = FI_PROGRESS_AUTO;
	dom.data_progress = FI_PROGRESS_MANUAL;
	dom.resource_mgmt = FI_RM_ENABLED;
	dom.av_type = FI_AV_TABLE;
	dom.mr_mode = FI_MR_LOCAL | FI_MR_VIRT_ADDR | FI_MR_PROV_KEY;
	dom.mr_key_size = 8;
	dom.cq_data_size = 8;
	dom.cq_cnt = 128;
	dom.ep_cnt = 128;
	dom.caps = FI_LOCAL_COMM | FI_REMOTE_COMM;
	dom.mr_iov_limit = 1;

	fab.name = "192.0.2.0/24";
	fab.prov_name = "udp";
	fab.prov_version = FI_VERSION(117, 0);
	fab.api_version = FI_VERSION(1, 17);

	info4.caps = FI_MSG | FI_RMA | FI_TAGGED | FI_ATOMIC | FI_SOURCE |
		     FI_DIRECTED_RECV | FI_HMEM;
	info4.mode = FI_CONTEXT | FI_MSG_PREFIX;
	info4.addr_format = FI_SOCKADDR_IN;
	info4.src_addrlen = sizeof(sin4);
	info4.src_addr = &sin4;
	info4.tx_attr = &tx;
	info4.rx_attr = &rx;
	info4.ep_attr = &ep;
	info4.domain_attr = &dom;
	info4.fabric_attr = &fab;

	info6 = info4;
	info6.addr_format = FI_SOCKADDR_IN6;
	info6.src_addrlen = sizeof(sin6);
	info6.src_addr = &sin6;
	info6.dest_addrlen = sizeof(sin6);
	info6.dest_addr = &sin6;

	info_str = info4;
	info_str.addr_format = FI_ADDR_STR;
	info_str.src_addr = (void *)"fi_shm://6381";
	info_str.src_addrlen = 14;

	info_bare.addr_format = FI_SOCKADDR;
	info_bare.src_addr = &sin6;
	info_bare.src_addrlen = sizeof(sin6);
	info_bare.dest_addr = &sin4;
	info_bare.dest_addrlen = sizeof(sin4);
}

/* Scalars that the cases point at. */
static const int ep_rdm = FI_EP_RDM, ep_bad = 42, thr_dom = FI_THREAD_DOMAIN,
		 prog_manual = FI_PROGRESS_MANUAL, av_map = FI_AV_MAP,
		 dt_u128 = FI_UINT128, op_mswap = FI_MSWAP, op_void = FI_NOOP,
		 eq_connreq = FI_CONNREQ, opt_tsend = FI_OP_TSEND,
		 coll_gather = FI_GATHER, hmem_ze = FI_HMEM_ZE,
		 cqf_tagged = FI_CQ_FORMAT_TAGGED, lvl_info = FI_LOG_INFO,
		 lvl_bad = FI_LOG_MAX, sub_ep_data = FI_LOG_EP_DATA,
		 mr_modes = FI_MR_BASIC | FI_MR_LOCAL | FI_MR_HMEM |
			    FI_MR_COLLECTIVE,
		 mr_none = 0;
static const uint32_t af_in6 = FI_SOCKADDR_IN6, af_prov = FI_PROV_SPECIFIC | 3,
		      af_bad = 99, proto_xnet = FI_PROTO_XNET,
		      proto_mrail = FI_PROTO_MRAIL, ver = FI_VERSION(1, 5);
static const uint64_t caps_all = ~0ULL, caps_none = 0,
		      caps_some = FI_MSG | FI_RECV | FI_SEND | FI_HMEM |
				  FI_SHARED_AV,
		      opf_all = ~0ULL, order_all = ~0ULL,
		      order_strict = FI_ORDER_STRICT, mode_all = ~0ULL,
		      cqev = FI_SEND | FI_MSG | FI_REMOTE_CQ_DATA | FI_CLAIM;

struct tostr_case {
	const char *what;
	const void *data;
	enum fi_type type;
};

#define CASE(data, type) { #data " as " #type, data, type }

static const struct tostr_case cases[] = {
	CASE(&ep_rdm, FI_TYPE_EP_TYPE),
	CASE(&ep_bad, FI_TYPE_EP_TYPE),
	CASE(&caps_all, FI_TYPE_CAPS),
	CASE(&caps_none, FI_TYPE_CAPS),
	CASE(&caps_some, FI_TYPE_CAPS),
	CASE(&opf_all, FI_TYPE_OP_FLAGS),
	CASE(&af_in6, FI_TYPE_ADDR_FORMAT),
	CASE(&af_prov, FI_TYPE_ADDR_FORMAT),
	CASE(&af_bad, FI_TYPE_ADDR_FORMAT),
	CASE(&tx, FI_TYPE_TX_ATTR),
	CASE(&rx, FI_TYPE_RX_ATTR),
	CASE(&ep, FI_TYPE_EP_ATTR),
	CASE(&dom, FI_TYPE_DOMAIN_ATTR),
	CASE(&fab, FI_TYPE_FABRIC_ATTR),
	CASE(&thr_dom, FI_TYPE_THREADING),
	CASE(&prog_manual, FI_TYPE_PROGRESS),
	CASE(&proto_xnet, FI_TYPE_PROTOCOL),
	CASE(&proto_mrail, FI_TYPE_PROTOCOL),
	CASE(&order_all, FI_TYPE_MSG_ORDER),
	CASE(&order_strict, FI_TYPE_MSG_ORDER),
	CASE(&mode_all, FI_TYPE_MODE),
	CASE(&av_map, FI_TYPE_AV_TYPE),
	CASE(&dt_u128, FI_TYPE_ATOMIC_TYPE),
	CASE(&op_mswap, FI_TYPE_ATOMIC_OP),
	CASE(&op_void, FI_TYPE_ATOMIC_OP),
	CASE(&ver, FI_TYPE_VERSION),
	CASE(&eq_connreq, FI_TYPE_EQ_EVENT),
	CASE(&cqev, FI_TYPE_CQ_EVENT_FLAGS),
	CASE(&mr_modes, FI_TYPE_MR_MODE),
	CASE(&mr_none, FI_TYPE_MR_MODE),
	CASE(&opt_tsend, FI_TYPE_OP_TYPE),
	CASE(&coll_gather, FI_TYPE_COLLECTIVE_OP),
	CASE(&hmem_ze, FI_TYPE_HMEM_IFACE),
	CASE(&cqf_tagged, FI_TYPE_CQ_FORMAT),
	CASE(&lvl_info, FI_TYPE_LOG_LEVEL),
	CASE(&lvl_bad, FI_TYPE_LOG_LEVEL),
	CASE(&sub_ep_data, FI_TYPE_LOG_SUBSYS),
	CASE(&ep_rdm, (enum fi_type)(FI_TYPE_LOG_SUBSYS + 1)),
	CASE(&info4, FI_TYPE_INFO),
	CASE(&info6, FI_TYPE_INFO),
	CASE(&info_str, FI_TYPE_INFO),
	CASE(&info_bare, FI_TYPE_INFO),
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

#ifdef TOSTR_GENERATE

static void print_c_string(const char *s)
{
	printf("\t\"");
	for (; *s; s++) {
		if (*s == '\n')
			printf("\\n\"\n\t\"");
		else if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else
			putchar(*s);
	}
	printf("\",\n");
}

int main(void)
{
	build_inputs();
	printf("static const char *const expected[] = {\n");
	for (size_t i = 0; i < NCASES; i++) {
		printf("\t/* %s */\n", cases[i].what);
		print_c_string(fi_tostr(cases[i].data, cases[i].type));
	}
	printf("};\n");
	return 0;
}

#else

/* ---- expected (generated from libfabric 1.17, see the top) ------------- */
/* BEGIN GENERATED */
static const char *const expected[] = {
	/* &ep_rdm as FI_TYPE_EP_TYPE */
	"FI_EP_RDM",
	/* &ep_bad as FI_TYPE_EP_TYPE */
	"Unknown",
	/* &caps_all as FI_TYPE_CAPS */
	"FI_MSG, FI_RMA, FI_TAGGED, FI_ATOMIC, FI_MULTICAST, FI_COLLECTIVE, FI_READ, FI_WRITE, FI_RECV, FI_SEND, FI_REMOTE_READ, FI_REMOTE_WRITE, FI_MULTI_RECV, FI_REMOTE_CQ_DATA, FI_TRIGGER, FI_FENCE, FI_VARIABLE_MSG, FI_RMA_PMEM, FI_SOURCE_ERR, FI_LOCAL_COMM, FI_REMOTE_COMM, FI_SHARED_AV, FI_RMA_EVENT, FI_SOURCE, FI_NAMED_RX_CTX, FI_DIRECTED_RECV, FI_HMEM",
	/* &caps_none as FI_TYPE_CAPS */
	"",
	/* &caps_some as FI_TYPE_CAPS */
	"FI_MSG, FI_RECV, FI_SEND, FI_SHARED_AV, FI_HMEM",
	/* &opf_all as FI_TYPE_OP_FLAGS */
	"FI_MULTICAST, FI_MULTI_RECV, FI_REMOTE_CQ_DATA, FI_MORE, FI_PEEK, FI_TRIGGER, FI_FENCE, FI_COMPLETION, FI_INJECT, FI_INJECT_COMPLETE, FI_TRANSMIT_COMPLETE, FI_DELIVERY_COMPLETE, FI_MATCH_COMPLETE, FI_AFFINITY, FI_CLAIM, FI_DISCARD",
	/* &af_in6 as FI_TYPE_ADDR_FORMAT */
	"FI_SOCKADDR_IN6",
	/* &af_prov as FI_TYPE_ADDR_FORMAT */
	"Provider specific",
	/* &af_bad as FI_TYPE_ADDR_FORMAT */
	"Unknown",
	/* &tx as FI_TYPE_TX_ATTR */
	"fi_tx_attr:\n"
	"    caps: [ FI_MSG, FI_RMA, FI_TAGGED, FI_READ, FI_WRITE, FI_SEND ]\n"
	"    mode: [ FI_CONTEXT ]\n"
	"    op_flags: [ FI_COMPLETION, FI_TRANSMIT_COMPLETE ]\n"
	"    msg_order: [ FI_ORDER_SAS, FI_ORDER_RMA_RAW ]\n"
	"    comp_order: [ FI_ORDER_NONE ]\n"
	"    inject_size: 1256\n"
	"    size: 1024\n"
	"    iov_limit: 4\n"
	"    rma_iov_limit: 4\n"
	"    tclass: 0x203\n"
	"",
	/* &rx as FI_TYPE_RX_ATTR */
	"fi_rx_attr:\n"
	"    caps: [ FI_MSG, FI_RECV, FI_MULTI_RECV, FI_SOURCE ]\n"
	"    mode: [  ]\n"
	"    op_flags: [ FI_MULTI_RECV ]\n"
	"    msg_order: [ FI_ORDER_SAS ]\n"
	"    comp_order: [ FI_ORDER_STRICT, FI_ORDER_DATA ]\n"
	"    total_buffered_recv: 65536\n"
	"    size: 512\n"
	"    iov_limit: 2\n"
	"",
	/* &ep as FI_TYPE_EP_ATTR */
	"fi_ep_attr:\n"
	"    type: FI_EP_RDM\n"
	"    protocol: FI_PROTO_UDP\n"
	"    protocol_version: 1\n"
	"    max_msg_size: 18446744073709551615\n"
	"    msg_prefix_size: 0\n"
	"    max_order_raw_size: 64\n"
	"    max_order_war_size: 0\n"
	"    max_order_waw_size: 0\n"
	"    mem_tag_format: 0xaaaaaaaaaaaaaaaa\n"
	"    tx_ctx_cnt: 1\n"
	"    rx_ctx_cnt: 1\n"
	"    auth_key_size: 0\n"
	"",
	/* &dom as FI_TYPE_DOMAIN_ATTR */
	"fi_domain_attr:\n"
	"    domain: 0x0\n"
	"    name: eth0\n"
	"    threading: FI_THREAD_SAFE\n"
	"    control_progress: FI_PROGRESS_AUTO\n"
	"    data_progress: FI_PROGRESS_MANUAL\n"
	"    resource_mgmt: FI_RM_ENABLED\n"
	"    av_type: FI_AV_TABLE\n"
	"    mr_mode: [ FI_MR_LOCAL, FI_MR_VIRT_ADDR, FI_MR_PROV_KEY ]\n"
	"    mr_key_size: 8\n"
	"    cq_data_size: 8\n"
	"    cq_cnt: 128\n"
	"    ep_cnt: 128\n"
	"    tx_ctx_cnt: 0\n"
	"    rx_ctx_cnt: 0\n"
	"    max_ep_tx_ctx: 0\n"
	"    max_ep_rx_ctx: 0\n"
	"    max_ep_stx_ctx: 0\n"
	"    max_ep_srx_ctx: 0\n"
	"    cntr_cnt: 0\n"
	"    mr_iov_limit: 1\n"
	"    caps: [ FI_LOCAL_COMM, FI_REMOTE_COMM ]\n"
	"    mode: [  ]\n"
	"    auth_key_size: 0\n"
	"    max_err_data: 0\n"
	"    mr_cnt: 0\n"
	"    tclass: 0x0\n"
	"",
	/* &fab as FI_TYPE_FABRIC_ATTR */
	"fi_fabric_attr:\n"
	"    name: 192.0.2.0/24\n"
	"    prov_name: udp\n"
	"    prov_version: 117.0\n"
	"    api_version: 1.17\n"
	"",
	/* &thr_dom as FI_TYPE_THREADING */
	"FI_THREAD_DOMAIN",
	/* &prog_manual as FI_TYPE_PROGRESS */
	"FI_PROGRESS_MANUAL",
	/* &proto_xnet as FI_TYPE_PROTOCOL */
	"FI_PROTO_XNET",
	/* &proto_mrail as FI_TYPE_PROTOCOL */
	"Unknown",
	/* &order_all as FI_TYPE_MSG_ORDER */
	"FI_ORDER_RAR, FI_ORDER_RAW, FI_ORDER_RAS, FI_ORDER_WAR, FI_ORDER_WAW, FI_ORDER_WAS, FI_ORDER_SAR, FI_ORDER_SAW, FI_ORDER_SAS, FI_ORDER_RMA_RAR, FI_ORDER_RMA_RAW, FI_ORDER_RMA_WAR, FI_ORDER_RMA_WAW, FI_ORDER_ATOMIC_RAR, FI_ORDER_ATOMIC_RAW, FI_ORDER_ATOMIC_WAR, FI_ORDER_ATOMIC_WAW",
	/* &order_strict as FI_TYPE_MSG_ORDER */
	"FI_ORDER_RAR, FI_ORDER_RAW, FI_ORDER_RAS, FI_ORDER_WAR, FI_ORDER_WAW, FI_ORDER_WAS, FI_ORDER_SAR, FI_ORDER_SAW, FI_ORDER_SAS",
	/* &mode_all as FI_TYPE_MODE */
	"FI_CONTEXT, FI_MSG_PREFIX, FI_ASYNC_IOV, FI_RX_CQ_DATA, FI_LOCAL_MR, FI_NOTIFY_FLAGS_ONLY, FI_RESTRICTED_COMP, FI_CONTEXT2, FI_BUFFERED_RECV",
	/* &av_map as FI_TYPE_AV_TYPE */
	"FI_AV_MAP",
	/* &dt_u128 as FI_TYPE_ATOMIC_TYPE */
	"FI_UINT128",
	/* &op_mswap as FI_TYPE_ATOMIC_OP */
	"FI_MSWAP",
	/* &op_void as FI_TYPE_ATOMIC_OP */
	"Unknown",
	/* &ver as FI_TYPE_VERSION */
	"1.17.0",
	/* &eq_connreq as FI_TYPE_EQ_EVENT */
	"FI_CONNREQ",
	/* &cqev as FI_TYPE_CQ_EVENT_FLAGS */
	"FI_SEND, FI_MSG, FI_REMOTE_CQ_DATA, FI_CLAIM",
	/* &mr_modes as FI_TYPE_MR_MODE */
	"FI_MR_BASIC, FI_MR_LOCAL, FI_MR_HMEM, FI_MR_COLLECTIVE",
	/* &mr_none as FI_TYPE_MR_MODE */
	"",
	/* &opt_tsend as FI_TYPE_OP_TYPE */
	"FI_OP_TSEND",
	/* &coll_gather as FI_TYPE_COLLECTIVE_OP */
	"FI_GATHER",
	/* &hmem_ze as FI_TYPE_HMEM_IFACE */
	"FI_HMEM_ZE",
	/* &cqf_tagged as FI_TYPE_CQ_FORMAT */
	"FI_CQ_FORMAT_TAGGED",
	/* &lvl_info as FI_TYPE_LOG_LEVEL */
	"info",
	/* &lvl_bad as FI_TYPE_LOG_LEVEL */
	"Unknown",
	/* &sub_ep_data as FI_TYPE_LOG_SUBSYS */
	"ep_data",
	/* &ep_rdm as (enum fi_type)(FI_TYPE_LOG_SUBSYS + 1) */
	"Unknown type",
	/* &info4 as FI_TYPE_INFO */
	"fi_info:\n"
	"    caps: [ FI_MSG, FI_RMA, FI_TAGGED, FI_ATOMIC, FI_SOURCE, FI_DIRECTED_RECV, FI_HMEM ]\n"
	"    mode: [ FI_CONTEXT, FI_MSG_PREFIX ]\n"
	"    addr_format: FI_SOCKADDR_IN\n"
	"    src_addrlen: 16\n"
	"    dest_addrlen: 0\n"
	"    src_addr: fi_sockaddr_in://192.0.2.7:4711\n"
	"    dest_addr: (null)\n"
	"    handle: (nil)\n"
	"    fi_tx_attr:\n"
	"        caps: [ FI_MSG, FI_RMA, FI_TAGGED, FI_READ, FI_WRITE, FI_SEND ]\n"
	"        mode: [ FI_CONTEXT ]\n"
	"        op_flags: [ FI_COMPLETION, FI_TRANSMIT_COMPLETE ]\n"
	"        msg_order: [ FI_ORDER_SAS, FI_ORDER_RMA_RAW ]\n"
	"        comp_order: [ FI_ORDER_NONE ]\n"
	"        inject_size: 1256\n"
	"        size: 1024\n"
	"        iov_limit: 4\n"
	"        rma_iov_limit: 4\n"
	"        tclass: 0x203\n"
	"    fi_rx_attr:\n"
	"        caps: [ FI_MSG, FI_RECV, FI_MULTI_RECV, FI_SOURCE ]\n"
	"        mode: [  ]\n"
	"        op_flags: [ FI_MULTI_RECV ]\n"
	"        msg_order: [ FI_ORDER_SAS ]\n"
	"        comp_order: [ FI_ORDER_STRICT, FI_ORDER_DATA ]\n"
	"        total_buffered_recv: 65536\n"
	"        size: 512\n"
	"        iov_limit: 2\n"
	"    fi_ep_attr:\n"
	"        type: FI_EP_RDM\n"
	"        protocol: FI_PROTO_UDP\n"
	"        protocol_version: 1\n"
	"        max_msg_size: 18446744073709551615\n"
	"        msg_prefix_size: 0\n"
	"        max_order_raw_size: 64\n"
	"        max_order_war_size: 0\n"
	"        max_order_waw_size: 0\n"
	"        mem_tag_format: 0xaaaaaaaaaaaaaaaa\n"
	"        tx_ctx_cnt: 1\n"
	"        rx_ctx_cnt: 1\n"
	"        auth_key_size: 0\n"
	"    fi_domain_attr:\n"
	"        domain: 0x0\n"
	"        name: eth0\n"
	"        threading: FI_THREAD_SAFE\n"
	"        control_progress: FI_PROGRESS_AUTO\n"
	"        data_progress: FI_PROGRESS_MANUAL\n"
	"        resource_mgmt: FI_RM_ENABLED\n"
	"        av_type: FI_AV_TABLE\n"
	"        mr_mode: [ FI_MR_LOCAL, FI_MR_VIRT_ADDR, FI_MR_PROV_KEY ]\n"
	"        mr_key_size: 8\n"
	"        cq_data_size: 8\n"
	"        cq_cnt: 128\n"
	"        ep_cnt: 128\n"
	"        tx_ctx_cnt: 0\n"
	"        rx_ctx_cnt: 0\n"
	"        max_ep_tx_ctx: 0\n"
	"        max_ep_rx_ctx: 0\n"
	"        max_ep_stx_ctx: 0\n"
	"        max_ep_srx_ctx: 0\n"
	"        cntr_cnt: 0\n"
	"        mr_iov_limit: 1\n"
	"        caps: [ FI_LOCAL_COMM, FI_REMOTE_COMM ]\n"
	"        mode: [  ]\n"
	"        auth_key_size: 0\n"
	"        max_err_data: 0\n"
	"        mr_cnt: 0\n"
	"        tclass: 0x0\n"
	"    fi_fabric_attr:\n"
	"        name: 192.0.2.0/24\n"
	"        prov_name: udp\n"
	"        prov_version: 117.0\n"
	"        api_version: 1.17\n"
	"    nic: (nil)\n"
	"",
	/* &info6 as FI_TYPE_INFO */
	"fi_info:\n"
	"    caps: [ FI_MSG, FI_RMA, FI_TAGGED, FI_ATOMIC, FI_SOURCE, FI_DIRECTED_RECV, FI_HMEM ]\n"
	"    mode: [ FI_CONTEXT, FI_MSG_PREFIX ]\n"
	"    addr_format: FI_SOCKADDR_IN6\n"
	"    src_addrlen: 28\n"
	"    dest_addrlen: 28\n"
	"    src_addr: fi_sockaddr_in6://[fd00::2]:9\n"
	"    dest_addr: fi_sockaddr_in6://[fd00::2]:9\n"
	"    handle: (nil)\n"
	"    fi_tx_attr:\n"
	"        caps: [ FI_MSG, FI_RMA, FI_TAGGED, FI_READ, FI_WRITE, FI_SEND ]\n"
	"        mode: [ FI_CONTEXT ]\n"
	"        op_flags: [ FI_COMPLETION, FI_TRANSMIT_COMPLETE ]\n"
	"        msg_order: [ FI_ORDER_SAS, FI_ORDER_RMA_RAW ]\n"
	"        comp_order: [ FI_ORDER_NONE ]\n"
	"        inject_size: 1256\n"
	"        size: 1024\n"
	"        iov_limit: 4\n"
	"        rma_iov_limit: 4\n"
	"        tclass: 0x203\n"
	"    fi_rx_attr:\n"
	"        caps: [ FI_MSG, FI_RECV, FI_MULTI_RECV, FI_SOURCE ]\n"
	"        mode: [  ]\n"
	"        op_flags: [ FI_MULTI_RECV ]\n"
	"        msg_order: [ FI_ORDER_SAS ]\n"
	"        comp_order: [ FI_ORDER_STRICT, FI_ORDER_DATA ]\n"
	"        total_buffered_recv: 65536\n"
	"        size: 512\n"
	"        iov_limit: 2\n"
	"    fi_ep_attr:\n"
	"        type: FI_EP_RDM\n"
	"        protocol: FI_PROTO_UDP\n"
	"        protocol_version: 1\n"
	"        max_msg_size: 18446744073709551615\n"
	"        msg_prefix_size: 0\n"
	"        max_order_raw_size: 64\n"
	"        max_order_war_size: 0\n"
	"        max_order_waw_size: 0\n"
	"        mem_tag_format: 0xaaaaaaaaaaaaaaaa\n"
	"        tx_ctx_cnt: 1\n"
	"        rx_ctx_cnt: 1\n"
	"        auth_key_size: 0\n"
	"    fi_domain_attr:\n"
	"        domain: 0x0\n"
	"        name: eth0\n"
	"        threading: FI_THREAD_SAFE\n"
	"        control_progress: FI_PROGRESS_AUTO\n"
	"        data_progress: FI_PROGRESS_MANUAL\n"
	"        resource_mgmt: FI_RM_ENABLED\n"
	"        av_type: FI_AV_TABLE\n"
	"        mr_mode: [ FI_MR_LOCAL, FI_MR_VIRT_ADDR, FI_MR_PROV_KEY ]\n"
	"        mr_key_size: 8\n"
	"        cq_data_size: 8\n"
	"        cq_cnt: 128\n"
	"        ep_cnt: 128\n"
	"        tx_ctx_cnt: 0\n"
	"        rx_ctx_cnt: 0\n"
	"        max_ep_tx_ctx: 0\n"
	"        max_ep_rx_ctx: 0\n"
	"        max_ep_stx_ctx: 0\n"
	"        max_ep_srx_ctx: 0\n"
	"        cntr_cnt: 0\n"
	"        mr_iov_limit: 1\n"
	"        caps: [ FI_LOCAL_COMM, FI_REMOTE_COMM ]\n"
	"        mode: [  ]\n"
	"        auth_key_size: 0\n"
	"        max_err_data: 0\n"
	"        mr_cnt: 0\n"
	"        tclass: 0x0\n"
	"    fi_fabric_attr:\n"
	"        name: 192.0.2.0/24\n"
	"        prov_name: udp\n"
	"        prov_version: 117.0\n"
	"        api_version: 1.17\n"
	"    nic: (nil)\n"
	"",
	/* &info_str as FI_TYPE_INFO */
	"fi_info:\n"
	"    caps: [ FI_MSG, FI_RMA, FI_TAGGED, FI_ATOMIC, FI_SOURCE, FI_DIRECTED_RECV, FI_HMEM ]\n"
	"    mode: [ FI_CONTEXT, FI_MSG_PREFIX ]\n"
	"    addr_format: FI_ADDR_STR\n"
	"    src_addrlen: 14\n"
	"    dest_addrlen: 0\n"
	"    src_addr: fi_shm://6381\n"
	"    dest_addr: (null)\n"
	"    handle: (nil)\n"
	"    fi_tx_attr:\n"
	"        caps: [ FI_MSG, FI_RMA, FI_TAGGED, FI_READ, FI_WRITE, FI_SEND ]\n"
	"        mode: [ FI_CONTEXT ]\n"
	"        op_flags: [ FI_COMPLETION, FI_TRANSMIT_COMPLETE ]\n"
	"        msg_order: [ FI_ORDER_SAS, FI_ORDER_RMA_RAW ]\n"
	"        comp_order: [ FI_ORDER_NONE ]\n"
	"        inject_size: 1256\n"
	"        size: 1024\n"
	"        iov_limit: 4\n"
	"        rma_iov_limit: 4\n"
	"        tclass: 0x203\n"
	"    fi_rx_attr:\n"
	"        caps: [ FI_MSG, FI_RECV, FI_MULTI_RECV, FI_SOURCE ]\n"
	"        mode: [  ]\n"
	"        op_flags: [ FI_MULTI_RECV ]\n"
	"        msg_order: [ FI_ORDER_SAS ]\n"
	"        comp_order: [ FI_ORDER_STRICT, FI_ORDER_DATA ]\n"
	"        total_buffered_recv: 65536\n"
	"        size: 512\n"
	"        iov_limit: 2\n"
	"    fi_ep_attr:\n"
	"        type: FI_EP_RDM\n"
	"        protocol: FI_PROTO_UDP\n"
	"        protocol_version: 1\n"
	"        max_msg_size: 18446744073709551615\n"
	"        msg_prefix_size: 0\n"
	"        max_order_raw_size: 64\n"
	"        max_order_war_size: 0\n"
	"        max_order_waw_size: 0\n"
	"        mem_tag_format: 0xaaaaaaaaaaaaaaaa\n"
	"        tx_ctx_cnt: 1\n"
	"        rx_ctx_cnt: 1\n"
	"        auth_key_size: 0\n"
	"    fi_domain_attr:\n"
	"        domain: 0x0\n"
	"        name: eth0\n"
	"        threading: FI_THREAD_SAFE\n"
	"        control_progress: FI_PROGRESS_AUTO\n"
	"        data_progress: FI_PROGRESS_MANUAL\n"
	"        resource_mgmt: FI_RM_ENABLED\n"
	"        av_type: FI_AV_TABLE\n"
	"        mr_mode: [ FI_MR_LOCAL, FI_MR_VIRT_ADDR, FI_MR_PROV_KEY ]\n"
	"        mr_key_size: 8\n"
	"        cq_data_size: 8\n"
	"        cq_cnt: 128\n"
	"        ep_cnt: 128\n"
	"        tx_ctx_cnt: 0\n"
	"        rx_ctx_cnt: 0\n"
	"        max_ep_tx_ctx: 0\n"
	"        max_ep_rx_ctx: 0\n"
	"        max_ep_stx_ctx: 0\n"
	"        max_ep_srx_ctx: 0\n"
	"        cntr_cnt: 0\n"
	"        mr_iov_limit: 1\n"
	"        caps: [ FI_LOCAL_COMM, FI_REMOTE_COMM ]\n"
	"        mode: [  ]\n"
	"        auth_key_size: 0\n"
	"        max_err_data: 0\n"
	"        mr_cnt: 0\n"
	"        tclass: 0x0\n"
	"    fi_fabric_attr:\n"
	"        name: 192.0.2.0/24\n"
	"        prov_name: udp\n"
	"        prov_version: 117.0\n"
	"        api_version: 1.17\n"
	"    nic: (nil)\n"
	"",
	/* &info_bare as FI_TYPE_INFO */
	"fi_info:\n"
	"    caps: [  ]\n"
	"    mode: [  ]\n"
	"    addr_format: FI_SOCKADDR\n"
	"    src_addrlen: 28\n"
	"    dest_addrlen: 16\n"
	"    src_addr: fi_sockaddr_in6://[fd00::2]:9\n"
	"    dest_addr: fi_sockaddr_in://192.0.2.7:4711\n"
	"    handle: (nil)\n"
	"    fi_tx_attr: (null)\n"
	"    fi_rx_attr: (null)\n"
	"    fi_ep_attr: (null)\n"
	"    fi_domain_attr: (null)\n"
	"    fi_fabric_attr: (null)\n"
	"    nic: (nil)\n"
	"",
};
/* END GENERATED */

_Static_assert(sizeof(expected) / sizeof(expected[0]) == NCASES,
	       "one expected string per case");

static void check_expected(void)
{
	int failed = 0;

	for (size_t i = 0; i < NCASES; i++) {
		const char *got = fi_tostr(cases[i].data, cases[i].type);
		if (!got || strcmp(got, expected[i]) != 0) {
			fprintf(stderr, "%s:\n--- expected\n%s\n--- got\n%s\n",
				cases[i].what, expected[i], got ? got : "NULL");
			failed = 1;
		}
	}
	CHECK(!failed);
}

/* Every type of the 1.17 header prints something for a zeroed input large
 * enough for any of them. */
static void check_every_type(void)
{
	static uint64_t zero[64];

	for (int t = FI_TYPE_INFO; t <= FI_TYPE_LOG_SUBSYS; t++) {
		const char *s = fi_tostr(zero, (enum fi_type)t);
		if (t == FI_TYPE_CAPS || t == FI_TYPE_OP_FLAGS ||
		    t == FI_TYPE_MSG_ORDER || t == FI_TYPE_MODE ||
		    t == FI_TYPE_CQ_EVENT_FLAGS || t == FI_TYPE_MR_MODE) {
			/* an empty flag set is an empty string */
			CHECK(s && *s == '\0');
			continue;
		}
		if (!s || !*s)
			fprintf(stderr, "type %d printed nothing\n", t);
		CHECK(s && *s);
		CHECK(strcmp(s, "Unknown type") != 0);
	}
}

static void check_sockaddr_forms(void)
{
	struct fi_info info = { 0 };
	const char *s;

	info.addr_format = FI_SOCKADDR_IN;
	info.src_addr = &sin4;
	s = fi_tostr(&info, FI_TYPE_INFO);
	CHECK(strstr(s, "    src_addr: fi_sockaddr_in://192.0.2.7:4711\n"));
	CHECK(strstr(s, "    dest_addr: (null)\n"));
	CHECK(strstr(s, "    handle: (nil)\n"));
	CHECK(strstr(s, "    fi_tx_attr: (null)\n"));
	CHECK(strstr(s, "    nic: (nil)\n"));

	info.addr_format = FI_SOCKADDR_IN6;
	info.src_addr = &sin6;
	s = fi_tostr(&info, FI_TYPE_INFO);
	CHECK(strstr(s, "    src_addr: fi_sockaddr_in6://[fd00::2]:9\n"));
}

/* fi_tostr_r writes only the caller's buffer, never past len, always
 * terminated; fi_tostr reuses one per-thread buffer. */
static void check_tostr_r(void)
{
	char full[8192], buf[64];
	const char *s;
	size_t n;

	s = fi_tostr_r(full, sizeof(full), &info4, FI_TYPE_INFO);
	CHECK(s == full);
	CHECK(strcmp(full, fi_tostr(&info4, FI_TYPE_INFO)) == 0);
	n = strlen(full);
	CHECK(n > sizeof(buf));

	for (size_t len = 1; len <= sizeof(buf) - 8; len++) {
		memset(buf, 'X', sizeof(buf));
		s = fi_tostr_r(buf, len, &info4, FI_TYPE_INFO);
		CHECK(s == buf);
		CHECK(strlen(buf) < len);
		CHECK(strncmp(buf, full, strlen(buf)) == 0);
		for (size_t i = len; i < sizeof(buf); i++)
			CHECK(buf[i] == 'X');
	}
	/* a long flag list truncated mid-way */
	memset(buf, 'X', sizeof(buf));
	CHECK(fi_tostr_r(buf, 20, &caps_all, FI_TYPE_CAPS) == buf);
	CHECK(strlen(buf) < 20 && strncmp(buf, "FI_MSG, ", 8) == 0);
	CHECK(buf[20] == 'X');

	CHECK(fi_tostr_r(buf, 0, &caps_all, FI_TYPE_CAPS) == NULL);
	CHECK(fi_tostr_r(NULL, 10, &caps_all, FI_TYPE_CAPS) == NULL);
	CHECK(fi_tostr_r(buf, sizeof(buf), NULL, FI_TYPE_CAPS) == NULL);
	CHECK(fi_tostr(NULL, FI_TYPE_INFO) == NULL);

	CHECK(fi_tostr(&caps_all, FI_TYPE_CAPS) ==
	      fi_tostr(&mode_all, FI_TYPE_MODE));
	s = fi_tostr(&ep_rdm, (enum fi_type)1000);
	CHECK(s && strcmp(s, "Unknown type") == 0);
	s = fi_tostr(&ep_rdm, (enum fi_type)-1);
	CHECK(s && strcmp(s, "Unknown type") == 0);
}

static int fid_tostr(const struct fid *fid, char *buf, size_t len)
{
	(void)fid;
	return snprintf(buf, len, "my object\n");
}

static void check_fid(void)
{
	struct fi_ops ops = { .size = sizeof(ops), .tostr = fid_tostr };
	struct fid fid = { .fclass = FI_CLASS_EP };
	char want[64];

	snprintf(want, sizeof(want), "fid: %p\n", (void *)&fid);
	CHECK(strcmp(fi_tostr(&fid, FI_TYPE_FID), want) == 0);
	fid.ops = &ops;
	CHECK(strcmp(fi_tostr(&fid, FI_TYPE_FID), "my object\n") == 0);
}

int main(void)
{
	weft_test_require_weft_loaded();
	build_inputs();
	check_expected();
	check_every_type();
	check_sockaddr_forms();
	check_tostr_r();
	check_fid();
	return 0;
}

#endif
