/* fi_tostr over the whole value space: every enumeration type for values
 * -1..39, every flag-set type for each single bit, none and all, and the
 * text form of every address format with a fixed byte pattern.
 *
 * The expected table was produced by libfabric 1.17 (Debian's
 * libfabric.so.1): build this file with -DTOSTR_GENERATE against that
 * library and it prints the table instead of checking it.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <rdma/fabric.h>

#ifndef TOSTR_GENERATE
#include "testlib.h"
#else
#include <stdio.h>
#endif

static const enum fi_type enum_types[] = {
	FI_TYPE_EP_TYPE,    FI_TYPE_ADDR_FORMAT,   FI_TYPE_THREADING,
	FI_TYPE_PROGRESS,   FI_TYPE_PROTOCOL,	   FI_TYPE_AV_TYPE,
	FI_TYPE_ATOMIC_TYPE, FI_TYPE_ATOMIC_OP,	   FI_TYPE_EQ_EVENT,
	FI_TYPE_OP_TYPE,    FI_TYPE_COLLECTIVE_OP, FI_TYPE_HMEM_IFACE,
	FI_TYPE_CQ_FORMAT,  FI_TYPE_LOG_LEVEL,	   FI_TYPE_LOG_SUBSYS,
};

static const enum fi_type flag_types[] = {
	FI_TYPE_CAPS, FI_TYPE_OP_FLAGS,	      FI_TYPE_MSG_ORDER,
	FI_TYPE_MODE, FI_TYPE_CQ_EVENT_FLAGS, FI_TYPE_MR_MODE,
};

#define N(a) (sizeof(a) / sizeof(a[0]))

/* Calls `visit` with each output, in a fixed order. */
static void walk(void (*visit)(const char *what, const char *s))
{
	char what[64];

	for (size_t t = 0; t < N(enum_types); t++) {
		for (int v = -1; v < 40; v++) {
			/* the 32-bit types (addr_format, protocol) and the
			 * int-sized enums read the same 4 bytes */
			int32_t x = v;
			snprintf(what, sizeof(what), "type %d value %d",
				 enum_types[t], v);
			visit(what, fi_tostr(&x, enum_types[t]));
		}
	}
	for (size_t t = 0; t < N(flag_types); t++) {
		for (int b = -1; b <= 64; b++) {
			/* -1: no bit; 64: all bits */
			uint64_t x = b < 0 ? 0 : b == 64 ? ~0ULL : 1ULL << b;
			int mr = b < 0 ? 0 : b == 64 ? -1 : b < 31 ? 1 << b : 0;
			snprintf(what, sizeof(what), "type %d bit %d",
				 flag_types[t], b);
			if (flag_types[t] == FI_TYPE_MR_MODE)
				visit(what, fi_tostr(&mr, flag_types[t]));
			else
				visit(what, fi_tostr(&x, flag_types[t]));
		}
	}

	{
		uint8_t raw[64];
		struct sockaddr_in sin = { .sin_family = AF_INET,
					   .sin_port = htons(1234) };
		struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
					     .sin6_port = htons(99),
					     .sin6_scope_id = 3 };
		struct sockaddr_in unix_fam;
		struct fi_info info;
		const uint32_t raw_formats[] = {
			FI_SOCKADDR_IB, FI_ADDR_PSMX,  FI_ADDR_GNI,
			FI_ADDR_PSMX2,	FI_ADDR_IB_UD, FI_ADDR_EFA,
			FI_ADDR_PSMX3,	FI_ADDR_OPX,   FI_ADDR_CXI,
			FI_FORMAT_UNSPEC, FI_PROV_SPECIFIC | 1, 16,
		};

		for (int i = 0; i < 64; i++)
			raw[i] = (uint8_t)(0x10 + i);
		inet_pton(AF_INET, "10.1.2.3", &sin.sin_addr);
		inet_pton(AF_INET6, "fe80::1", &sin6.sin6_addr);
		unix_fam = sin;
		unix_fam.sin_family = AF_UNIX;

		memset(&info, 0, sizeof(info));
		for (size_t i = 0; i < N(raw_formats); i++) {
			info.addr_format = raw_formats[i];
			info.src_addr = raw;
			info.src_addrlen = sizeof(raw);
			snprintf(what, sizeof(what), "address format %u",
				 raw_formats[i]);
			visit(what, fi_tostr(&info, FI_TYPE_INFO));
		}
		info.addr_format = FI_SOCKADDR_IN;
		info.src_addr = &sin;
		info.dest_addr = &unix_fam;
		visit("sockaddr_in", fi_tostr(&info, FI_TYPE_INFO));
		info.addr_format = FI_SOCKADDR;
		info.dest_addr = &sin6;
		visit("sockaddr", fi_tostr(&info, FI_TYPE_INFO));
		info.addr_format = FI_SOCKADDR_IN6;
		info.src_addr = &sin6;
		info.dest_addr = NULL;
		visit("sockaddr_in6", fi_tostr(&info, FI_TYPE_INFO));
		info.addr_format = FI_ADDR_STR;
		info.src_addr = (void *)"fi_sockaddr_in://1.2.3.4:5";
		info.src_addrlen = 27;
		visit("addr_str", fi_tostr(&info, FI_TYPE_INFO));
	}
}

