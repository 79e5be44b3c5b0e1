/* fi_tostr for fi_info and its attribute structures, and the text form of
 * endpoint addresses ("fi_sockaddr_in://127.0.0.1:0" and friends).
 *
 * Layout follows libfabric 1.17 exactly (see tostr.c): one "name: value"
 * per line, four spaces per nesting level, flag sets as "[ A, B ]" and an
 * empty set as "[  ]", NULL strings as "(null)".
 */
#include <arpa/inet.h>
#include <endian.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include <rdma/fabric.h>

#include "core/tostr.h"

#define TAB "    "

static const char *str_or_null(const char *s)
{
	return s ? s : "(null)";
}

/* "<indent><name>: [ <flags> ]\n" */
static void sb_flag_line(struct weft_sbuf *sb, const char *indent,
			 const char *name,
			 void (*print)(struct weft_sbuf *, uint64_t), uint64_t v)
{
	weft_sb_printf(sb, "%s%s: [ ", indent, name);
	print(sb, v);
	weft_sb_puts(sb, " ]\n");
}

void weft_sb_tx_attr(struct weft_sbuf *sb, const char *indent,
		     const struct fi_tx_attr *attr)
{
	weft_sb_printf(sb, "%sfi_tx_attr:\n", indent);
	sb_flag_line(sb, indent, TAB "caps", weft_sb_caps, attr->caps);
	sb_flag_line(sb, indent, TAB "mode", weft_sb_mode, attr->mode);
	sb_flag_line(sb, indent, TAB "op_flags", weft_sb_op_flags, attr->op_flags);
	sb_flag_line(sb, indent, TAB "msg_order", weft_sb_msg_order,
		     attr->msg_order);
	sb_flag_line(sb, indent, TAB "comp_order", weft_sb_comp_order,
		     attr->comp_order);
	weft_sb_printf(sb, "%s" TAB "inject_size: %zu\n", indent, attr->inject_size);
	weft_sb_printf(sb, "%s" TAB "size: %zu\n", indent, attr->size);
	weft_sb_printf(sb, "%s" TAB "iov_limit: %zu\n", indent, attr->iov_limit);
	weft_sb_printf(sb, "%s" TAB "rma_iov_limit: %zu\n", indent,
		       attr->rma_iov_limit);
	weft_sb_printf(sb, "%s" TAB "tclass: 0x%" PRIx32 "\n", indent, attr->tclass);
}

void weft_sb_rx_attr(struct weft_sbuf *sb, const char *indent,
		     const struct fi_rx_attr *attr)
{
	weft_sb_printf(sb, "%sfi_rx_attr:\n", indent);
	sb_flag_line(sb, indent, TAB "caps", weft_sb_caps, attr->caps);
	sb_flag_line(sb, indent, TAB "mode", weft_sb_mode, attr->mode);
	sb_flag_line(sb, indent, TAB "op_flags", weft_sb_op_flags, attr->op_flags);
	sb_flag_line(sb, indent, TAB "msg_order", weft_sb_msg_order,
		     attr->msg_order);
	sb_flag_line(sb, indent, TAB "comp_order", weft_sb_comp_order,
		     attr->comp_order);
	weft_sb_printf(sb, "%s" TAB "total_buffered_recv: %zu\n", indent,
		       attr->total_buffered_recv);
	weft_sb_printf(sb, "%s" TAB "size: %zu\n", indent, attr->size);
	weft_sb_printf(sb, "%s" TAB "iov_limit: %zu\n", indent, attr->iov_limit);
}

void weft_sb_ep_attr(struct weft_sbuf *sb, const char *indent,
		     const struct fi_ep_attr *attr)
{
	weft_sb_printf(sb, "%sfi_ep_attr:\n", indent);
	weft_sb_printf(sb, "%s" TAB "type: %s\n", indent,
		       weft_str_ep_type(attr->type));
	weft_sb_printf(sb, "%s" TAB "protocol: %s\n", indent,
		       weft_str_protocol(attr->protocol));
	weft_sb_printf(sb, "%s" TAB "protocol_version: %" PRIu32 "\n", indent,
		       attr->protocol_version);
	weft_sb_printf(sb, "%s" TAB "max_msg_size: %zu\n", indent,
		       attr->max_msg_size);
	weft_sb_printf(sb, "%s" TAB "msg_prefix_size: %zu\n", indent,
		       attr->msg_prefix_size);
	weft_sb_printf(sb, "%s" TAB "max_order_raw_size: %zu\n", indent,
		       attr->max_order_raw_size);
	weft_sb_printf(sb, "%s" TAB "max_order_war_size: %zu\n", indent,
		       attr->max_order_war_size);
	weft_sb_printf(sb, "%s" TAB "max_order_waw_size: %zu\n", indent,
		       attr->max_order_waw_size);
	weft_sb_printf(sb, "%s" TAB "mem_tag_format: 0x%016" PRIx64 "\n", indent,
		       attr->mem_tag_format);
	weft_sb_printf(sb, "%s" TAB "tx_ctx_cnt: %zu\n", indent, attr->tx_ctx_cnt);
	weft_sb_printf(sb, "%s" TAB "rx_ctx_cnt: %zu\n", indent, attr->rx_ctx_cnt);
	weft_sb_printf(sb, "%s" TAB "auth_key_size: %zu\n", indent,
		       attr->auth_key_size);
}

