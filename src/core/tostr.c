/* fi_tostr / fi_tostr_r: enumerations, flag sets and the type dispatch.
 *
 * The output is meant to be byte-for-byte what libfabric 1.17 prints, since
 * unchanged tools (fi_info -v) print weft's objects through it and users
 * diff the results. Where 1.17 prints "Unknown" for a value the header
 * does define (retired protocols, the collective-only FI_VOID/FI_NOOP), we
 * do the same. The structures live in tostr_attr.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <rdma/fabric.h>
#include <rdma/fi_collective.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_eq.h>
#include <rdma/fi_trigger.h>
#include <rdma/providers/fi_log.h>

#include "core/core.h"
#include "core/tostr.h"

/* fi_tostr's result lives here until the thread's next fi_tostr call. */
#define TOSTR_BUF_SIZE 8192
static _Thread_local char tostr_buf[TOSTR_BUF_SIZE];

static const char unknown[] = "Unknown";

void weft_sb_puts(struct weft_sbuf *sb, const char *s)
{
	size_t room = sb->size - 1 - sb->len;
	size_t n = strlen(s);

	if (n > room)
		n = room;
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void weft_sb_printf(struct weft_sbuf *sb, const char *fmt, ...)
{
	size_t room = sb->size - sb->len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(sb->buf + sb->len, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	/* vsnprintf truncated (and terminated) the output if it did not fit */
	sb->len += (size_t)n < room ? (size_t)n : room - 1;
}

/* ---- enumerations ------------------------------------------------------ */

#define NAME(x) [x] = #x

static const char *lookup(const char *const *names, size_t count, long v)
{
	if (v < 0 || (size_t)v >= count || !names[v])
		return unknown;
	return names[v];
}

#define LOOKUP(table, v) lookup(table, sizeof(table) / sizeof(table[0]), (long)(v))

static const char *const ep_type_names[] = {
	NAME(FI_EP_UNSPEC), NAME(FI_EP_MSG),	     NAME(FI_EP_DGRAM),
	NAME(FI_EP_RDM),    NAME(FI_EP_SOCK_STREAM), NAME(FI_EP_SOCK_DGRAM),
};

const char *weft_str_ep_type(int v)
{
	return LOOKUP(ep_type_names, v);
}

static const char *const addr_format_names[] = {
	NAME(FI_FORMAT_UNSPEC), NAME(FI_SOCKADDR),    NAME(FI_SOCKADDR_IN),
	NAME(FI_SOCKADDR_IN6),	NAME(FI_SOCKADDR_IB), NAME(FI_ADDR_PSMX),
	NAME(FI_ADDR_GNI),	NAME(FI_ADDR_BGQ),    NAME(FI_ADDR_MLX),
	NAME(FI_ADDR_STR),	NAME(FI_ADDR_PSMX2),  NAME(FI_ADDR_IB_UD),
	NAME(FI_ADDR_EFA),	NAME(FI_ADDR_PSMX3),  NAME(FI_ADDR_OPX),
	NAME(FI_ADDR_CXI),
};

const char *weft_str_addr_format(uint32_t v)
{
	if (v & FI_PROV_SPECIFIC)
		return "Provider specific";
	return LOOKUP(addr_format_names, v);
}

static const char *const threading_names[] = {
	NAME(FI_THREAD_UNSPEC), NAME(FI_THREAD_SAFE),	    NAME(FI_THREAD_FID),
	NAME(FI_THREAD_DOMAIN), NAME(FI_THREAD_COMPLETION), NAME(FI_THREAD_ENDPOINT),
};

const char *weft_str_threading(int v)
{
	return LOOKUP(threading_names, v);
}

static const char *const progress_names[] = {
	NAME(FI_PROGRESS_UNSPEC), NAME(FI_PROGRESS_AUTO), NAME(FI_PROGRESS_MANUAL),
};

const char *weft_str_progress(int v)
{
	return LOOKUP(progress_names, v);
}

static const char *const resource_mgmt_names[] = {
	NAME(FI_RM_UNSPEC), NAME(FI_RM_DISABLED), NAME(FI_RM_ENABLED),
};

const char *weft_str_resource_mgmt(int v)
{
	return LOOKUP(resource_mgmt_names, v);
}

/* FI_PROTO_MXM and FI_PROTO_MRAIL are left out on purpose: 1.17 prints
 * them as "Unknown". */
static const char *const protocol_names[] = {
	NAME(FI_PROTO_UNSPEC),	      NAME(FI_PROTO_RDMA_CM_IB_RC),
	NAME(FI_PROTO_IWARP),	      NAME(FI_PROTO_IB_UD),
	NAME(FI_PROTO_PSMX),	      NAME(FI_PROTO_UDP),
	NAME(FI_PROTO_SOCK_TCP),      NAME(FI_PROTO_IWARP_RDM),
	NAME(FI_PROTO_IB_RDM),	      NAME(FI_PROTO_GNI),
	NAME(FI_PROTO_RXM),	      NAME(FI_PROTO_RXD),
	NAME(FI_PROTO_MLX),	      NAME(FI_PROTO_NETWORKDIRECT),
	NAME(FI_PROTO_PSMX2),	      NAME(FI_PROTO_SHM),
	NAME(FI_PROTO_RSTREAM),	      NAME(FI_PROTO_RDMA_CM_IB_XRC),
	NAME(FI_PROTO_EFA),	      NAME(FI_PROTO_PSMX3),
	NAME(FI_PROTO_RXM_TCP),	      NAME(FI_PROTO_OPX),
	NAME(FI_PROTO_CXI),	      NAME(FI_PROTO_XNET),
};

const char *weft_str_protocol(uint32_t v)
{
	if (v & FI_PROV_SPECIFIC)
		return "Provider specific";
	return LOOKUP(protocol_names, v);
}

static const char *const av_type_names[] = {
	NAME(FI_AV_UNSPEC), NAME(FI_AV_MAP), NAME(FI_AV_TABLE),
};

const char *weft_str_av_type(int v)
{
	return LOOKUP(av_type_names, v);
}

static const char *const atomic_type_names[] = {
	NAME(FI_INT8),	      NAME(FI_UINT8),	       NAME(FI_INT16),
	NAME(FI_UINT16),      NAME(FI_INT32),	       NAME(FI_UINT32),
	NAME(FI_INT64),	      NAME(FI_UINT64),	       NAME(FI_FLOAT),
	NAME(FI_DOUBLE),      NAME(FI_FLOAT_COMPLEX),  NAME(FI_DOUBLE_COMPLEX),
	NAME(FI_LONG_DOUBLE), NAME(FI_LONG_DOUBLE_COMPLEX),
	NAME(FI_INT128),      NAME(FI_UINT128),
};

static const char *const atomic_op_names[] = {
	NAME(FI_MIN),	      NAME(FI_MAX),	     NAME(FI_SUM),
	NAME(FI_PROD),	      NAME(FI_LOR),	     NAME(FI_LAND),
	NAME(FI_BOR),	      NAME(FI_BAND),	     NAME(FI_LXOR),
	NAME(FI_BXOR),	      NAME(FI_ATOMIC_READ),  NAME(FI_ATOMIC_WRITE),
	NAME(FI_CSWAP),	      NAME(FI_CSWAP_NE),     NAME(FI_CSWAP_LE),
	NAME(FI_CSWAP_LT),    NAME(FI_CSWAP_GE),     NAME(FI_CSWAP_GT),
	NAME(FI_MSWAP),
};

static const char *const eq_event_names[] = {
	NAME(FI_NOTIFY),      NAME(FI_CONNREQ),	    NAME(FI_CONNECTED),
	NAME(FI_SHUTDOWN),    NAME(FI_MR_COMPLETE), NAME(FI_AV_COMPLETE),
	NAME(FI_JOIN_COMPLETE),
};

static const char *const op_type_names[] = {
	NAME(FI_OP_RECV),	   NAME(FI_OP_SEND),	      NAME(FI_OP_TRECV),
	NAME(FI_OP_TSEND),	   NAME(FI_OP_READ),	      NAME(FI_OP_WRITE),
	NAME(FI_OP_ATOMIC),	   NAME(FI_OP_FETCH_ATOMIC),
	NAME(FI_OP_COMPARE_ATOMIC), NAME(FI_OP_CNTR_SET),     NAME(FI_OP_CNTR_ADD),
};

static const char *const collective_op_names[] = {
	NAME(FI_BARRIER),   NAME(FI_BROADCAST),	     NAME(FI_ALLTOALL),
	NAME(FI_ALLREDUCE), NAME(FI_ALLGATHER),	     NAME(FI_REDUCE_SCATTER),
	NAME(FI_REDUCE),    NAME(FI_SCATTER),	     NAME(FI_GATHER),
};

static const char *const hmem_iface_names[] = {
	NAME(FI_HMEM_SYSTEM), NAME(FI_HMEM_CUDA),   NAME(FI_HMEM_ROCR),
	NAME(FI_HMEM_ZE),     NAME(FI_HMEM_NEURON), NAME(FI_HMEM_SYNAPSEAI),
};

static const char *const cq_format_names[] = {
	NAME(FI_CQ_FORMAT_UNSPEC), NAME(FI_CQ_FORMAT_CONTEXT),
	NAME(FI_CQ_FORMAT_MSG),	   NAME(FI_CQ_FORMAT_DATA),
	NAME(FI_CQ_FORMAT_TAGGED),
};

#undef NAME

/* ---- flag sets --------------------------------------------------------- */

struct flag_name {
	uint64_t bit;
	const char *name;
};

#define FLAG(x) { (uint64_t)(x), #x }

/* Listed in the order 1.17 prints them, which is not always bit order. */
static const struct flag_name caps_flags[] = {
	FLAG(FI_MSG),		FLAG(FI_RMA),		FLAG(FI_TAGGED),
	FLAG(FI_ATOMIC),	FLAG(FI_MULTICAST),	FLAG(FI_COLLECTIVE),
	FLAG(FI_READ),		FLAG(FI_WRITE),		FLAG(FI_RECV),
	FLAG(FI_SEND),		FLAG(FI_REMOTE_READ),	FLAG(FI_REMOTE_WRITE),
	FLAG(FI_MULTI_RECV),	FLAG(FI_REMOTE_CQ_DATA), FLAG(FI_TRIGGER),
	FLAG(FI_FENCE),		FLAG(FI_VARIABLE_MSG),	FLAG(FI_RMA_PMEM),
	FLAG(FI_SOURCE_ERR),	FLAG(FI_LOCAL_COMM),	FLAG(FI_REMOTE_COMM),
	FLAG(FI_SHARED_AV),	FLAG(FI_RMA_EVENT),	FLAG(FI_SOURCE),
	FLAG(FI_NAMED_RX_CTX),	FLAG(FI_DIRECTED_RECV), FLAG(FI_HMEM),
};

static const struct flag_name op_flags[] = {
	FLAG(FI_MULTICAST),	    FLAG(FI_MULTI_RECV),
	FLAG(FI_REMOTE_CQ_DATA),    FLAG(FI_MORE),
	FLAG(FI_PEEK),		    FLAG(FI_TRIGGER),
	FLAG(FI_FENCE),		    FLAG(FI_COMPLETION),
	FLAG(FI_INJECT),	    FLAG(FI_INJECT_COMPLETE),
	FLAG(FI_TRANSMIT_COMPLETE), FLAG(FI_DELIVERY_COMPLETE),
	FLAG(FI_MATCH_COMPLETE),    FLAG(FI_AFFINITY),
	FLAG(FI_CLAIM),		    FLAG(FI_DISCARD),
};

static const struct flag_name mode_flags[] = {
	FLAG(FI_CONTEXT),	  FLAG(FI_MSG_PREFIX),	     FLAG(FI_ASYNC_IOV),
	FLAG(FI_RX_CQ_DATA),	  FLAG(FI_LOCAL_MR),	     FLAG(FI_NOTIFY_FLAGS_ONLY),
	FLAG(FI_RESTRICTED_COMP), FLAG(FI_CONTEXT2),	     FLAG(FI_BUFFERED_RECV),
};

static const struct flag_name msg_order_flags[] = {
	FLAG(FI_ORDER_RAR),	   FLAG(FI_ORDER_RAW),	      FLAG(FI_ORDER_RAS),
	FLAG(FI_ORDER_WAR),	   FLAG(FI_ORDER_WAW),	      FLAG(FI_ORDER_WAS),
	FLAG(FI_ORDER_SAR),	   FLAG(FI_ORDER_SAW),	      FLAG(FI_ORDER_SAS),
	FLAG(FI_ORDER_RMA_RAR),	   FLAG(FI_ORDER_RMA_RAW),    FLAG(FI_ORDER_RMA_WAR),
	FLAG(FI_ORDER_RMA_WAW),	   FLAG(FI_ORDER_ATOMIC_RAR), FLAG(FI_ORDER_ATOMIC_RAW),
	FLAG(FI_ORDER_ATOMIC_WAR), FLAG(FI_ORDER_ATOMIC_WAW),
};

static const struct flag_name cq_event_flags[] = {
	FLAG(FI_SEND),		FLAG(FI_RECV),		 FLAG(FI_RMA),
	FLAG(FI_ATOMIC),	FLAG(FI_MSG),		 FLAG(FI_TAGGED),
	FLAG(FI_READ),		FLAG(FI_WRITE),		 FLAG(FI_REMOTE_READ),
	FLAG(FI_REMOTE_WRITE),	FLAG(FI_REMOTE_CQ_DATA), FLAG(FI_MULTI_RECV),
	FLAG(FI_MORE),		FLAG(FI_CLAIM),
};

static const struct flag_name mr_mode_flags[] = {
	FLAG(FI_MR_BASIC),	FLAG(FI_MR_SCALABLE),	FLAG(FI_MR_LOCAL),
	FLAG(FI_MR_RAW),	FLAG(FI_MR_VIRT_ADDR),	FLAG(FI_MR_ALLOCATED),
	FLAG(FI_MR_PROV_KEY),	FLAG(FI_MR_MMU_NOTIFY), FLAG(FI_MR_RMA_EVENT),
	FLAG(FI_MR_ENDPOINT),	FLAG(FI_MR_HMEM),	FLAG(FI_MR_COLLECTIVE),
};

#undef FLAG

static void sb_flags(struct weft_sbuf *sb, const struct flag_name *names,
		     size_t count, uint64_t v)
{
	const char *sep = "";

	for (size_t i = 0; i < count; i++) {
		if (v & names[i].bit) {
			weft_sb_printf(sb, "%s%s", sep, names[i].name);
			sep = ", ";
		}
	}
}

#define SB_FLAGS(sb, table, v) \
	sb_flags(sb, table, sizeof(table) / sizeof(table[0]), v)

void weft_sb_caps(struct weft_sbuf *sb, uint64_t v)
{
	SB_FLAGS(sb, caps_flags, v);
}

void weft_sb_op_flags(struct weft_sbuf *sb, uint64_t v)
{
	SB_FLAGS(sb, op_flags, v);
}

void weft_sb_mode(struct weft_sbuf *sb, uint64_t v)
{
	SB_FLAGS(sb, mode_flags, v);
}

void weft_sb_msg_order(struct weft_sbuf *sb, uint64_t v)
{
	SB_FLAGS(sb, msg_order_flags, v);
}

void weft_sb_mr_mode(struct weft_sbuf *sb, int v)
{
	SB_FLAGS(sb, mr_mode_flags, (uint64_t)(unsigned int)v);
}

/* Completion order is not a bit list: it is NONE (no ordering bits),
 * STRICT (all of them), neither (some), plus the independent DATA bit. */
void weft_sb_comp_order(struct weft_sbuf *sb, uint64_t v)
{
	const char *sep = "";

	if (!(v & FI_ORDER_STRICT)) {
		weft_sb_puts(sb, "FI_ORDER_NONE");
		sep = ", ";
	} else if ((v & FI_ORDER_STRICT) == FI_ORDER_STRICT) {
		weft_sb_puts(sb, "FI_ORDER_STRICT");
		sep = ", ";
	}
	if (v & FI_ORDER_DATA)
		weft_sb_printf(sb, "%sFI_ORDER_DATA", sep);
}

/* ---- fid --------------------------------------------------------------- */

/* An object that knows how to describe itself (fi_ops.tostr) writes the
 * whole buffer; others are shown by address. */
static void sb_fid(struct weft_sbuf *sb, const struct fid *fid)
{
	const struct fi_ops *ops = fid->ops;

	if (ops && ops->size > offsetof(struct fi_ops, tostr) && ops->tostr) {
		/* The object writes into the rest of the buffer; a negative
		 * return leaves nothing behind. */
		char *start = sb->buf + sb->len;
		size_t room = sb->size - sb->len;
		int n = ops->tostr(fid, start, room);

		if (n < 0) {
			*start = '\0';
			return;
		}
		start[room - 1] = '\0';
		sb->len += strlen(start);
		return;
	}
	weft_sb_printf(sb, "fid: %p\n", (const void *)fid);
}

/* ---- dispatch ---------------------------------------------------------- */

static void sb_enum(struct weft_sbuf *sb, const char *name)
{
	weft_sb_puts(sb, name);
}

static void sb_any(struct weft_sbuf *sb, const void *data, enum fi_type type)
{
	const int *ival = data;
	const uint32_t *u32val = data;
	const uint64_t *u64val = data;

	switch (type) {
	case FI_TYPE_INFO:
		weft_sb_info(sb, data);
		break;
	case FI_TYPE_EP_TYPE:
		sb_enum(sb, weft_str_ep_type(*ival));
		break;
	case FI_TYPE_CAPS:
		weft_sb_caps(sb, *u64val);
		break;
	case FI_TYPE_OP_FLAGS:
		weft_sb_op_flags(sb, *u64val);
		break;
	case FI_TYPE_ADDR_FORMAT:
		sb_enum(sb, weft_str_addr_format(*u32val));
		break;
	case FI_TYPE_TX_ATTR:
		weft_sb_tx_attr(sb, "", data);
		break;
	case FI_TYPE_RX_ATTR:
		weft_sb_rx_attr(sb, "", data);
		break;
	case FI_TYPE_EP_ATTR:
		weft_sb_ep_attr(sb, "", data);
		break;
	case FI_TYPE_DOMAIN_ATTR:
		weft_sb_domain_attr(sb, "", data);
		break;
	case FI_TYPE_FABRIC_ATTR:
		weft_sb_fabric_attr(sb, "", data);
		break;
	case FI_TYPE_THREADING:
		sb_enum(sb, weft_str_threading(*ival));
		break;
	case FI_TYPE_PROGRESS:
		sb_enum(sb, weft_str_progress(*ival));
		break;
	case FI_TYPE_PROTOCOL:
		sb_enum(sb, weft_str_protocol(*u32val));
		break;
	case FI_TYPE_MSG_ORDER:
		weft_sb_msg_order(sb, *u64val);
		break;
	case FI_TYPE_MODE:
		weft_sb_mode(sb, *u64val);
		break;
	case FI_TYPE_AV_TYPE:
		sb_enum(sb, weft_str_av_type(*ival));
		break;
	case FI_TYPE_ATOMIC_TYPE:
		sb_enum(sb, LOOKUP(atomic_type_names, *ival));
		break;
	case FI_TYPE_ATOMIC_OP:
		sb_enum(sb, LOOKUP(atomic_op_names, *ival));
		break;
	case FI_TYPE_VERSION:
		/* 1.17 reports the library's own version here, whatever the
		 * data says; so do we (the API version weft implements). */
		weft_sb_printf(sb, "%u.%u.0", FI_MAJOR(WEFT_FI_VERSION),
			       FI_MINOR(WEFT_FI_VERSION));
		break;
	case FI_TYPE_EQ_EVENT:
		sb_enum(sb, LOOKUP(eq_event_names, *u32val));
		break;
	case FI_TYPE_CQ_EVENT_FLAGS:
		SB_FLAGS(sb, cq_event_flags, *u64val);
		break;
	case FI_TYPE_MR_MODE:
		weft_sb_mr_mode(sb, *ival);
		break;
	case FI_TYPE_OP_TYPE:
		sb_enum(sb, LOOKUP(op_type_names, *ival));
		break;
	case FI_TYPE_FID:
		sb_fid(sb, data);
		break;
	case FI_TYPE_COLLECTIVE_OP:
		sb_enum(sb, LOOKUP(collective_op_names, *ival));
		break;
	case FI_TYPE_HMEM_IFACE:
		sb_enum(sb, LOOKUP(hmem_iface_names, *ival));
		break;
	case FI_TYPE_CQ_FORMAT:
		sb_enum(sb, LOOKUP(cq_format_names, *ival));
		break;
	case FI_TYPE_LOG_LEVEL: {
		const char *s = weft_log_level_str(*ival);
		sb_enum(sb, s ? s : unknown);
		break;
	}
	case FI_TYPE_LOG_SUBSYS: {
		const char *s = weft_log_subsys_str(*ival);
		sb_enum(sb, s ? s : unknown);
		break;
	}
	default:
		weft_sb_puts(sb, "Unknown type");
		break;
	}
}

WEFT_EXPORT char *fi_tostr_r(char *buf, size_t len, const void *data,
			     enum fi_type datatype)
{
	struct weft_sbuf sb = { .buf = buf, .size = len, .len = 0 };

	if (!buf || !len || !data)
		return NULL;
	buf[0] = '\0';
	sb_any(&sb, data, datatype);
	return buf;
}

WEFT_EXPORT char *fi_tostr(const void *data, enum fi_type datatype)
{
	return fi_tostr_r(tostr_buf, sizeof(tostr_buf), data, datatype);
}
