/* Internals shared by the fi_tostr implementation (tostr.c: scalar types,
 * enums and flag lists; tostr_attr.c: fi_info, the attribute structures
 * and addresses). Not for providers. */
#ifndef WEFT_CORE_TOSTR_H
#define WEFT_CORE_TOSTR_H

#include <stddef.h>
#include <stdint.h>

#include <rdma/fabric.h>

/* An append-only string in a caller-owned buffer. It never writes past
 * `size` and always keeps buf NUL terminated; once the buffer is full,
 * further appends are dropped (truncation is silent, by design of
 * fi_tostr_r). */
struct weft_sbuf {
	char *buf;
	size_t size; /* > 0 */
	size_t len;  /* < size */
};

void weft_sb_puts(struct weft_sbuf *sb, const char *s);
void weft_sb_printf(struct weft_sbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Enumerations: the symbolic name, or "Unknown". */
const char *weft_str_ep_type(int v);
const char *weft_str_addr_format(uint32_t v);
const char *weft_str_threading(int v);
const char *weft_str_progress(int v);
const char *weft_str_resource_mgmt(int v);
const char *weft_str_protocol(uint32_t v);
const char *weft_str_av_type(int v);

/* Flag sets, as "A, B, C" (nothing for an empty set). */
void weft_sb_caps(struct weft_sbuf *sb, uint64_t v);
void weft_sb_op_flags(struct weft_sbuf *sb, uint64_t v);
void weft_sb_mode(struct weft_sbuf *sb, uint64_t v);
void weft_sb_msg_order(struct weft_sbuf *sb, uint64_t v);
void weft_sb_comp_order(struct weft_sbuf *sb, uint64_t v);
void weft_sb_mr_mode(struct weft_sbuf *sb, int v);

/* Structures (tostr_attr.c). `indent` is prepended to every line: fi_info
 * nests the attributes one level (four spaces) deeper. */
void weft_sb_info(struct weft_sbuf *sb, const struct fi_info *info);
void weft_sb_tx_attr(struct weft_sbuf *sb, const char *indent,
		     const struct fi_tx_attr *attr);
void weft_sb_rx_attr(struct weft_sbuf *sb, const char *indent,
		     const struct fi_rx_attr *attr);
void weft_sb_ep_attr(struct weft_sbuf *sb, const char *indent,
		     const struct fi_ep_attr *attr);
void weft_sb_domain_attr(struct weft_sbuf *sb, const char *indent,
			 const struct fi_domain_attr *attr);
void weft_sb_fabric_attr(struct weft_sbuf *sb, const char *indent,
			 const struct fi_fabric_attr *attr);

#endif