static void sb_mr_mode_int(struct weft_sbuf *sb, uint64_t v)
{
	weft_sb_mr_mode(sb, (int)v);
}

void weft_sb_domain_attr(struct weft_sbuf *sb, const char *indent,
			 const struct fi_domain_attr *attr)
{
	weft_sb_printf(sb, "%sfi_domain_attr:\n", indent);
	/* The domain handle as a number: "0x0" rather than "(nil)". */
	weft_sb_printf(sb, "%s" TAB "domain: 0x%" PRIxPTR "\n", indent,
		       (uintptr_t)attr->domain);
	weft_sb_printf(sb, "%s" TAB "name: %s\n", indent, str_or_null(attr->name));
	weft_sb_printf(sb, "%s" TAB "threading: %s\n", indent,
		       weft_str_threading(attr->threading));
	weft_sb_printf(sb, "%s" TAB "control_progress: %s\n", indent,
		       weft_str_progress(attr->control_progress));
	weft_sb_printf(sb, "%s" TAB "data_progress: %s\n", indent,
		       weft_str_progress(attr->data_progress));
	weft_sb_printf(sb, "%s" TAB "resource_mgmt: %s\n", indent,
		       weft_str_resource_mgmt(attr->resource_mgmt));
	weft_sb_printf(sb, "%s" TAB "av_type: %s\n", indent,
		       weft_str_av_type(attr->av_type));
	sb_flag_line(sb, indent, TAB "mr_mode", sb_mr_mode_int,
		     (uint64_t)(unsigned int)attr->mr_mode);
	weft_sb_printf(sb, "%s" TAB "mr_key_size: %zu\n", indent, attr->mr_key_size);
	weft_sb_printf(sb, "%s" TAB "cq_data_size: %zu\n", indent,
		       attr->cq_data_size);
	weft_sb_printf(sb, "%s" TAB "cq_cnt: %zu\n", indent, attr->cq_cnt);
	weft_sb_printf(sb, "%s" TAB "ep_cnt: %zu\n", indent, attr->ep_cnt);
	weft_sb_printf(sb, "%s" TAB "tx_ctx_cnt: %zu\n", indent, attr->tx_ctx_cnt);
	weft_sb_printf(sb, "%s" TAB "rx_ctx_cnt: %zu\n", indent, attr->rx_ctx_cnt);
	weft_sb_printf(sb, "%s" TAB "max_ep_tx_ctx: %zu\n", indent,
		       attr->max_ep_tx_ctx);
	weft_sb_printf(sb, "%s" TAB "max_ep_rx_ctx: %zu\n", indent,
		       attr->max_ep_rx_ctx);
	weft_sb_printf(sb, "%s" TAB "max_ep_stx_ctx: %zu\n", indent,
		       attr->max_ep_stx_ctx);
	weft_sb_printf(sb, "%s" TAB "max_ep_srx_ctx: %zu\n", indent,
		       attr->max_ep_srx_ctx);
	weft_sb_printf(sb, "%s" TAB "cntr_cnt: %zu\n", indent, attr->cntr_cnt);
	weft_sb_printf(sb, "%s" TAB "mr_iov_limit: %zu\n", indent,
		       attr->mr_iov_limit);
	sb_flag_line(sb, indent, TAB "caps", weft_sb_caps, attr->caps);
	sb_flag_line(sb, indent, TAB "mode", weft_sb_mode, attr->mode);
	weft_sb_printf(sb, "%s" TAB "auth_key_size: %zu\n", indent,
		       attr->auth_key_size);
	weft_sb_printf(sb, "%s" TAB "max_err_data: %zu\n", indent,
		       attr->max_err_data);
	weft_sb_printf(sb, "%s" TAB "mr_cnt: %zu\n", indent, attr->mr_cnt);
	weft_sb_printf(sb, "%s" TAB "tclass: 0x%" PRIx32 "\n", indent, attr->tclass);
}