#ifdef TOSTR_GENERATE

static void print_c_string(const char *what, const char *s)
{
	(void)what;
	printf("\t\"");
	for (; *s; s++) {
		if (*s == '\n')
			printf("\\n");
		else if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else
			putchar(*s);
	}
	printf("\",\n");
}

int main(void)
{
	printf("static const char *const expected[] = {\n");
	walk(print_c_string);
	printf("};\n");
	return 0;
}

#else

/* BEGIN GENERATED */
static const char *const expected[] = {
	"Unknown", "FI_EP_UNSPEC", "FI_EP_MSG", "FI_EP_DGRAM", "FI_EP_RDM",
	"FI_EP_SOCK_STREAM", "FI_EP_SOCK_DGRAM", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Provider specific", "FI_FORMAT_UNSPEC",
	"FI_SOCKADDR", "FI_SOCKADDR_IN", "FI_SOCKADDR_IN6", "FI_SOCKADDR_IB",
	"FI_ADDR_PSMX", "FI_ADDR_GNI", "FI_ADDR_BGQ", "FI_ADDR_MLX",
	"FI_ADDR_STR", "FI_ADDR_PSMX2", "FI_ADDR_IB_UD", "FI_ADDR_EFA",
	"FI_ADDR_PSMX3", "FI_ADDR_OPX", "FI_ADDR_CXI", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"FI_THREAD_UNSPEC", "FI_THREAD_SAFE", "FI_THREAD_FID",
	"FI_THREAD_DOMAIN", "FI_THREAD_COMPLETION", "FI_THREAD_ENDPOINT",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"FI_PROGRESS_UNSPEC", "FI_PROGRESS_AUTO", "FI_PROGRESS_MANUAL",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Provider specific", "FI_PROTO_UNSPEC",
	"FI_PROTO_RDMA_CM_IB_RC", "FI_PROTO_IWARP", "FI_PROTO_IB_UD",
	"FI_PROTO_PSMX", "FI_PROTO_UDP", "FI_PROTO_SOCK_TCP", "Unknown",
	"FI_PROTO_IWARP_RDM", "FI_PROTO_IB_RDM", "FI_PROTO_GNI",
	"FI_PROTO_RXM", "FI_PROTO_RXD", "FI_PROTO_MLX",
	"FI_PROTO_NETWORKDIRECT", "FI_PROTO_PSMX2", "FI_PROTO_SHM", "Unknown",
	"FI_PROTO_RSTREAM", "FI_PROTO_RDMA_CM_IB_XRC", "FI_PROTO_EFA",
	"FI_PROTO_PSMX3", "FI_PROTO_RXM_TCP", "FI_PROTO_OPX", "FI_PROTO_CXI",
	"FI_PROTO_XNET", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "FI_AV_UNSPEC",
	"FI_AV_MAP", "FI_AV_TABLE", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "FI_INT8", "FI_UINT8",
	"FI_INT16", "FI_UINT16", "FI_INT32", "FI_UINT32", "FI_INT64",
	"FI_UINT64", "FI_FLOAT", "FI_DOUBLE", "FI_FLOAT_COMPLEX",
	"FI_DOUBLE_COMPLEX", "FI_LONG_DOUBLE", "FI_LONG_DOUBLE_COMPLEX",
	"FI_INT128", "FI_UINT128", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "FI_MIN", "FI_MAX", "FI_SUM",
	"FI_PROD", "FI_LOR", "FI_LAND", "FI_BOR", "FI_BAND", "FI_LXOR",
	"FI_BXOR", "FI_ATOMIC_READ", "FI_ATOMIC_WRITE", "FI_CSWAP",
	"FI_CSWAP_NE", "FI_CSWAP_LE", "FI_CSWAP_LT", "FI_CSWAP_GE",
	"FI_CSWAP_GT", "FI_MSWAP", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"FI_NOTIFY", "FI_CONNREQ", "FI_CONNECTED", "FI_SHUTDOWN",
	"FI_MR_COMPLETE", "FI_AV_COMPLETE", "FI_JOIN_COMPLETE", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "FI_OP_RECV", "FI_OP_SEND",
	"FI_OP_TRECV", "FI_OP_TSEND", "FI_OP_READ", "FI_OP_WRITE",
	"FI_OP_ATOMIC", "FI_OP_FETCH_ATOMIC", "FI_OP_COMPARE_ATOMIC",
	"FI_OP_CNTR_SET", "FI_OP_CNTR_ADD", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "FI_BARRIER", "FI_BROADCAST",
	"FI_ALLTOALL", "FI_ALLREDUCE", "FI_ALLGATHER", "FI_REDUCE_SCATTER",
	"FI_REDUCE", "FI_SCATTER", "FI_GATHER", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"FI_HMEM_SYSTEM", "FI_HMEM_CUDA", "FI_HMEM_ROCR", "FI_HMEM_ZE",
	"FI_HMEM_NEURON", "FI_HMEM_SYNAPSEAI", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "FI_CQ_FORMAT_UNSPEC", "FI_CQ_FORMAT_CONTEXT",
	"FI_CQ_FORMAT_MSG", "FI_CQ_FORMAT_DATA", "FI_CQ_FORMAT_TAGGED",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"warn", "trace", "info", "debug", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "core", "fabric", "domain",
	"ep_ctrl", "ep_data", "av", "cq", "eq", "mr", "cntr", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "Unknown",
	"Unknown", "Unknown", "Unknown", "Unknown", "Unknown", "", "",
	"FI_MSG", "FI_RMA", "FI_TAGGED", "FI_ATOMIC", "FI_MULTICAST",
	"FI_COLLECTIVE", "", "FI_READ", "FI_WRITE", "FI_RECV", "FI_SEND",
	"FI_REMOTE_READ", "FI_REMOTE_WRITE", "", "", "FI_MULTI_RECV",
	"FI_REMOTE_CQ_DATA", "", "", "FI_TRIGGER", "FI_FENCE", "", "", "", "",
	"", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "",
	"", "", "", "FI_HMEM", "FI_VARIABLE_MSG", "FI_RMA_PMEM",
	"FI_SOURCE_ERR", "FI_LOCAL_COMM", "FI_REMOTE_COMM", "FI_SHARED_AV", "",
	"", "FI_RMA_EVENT", "FI_SOURCE", "FI_NAMED_RX_CTX", "FI_DIRECTED_RECV",
	"", "", "", "",
	"FI_MSG, FI_RMA, FI_TAGGED, FI_ATOMIC, FI_MULTICAST, FI_COLLECTIVE, FI_READ, FI_WRITE, FI_RECV, FI_SEND, FI_REMOTE_READ, FI_REMOTE_WRITE, FI_MULTI_RECV, FI_REMOTE_CQ_DATA, FI_TRIGGER, FI_FENCE, FI_VARIABLE_MSG, FI_RMA_PMEM, FI_SOURCE_ERR, FI_LOCAL_COMM, FI_REMOTE_COMM, FI_SHARED_AV, FI_RMA_EVENT, FI_SOURCE, FI_NAMED_RX_CTX, FI_DIRECTED_RECV, FI_HMEM",
	"", "", "", "", "", "", "FI_MULTICAST", "", "", "", "", "", "", "", "",
	"", "", "FI_MULTI_RECV", "FI_REMOTE_CQ_DATA", "FI_MORE", "FI_PEEK",
	"FI_TRIGGER", "FI_FENCE", "", "", "FI_COMPLETION", "FI_INJECT",
	"FI_INJECT_COMPLETE", "FI_TRANSMIT_COMPLETE", "FI_DELIVERY_COMPLETE",
	"FI_AFFINITY", "", "FI_MATCH_COMPLETE", "", "", "", "", "", "", "", "",
	"", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "",
	"FI_DISCARD", "FI_CLAIM", "", "", "", "",
	"FI_MULTICAST, FI_MULTI_RECV, FI_REMOTE_CQ_DATA, FI_MORE, FI_PEEK, FI_TRIGGER, FI_FENCE, FI_COMPLETION, FI_INJECT, FI_INJECT_COMPLETE, FI_TRANSMIT_COMPLETE, FI_DELIVERY_COMPLETE, FI_MATCH_COMPLETE, FI_AFFINITY, FI_CLAIM, FI_DISCARD",
	"", "FI_ORDER_RAR", "FI_ORDER_RAW", "FI_ORDER_RAS", "FI_ORDER_WAR",
	"FI_ORDER_WAW", "FI_ORDER_WAS", "FI_ORDER_SAR", "FI_ORDER_SAW",
	"FI_ORDER_SAS", "", "", "", "", "", "", "", "", "", "", "", "", "", "",
	"", "", "", "", "", "", "", "", "", "FI_ORDER_RMA_RAR",
	"FI_ORDER_RMA_RAW", "FI_ORDER_RMA_WAR", "FI_ORDER_RMA_WAW",
	"FI_ORDER_ATOMIC_RAR", "FI_ORDER_ATOMIC_RAW", "FI_ORDER_ATOMIC_WAR",
	"FI_ORDER_ATOMIC_WAW", "", "", "", "", "", "", "", "", "", "", "", "",
	"", "", "", "", "", "", "", "", "", "", "", "",
	"FI_ORDER_RAR, FI_ORDER_RAW, FI_ORDER_RAS, FI_ORDER_WAR, FI_ORDER_WAW, FI_ORDER_WAS, FI_ORDER_SAR, FI_ORDER_SAW, FI_ORDER_SAS, FI_ORDER_RMA_RAR, FI_ORDER_RMA_RAW, FI_ORDER_RMA_WAR, FI_ORDER_RMA_WAW, FI_ORDER_ATOMIC_RAR, FI_ORDER_ATOMIC_RAW, FI_ORDER_ATOMIC_WAR, FI_ORDER_ATOMIC_WAW",
	"", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "",
	"", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "",
	"", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "",
	"FI_BUFFERED_RECV", "FI_CONTEXT2", "FI_RESTRICTED_COMP",
	"FI_NOTIFY_FLAGS_ONLY", "FI_LOCAL_MR", "FI_RX_CQ_DATA", "FI_ASYNC_IOV",
	"FI_MSG_PREFIX", "FI_CONTEXT", "", "", "", "",
	"FI_CONTEXT, FI_MSG_PREFIX, FI_ASYNC_IOV, FI_RX_CQ_DATA, FI_LOCAL_MR, FI_NOTIFY_FLAGS_ONLY, FI_RESTRICTED_COMP, FI_CONTEXT2, FI_BUFFERED_RECV",
	"", "", "FI_MSG", "FI_RMA", "FI_TAGGED", "FI_ATOMIC", "", "", "",
	"FI_READ", "FI_WRITE", "FI_RECV", "FI_SEND", "FI_REMOTE_READ",
	"FI_REMOTE_WRITE", "", "", "FI_MULTI_RECV", "FI_REMOTE_CQ_DATA",
	"FI_MORE", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "",
	"", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "",
	"", "", "", "", "", "", "", "FI_CLAIM", "", "", "", "",
	"FI_SEND, FI_RECV, FI_RMA, FI_ATOMIC, FI_MSG, FI_TAGGED, FI_READ, FI_WRITE, FI_REMOTE_READ, FI_REMOTE_WRITE, FI_REMOTE_CQ_DATA, FI_MULTI_RECV, FI_MORE, FI_CLAIM",
	"", "FI_MR_BASIC", "FI_MR_SCALABLE", "FI_MR_LOCAL", "FI_MR_RAW",
	"FI_MR_VIRT_ADDR", "FI_MR_ALLOCATED", "FI_MR_PROV_KEY",
	"FI_MR_MMU_NOTIFY", "FI_MR_RMA_EVENT", "FI_MR_ENDPOINT", "FI_MR_HMEM",
	"FI_MR_COLLECTIVE", "", "", "", "", "", "", "", "", "", "", "", "", "",
	"", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "",
	"", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "",
	"", "", "",
	"FI_MR_BASIC, FI_MR_SCALABLE, FI_MR_LOCAL, FI_MR_RAW, FI_MR_VIRT_ADDR, FI_MR_ALLOCATED, FI_MR_PROV_KEY, FI_MR_MMU_NOTIFY, FI_MR_RMA_EVENT, FI_MR_ENDPOINT, FI_MR_HMEM, FI_MR_COLLECTIVE",
	"fi_info:\n    caps: [  ]\n    mode: [  ]\n    addr_format: FI_SOCKADDR_IB\n    src_addrlen: 64\n    dest_addrlen: 0\n    src_addr: fi_sockaddr_ib://[1819:1a1b:1c1d:1e1f:2021:2223:2425:2627]:0x1213:0xc2d:0x3f\n    dest_addr: (null)\n    handle: (nil)\n    fi_tx_attr: (null)\n    fi_rx_attr: (null)\n    fi_ep_attr: (null)\n    fi_domain_attr: (null)\n    fi_fabric_attr: (null)\n    nic: (nil)\n",
	"fi_info:\n    caps: [  ]\n    mode: [  ]\n    addr_format: FI_ADDR_PSMX\n    src_addrlen: 64\n    dest_addrlen: 0\n    src_addr: fi_addr_psmx://1716151413121110\n    dest_addr: (null)\n    handle: (nil)\n    fi_tx_attr: (null)\n    fi_rx_attr: (null)\n    fi_ep_attr: (null)\n    fi_domain_attr: (null)\n    fi_fabric_attr: (null)\n    nic: (nil)\n",
	"fi_info:\n    caps: [  ]\n    mode: [  ]\n    addr_format: FI_ADDR_GNI\n    src_addrlen: 64\n    dest_addrlen: 0\n    src_addr: fi_addr_gni://1716151413121110\n    dest_addr: (null)\n    handle: (nil)\n    fi_tx_attr: (null)\n    fi_rx_attr: (null)\n    fi_ep_attr: (null)\n    fi_domain_attr: (null)\n    fi_fabric_attr: (null)\n    nic: (nil)\n",
	"fi_info:\n    caps: [  ]\n    mode: [  ]\n    addr_format: FI_ADDR_PSMX2\n    src_addrlen: 64\n    dest_addrlen: 0\n    src_addr: fi_addr_psmx2://1716151413121110:1f1e1d1c1b1a1918\n    dest_addr: (null)\n    handle: (nil)\n    fi_tx_attr: (null)\n    fi_rx_attr: (null)\n    fi_ep_attr: (null)\n    fi_domain_attr: (null)\n    fi_fabric_attr: (null)\n    nic: (nil)\n",
	"fi_info:\n    caps: [  ]\n    mode: [  ]\n    addr_format: FI_ADDR_IB_UD\n    src_addrlen: 64\n    dest_addrlen: 0\n    src_addr: fi_addr_ib_ud://1011:1213:1415:1617:1819:1a1b:1c1d:1e1f:23222120/2524/2726/2a\n    dest_addr: (null)\n    handle: (nil)\n    fi_tx_attr: (null)\n    fi_rx_attr: (null)\n    fi_ep_attr: (null)\n    fi_domain_attr: (null)\n    fi_fabric_attr: (null)\n    nic: (nil)\n",
	"fi_info:\n    caps: [  ]\n    mode: [  ]\n    addr_format: FI_ADDR_EFA\n    src_addrlen: 64\n    dest_addrlen: 0\n    src_addr: fi_addr_efa://[1011:1213:1415:1617:1819:1a1b:1c1d:1e1f]:8480:656811300\n    dest_addr: (null)\n    handle: (nil)\n    fi_tx_attr: (null)\n    fi_rx_attr: (null)\n    fi_ep_attr: (null)\n    fi_domain_attr: (null)\n    fi_fabric_attr: (null)\n    nic: (nil)\n",
	"fi_info:\n    caps: [  ]\n    mode: [  ]\n    addr_format: FI_ADDR_PSMX3\n    src_addrlen: 64\n    dest_addrlen: 0\n    src_addr: fi_addr_psmx3://1716151413121110:1f1e1d1c1b1a1918:2726252423222120:2f2e2d2c2b2a2928\n    dest_addr: (null)\n    handle: (nil)\n    fi_tx_attr: (null)\n    fi_rx_attr: (null)\n    fi_ep_attr: (null)\n    fi_domain_attr: (null)\n    fi_fabric_attr: (null)\n    nic: (nil)\n",
	"fi_info:\n    caps: [  ]\n    mode: [  ]\n    addr_format: FI_ADDR_OPX\n    src_addrlen: 64\n    dest_addrlen: 0\n    src_addr: fi_addr_opx://1716151413121110\n    dest_addr: (null)\n    handle: (nil)\n    fi_tx_attr: (null)\n    fi_rx_attr: (null)\n    fi_ep_attr: (null)\n    fi_domain_attr: (null)\n    fi_fabric_attr: (null)\n    nic: (nil)\n",
	"fi_info:\n    caps: [  ]\n    mode: [  ]\n    addr_format: FI_ADDR_CXI\n    src_addrlen: 64\n    dest_addrlen: 0\n    src_addr: fi_addr_cxi://0x13121110\n    dest_addr: (null)\n    handle: (nil)\n    fi_tx_attr: (null)\n    fi_rx_attr: (null)\n    fi_ep_attr: (null)\n    fi_domain_attr: (null)\n    fi_fabric_attr: (null)\n    nic: (nil)\n",
	"fi_info:\n    caps: [  ]\n    mode: [  ]\n    addr_format: FI_FORMAT_UNSPEC\n    src_addrlen: 64\n    dest_addrlen: 0\n    src_addr: \n    dest_addr: (null)\n    handle: (nil)\n    fi_tx_attr: (null)\n    fi_rx_attr: (null)\n    fi_ep_attr: (null)\n    fi_domain_attr: (null)\n    fi_fabric_attr: (null)\n    nic: (nil)\n",
	"fi_info:\n    caps: [  ]\n    mode: [  ]\n    addr_format: Provider specific\n    src_addrlen: 64\n    dest_addrlen: 0\n    src_addr: \n    dest_addr: (null)\n    handle: (nil)\n    fi_tx_attr: (null)\n    fi_rx_attr: (null)\n    fi_ep_attr: (null)\n    fi_domain_attr: (null)\n    fi_fabric_attr: (null)\n    nic: (nil)\n",
	"fi_info:\n    caps: [  ]\n    mode: [  ]\n    addr_format: Unknown\n    src_addrlen: 64\n    dest_addrlen: 0\n    src_addr: \n    dest_addr: (null)\n    handle: (nil)\n    fi_tx_attr: (null)\n    fi_rx_attr: (null)\n    fi_ep_attr: (null)\n    fi_domain_attr: (null)\n    fi_fabric_attr: (null)\n    nic: (nil)\n",
	"fi_info:\n    caps: [  ]\n    mode: [  ]\n    addr_format: FI_SOCKADDR_IN\n    src_addrlen: 64\n    dest_addrlen: 0\n    src_addr: fi_sockaddr_in://10.1.2.3:1234\n    dest_addr: \n    handle: (nil)\n    fi_tx_attr: (null)\n    fi_rx_attr: (null)\n    fi_ep_attr: (null)\n    fi_domain_attr: (null)\n    fi_fabric_attr: (null)\n    nic: (nil)\n",
	"fi_info:\n    caps: [  ]\n    mode: [  ]\n    addr_format: FI_SOCKADDR\n    src_addrlen: 64\n    dest_addrlen: 0\n    src_addr: fi_sockaddr_in://10.1.2.3:1234\n    dest_addr: fi_sockaddr_in6://[fe80::1]:99\n    handle: (nil)\n    fi_tx_attr: (null)\n    fi_rx_attr: (null)\n    fi_ep_attr: (null)\n    fi_domain_attr: (null)\n    fi_fabric_attr: (null)\n    nic: (nil)\n",
	"fi_info:\n    caps: [  ]\n    mode: [  ]\n    addr_format: FI_SOCKADDR_IN6\n    src_addrlen: 64\n    dest_addrlen: 0\n    src_addr: fi_sockaddr_in6://[fe80::1]:99\n    dest_addr: (null)\n    handle: (nil)\n    fi_tx_attr: (null)\n    fi_rx_attr: (null)\n    fi_ep_attr: (null)\n    fi_domain_attr: (null)\n    fi_fabric_attr: (null)\n    nic: (nil)\n",
	"fi_info:\n    caps: [  ]\n    mode: [  ]\n    addr_format: FI_ADDR_STR\n    src_addrlen: 27\n    dest_addrlen: 0\n    src_addr: fi_sockaddr_in://1.2.3.4:5\n    dest_addr: (null)\n    handle: (nil)\n    fi_tx_attr: (null)\n    fi_rx_attr: (null)\n    fi_ep_attr: (null)\n    fi_domain_attr: (null)\n    fi_fabric_attr: (null)\n    nic: (nil)\n",
};
/* END GENERATED */

static size_t next;
static int failed;

static void compare(const char *what, const char *s)
{
	CHECK(next < N(expected));
	if (!s || strcmp(s, expected[next]) != 0) {
		fprintf(stderr, "%s: expected \"%s\", got \"%s\"\n", what,
			expected[next], s ? s : "NULL");
		failed = 1;
	}
	next++;
}

int main(void)
{
	weft_test_require_weft_loaded();
	walk(compare);
	CHECK(next == N(expected));
	CHECK(!failed);
	return 0;
}

#endif