void weft_sb_fabric_attr(struct weft_sbuf *sb, const char *indent,
			 const struct fi_fabric_attr *attr)
{
	weft_sb_printf(sb, "%sfi_fabric_attr:\n", indent);
	weft_sb_printf(sb, "%s" TAB "name: %s\n", indent, str_or_null(attr->name));
	weft_sb_printf(sb, "%s" TAB "prov_name: %s\n", indent,
		       str_or_null(attr->prov_name));
	weft_sb_printf(sb, "%s" TAB "prov_version: %u.%u\n", indent,
		       FI_MAJOR(attr->prov_version), FI_MINOR(attr->prov_version));
	weft_sb_printf(sb, "%s" TAB "api_version: %u.%u\n", indent,
		       FI_MAJOR(attr->api_version), FI_MINOR(attr->api_version));
}

/* ---- addresses --------------------------------------------------------- */

/* Fixed-layout reads from an address blob of unknown alignment. */
static uint16_t get16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/* IPv4/IPv6 socket addresses. The family inside the address decides how
 * the host is read; the declared format picks the scheme (FI_SOCKADDR
 * follows the family). Any other family prints nothing. */
static void sb_sockaddr(struct weft_sbuf *sb, uint32_t format, const void *addr)
{
	char host[INET6_ADDRSTRLEN];
	sa_family_t family;
	uint16_t port;
	int v6;

	memcpy(&family, (const char *)addr + offsetof(struct sockaddr, sa_family),
	       sizeof(family));
	if (family == AF_INET) {
		struct sockaddr_in sin;
		memcpy(&sin, addr, sizeof(sin));
		if (!inet_ntop(AF_INET, &sin.sin_addr, host, sizeof(host)))
			return;
		port = ntohs(sin.sin_port);
	} else if (family == AF_INET6) {
		struct sockaddr_in6 sin6;
		memcpy(&sin6, addr, sizeof(sin6));
		if (!inet_ntop(AF_INET6, &sin6.sin6_addr, host, sizeof(host)))
			return;
		port = ntohs(sin6.sin6_port);
	} else {
		return;
	}

	if (format == FI_SOCKADDR)
		v6 = family == AF_INET6;
	else
		v6 = format == FI_SOCKADDR_IN6;
	if (v6)
		weft_sb_printf(sb, "fi_sockaddr_in6://[%s]:%" PRIu16, host, port);
	else
		weft_sb_printf(sb, "fi_sockaddr_in://%s:%" PRIu16, host, port);
}

/* struct sockaddr_ib: family(2) pkey(2, BE) flowinfo(4) gid(16) sid(8, BE)
 * sid_mask(8) scope_id(8, BE). Shown as gid, pkey, port space, scope. */
static void sb_sockaddr_ib(struct weft_sbuf *sb, const uint8_t *a)
{
	char gid[INET6_ADDRSTRLEN];

	if (!inet_ntop(AF_INET6, a + 8, gid, sizeof(gid)))
		return;
	weft_sb_printf(sb, "fi_sockaddr_ib://[%s]:0x%" PRIx16 ":0x%" PRIx64
			   ":0x%" PRIx64,
		       gid, be16toh(get16(a + 2)),
		       (be64toh(get64(a + 24)) >> 16) & 0xfff,
		       be64toh(get64(a + 40)) & 0xff);
}

static void sb_addr(struct weft_sbuf *sb, uint32_t format, const void *addr)
{
	const uint8_t *a = addr;
	char gid[INET6_ADDRSTRLEN];

	if (!addr) {
		weft_sb_puts(sb, "(null)");
		return;
	}

	switch (format) {
	case FI_SOCKADDR:
	case FI_SOCKADDR_IN:
	case FI_SOCKADDR_IN6:
		sb_sockaddr(sb, format, addr);
		break;
	case FI_SOCKADDR_IB:
		sb_sockaddr_ib(sb, a);
		break;
	case FI_ADDR_PSMX:
		weft_sb_printf(sb, "fi_addr_psmx://%" PRIx64, get64(a));
		break;
	case FI_ADDR_GNI:
		weft_sb_printf(sb, "fi_addr_gni://%" PRIx64, get64(a));
		break;
	case FI_ADDR_BGQ:
		weft_sb_printf(sb, "fi_addr_bgq://%p", addr);
		break;
	case FI_ADDR_MLX:
		weft_sb_printf(sb, "fi_addr_mlx://%p", addr);
		break;
	case FI_ADDR_STR:
		/* already in text form, by definition NUL terminated */
		weft_sb_puts(sb, addr);
		break;
	case FI_ADDR_PSMX2:
		weft_sb_printf(sb, "fi_addr_psmx2://%" PRIx64 ":%" PRIx64,
			       get64(a), get64(a + 8));
		break;
	case FI_ADDR_IB_UD:
		/* gid(16) qpn(4) lid(2) pkey(2) sl(1), host order; the gid is
		 * followed by ':' like its own groups */
		if (!inet_ntop(AF_INET6, a, gid, sizeof(gid)))
			return;
		weft_sb_printf(sb, "fi_addr_ib_ud://%s:%" PRIx32 "/%" PRIx16
				   "/%" PRIx16 "/%" PRIx8,
			       gid, get32(a + 16), get16(a + 20), get16(a + 22),
			       a[26]);
		break;
	case FI_ADDR_EFA:
		/* gid(16) qpn(2) pad(2) qkey(4) */
		if (!inet_ntop(AF_INET6, a, gid, sizeof(gid)))
			return;
		weft_sb_printf(sb, "fi_addr_efa://[%s]:%" PRIu16 ":%" PRIu32, gid,
			       get16(a + 16), get32(a + 20));
		break;
	case FI_ADDR_PSMX3:
		weft_sb_printf(sb,
			       "fi_addr_psmx3://%" PRIx64 ":%" PRIx64 ":%" PRIx64
			       ":%" PRIx64,
			       get64(a), get64(a + 8), get64(a + 16), get64(a + 24));
		break;
	case FI_ADDR_OPX:
		weft_sb_printf(sb, "fi_addr_opx://%016" PRIx64, get64(a));
		break;
	case FI_ADDR_CXI:
		weft_sb_printf(sb, "fi_addr_cxi://0x%08" PRIx32, get32(a));
		break;
	default:
		/* unspecified or provider specific: no portable text form */
		break;
	}
}

/* ---- fi_info ------------------------------------------------------------ */

static void sb_nic(struct weft_sbuf *sb, const struct fid_nic *nic)
{
	const struct fi_ops *ops = nic ? nic->fid.ops : NULL;

	if (ops && ops->size > offsetof(struct fi_ops, tostr) && ops->tostr) {
		/* The NIC describes itself, heading included. */
		char *start = sb->buf + sb->len;
		size_t room = sb->size - sb->len;

		if (ops->tostr(&nic->fid, start, room) < 0) {
			*start = '\0';
			return;
		}
		start[room - 1] = '\0';
		sb->len += strlen(start);
		return;
	}
	weft_sb_printf(sb, TAB "nic: %p\n", (const void *)nic);
}

void weft_sb_info(struct weft_sbuf *sb, const struct fi_info *info)
{
	weft_sb_puts(sb, "fi_info:\n");
	sb_flag_line(sb, "", TAB "caps", weft_sb_caps, info->caps);
	sb_flag_line(sb, "", TAB "mode", weft_sb_mode, info->mode);
	weft_sb_printf(sb, TAB "addr_format: %s\n",
		       weft_str_addr_format(info->addr_format));
	weft_sb_printf(sb, TAB "src_addrlen: %zu\n", info->src_addrlen);
	weft_sb_printf(sb, TAB "dest_addrlen: %zu\n", info->dest_addrlen);
	weft_sb_puts(sb, TAB "src_addr: ");
	sb_addr(sb, info->addr_format, info->src_addr);
	weft_sb_puts(sb, "\n" TAB "dest_addr: ");
	sb_addr(sb, info->addr_format, info->dest_addr);
	weft_sb_puts(sb, "\n");
	weft_sb_printf(sb, TAB "handle: %p\n", (void *)info->handle);

	if (info->tx_attr)
		weft_sb_tx_attr(sb, TAB, info->tx_attr);
	else
		weft_sb_puts(sb, TAB "fi_tx_attr: (null)\n");
	if (info->rx_attr)
		weft_sb_rx_attr(sb, TAB, info->rx_attr);
	else
		weft_sb_puts(sb, TAB "fi_rx_attr: (null)\n");
	if (info->ep_attr)
		weft_sb_ep_attr(sb, TAB, info->ep_attr);
	else
		weft_sb_puts(sb, TAB "fi_ep_attr: (null)\n");
	if (info->domain_attr)
		weft_sb_domain_attr(sb, TAB, info->domain_attr);
	else
		weft_sb_puts(sb, TAB "fi_domain_attr: (null)\n");
	if (info->fabric_attr)
		weft_sb_fabric_attr(sb, TAB, info->fabric_attr);
	else
		weft_sb_puts(sb, TAB "fi_fabric_attr: (null)\n");
	sb_nic(sb, info->nic);
}
