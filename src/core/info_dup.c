/* fi_info lifetime: fi_dupinfo (and so fi_allocinfo), fi_freeinfo.
 *
 * Every fi_info weft hands out owns all of its pointer members: the
 * attribute structs, the strings inside them, both addresses, both auth
 * keys and the nic with its sub-structs and strings. The exceptions are
 * pointers to objects the application opened (handle, domain_attr->domain,
 * fabric_attr->fabric) and nic->prov_attr, which are copied as pointers
 * and never freed here.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rdma/fabric.h>
#include <rdma/fi_errno.h>

#include "core/core.h"

static void *mem_dup(const void *src, size_t len)
{
	void *dst = malloc(len ? len : 1);

	if (dst && len)
		memcpy(dst, src, len);
	return dst;
}

/* strdup that maps NULL to NULL; *failed is set when memory ran out, so
 * callers can tell "no string" from "no memory". */
static char *str_dup(const char *s, int *failed)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*failed = 1;
	return d;
}

/* Duplicate an attribute struct: `size` bytes into a zeroed struct of the
 * current layout. */
static void *attr_dup(const void *src, size_t size, int *failed)
{
	void *dst;

	if (!src)
		return NULL;
	dst = malloc(size);
	if (!dst) {
		*failed = 1;
		return NULL;
	}
	memcpy(dst, src, size);
	return dst;
}

/* ---- nic ------------------------------------------------------------- */

static void nic_free(struct fid_nic *nic)
{
	if (!nic)
		return;
	if (nic->device_attr) {
		struct fi_device_attr *d = nic->device_attr;
		free(d->name);
		free(d->device_id);
		free(d->device_version);
		free(d->vendor_id);
		free(d->driver);
		free(d->firmware);
		free(d);
	}
	free(nic->bus_attr);
	if (nic->link_attr) {
		free(nic->link_attr->address);
		free(nic->link_attr->network_type);
		free(nic->link_attr);
	}
	free(nic);
}

/* fi_close() on a nic weft allocated frees it (libfabric applications may
 * close info->nic themselves before fi_freeinfo; fi_freeinfo goes through
 * the same slot). */
static int nic_close(struct fid *fid)
{
	nic_free((struct fid_nic *)fid);
	return 0;
}

static int nic_bind(struct fid *fid, struct fid *bfid, uint64_t flags)
{
	return -FI_ENOSYS;
}

static int nic_control(struct fid *fid, int command, void *arg)
{
	return -FI_ENOSYS;
}

static int nic_ops_open(struct fid *fid, const char *name, uint64_t flags,
			void **ops, void *context)
{
	return -FI_ENOSYS;
}

/* Appends to buf at *pos, keeping it NUL terminated; remembers overflow
 * in *pos exceeding len. */
static void nic_print(char *buf, size_t len, size_t *pos, const char *fmt,
		      ...) __attribute__((format(printf, 4, 5)));
static void nic_print(char *buf, size_t len, size_t *pos, const char *fmt,
		      ...)
{
	va_list ap;
	int n;

	if (*pos >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *pos, len - *pos, fmt, ap);
	va_end(ap);
	*pos += n > 0 ? (size_t)n : 0;
}

static const char *nz(const char *s)
{
	return s ? s : "(null)";
}

/* fi_tostr(FI_TYPE_INFO) asks the nic to describe itself (heading
 * included), indented like the rest of the fi_info text. */
static int nic_tostr(const struct fid *fid, char *buf, size_t len)
{
	const struct fid_nic *nic = (const struct fid_nic *)fid;
	size_t pos = 0;

	if (!buf || !len)
		return -FI_EINVAL;
	buf[0] = '\0';
	nic_print(buf, len, &pos, "    nic:\n");
	if (nic->device_attr) {
		const struct fi_device_attr *d = nic->device_attr;

		nic_print(buf, len, &pos,
			  "        fi_device_attr:\n"
			  "            name: %s\n"
			  "            device_id: %s\n"
			  "            device_version: %s\n"
			  "            vendor_id: %s\n"
			  "            driver: %s\n"
			  "            firmware: %s\n",
			  nz(d->name), nz(d->device_id), nz(d->device_version),
			  nz(d->vendor_id), nz(d->driver), nz(d->firmware));
	}
	if (nic->bus_attr) {
		const struct fi_bus_attr *b = nic->bus_attr;

		nic_print(buf, len, &pos,
			  "        fi_bus_attr:\n"
			  "            bus_type: %s\n",
			  b->bus_type == FI_BUS_PCI ? "FI_BUS_PCI"
						    : "FI_BUS_UNKNOWN");
		if (b->bus_type == FI_BUS_PCI)
			nic_print(buf, len, &pos,
				  "            fi_pci_attr:\n"
				  "                domain_id: %u\n"
				  "                bus_id: %u\n"
				  "                device_id: %u\n"
				  "                function_id: %u\n",
				  b->attr.pci.domain_id, b->attr.pci.bus_id,
				  b->attr.pci.device_id,
				  b->attr.pci.function_id);
	}
	if (nic->link_attr) {
		const struct fi_link_attr *l = nic->link_attr;

		nic_print(buf, len, &pos,
			  "        fi_link_attr:\n"
			  "            address: %s\n"
			  "            mtu: %zu\n"
			  "            speed: %zu\n"
			  "            state: %s\n"
			  "            network_type: %s\n",
			  nz(l->address), l->mtu, l->speed,
			  l->state == FI_LINK_UP	? "FI_LINK_UP"
			  : l->state == FI_LINK_DOWN	? "FI_LINK_DOWN"
							: "FI_LINK_UNKNOWN",
			  nz(l->network_type));
	}
	return pos < len ? 0 : -FI_ETOOSMALL;
}

static int nic_ops_set(struct fid *fid, const char *name, uint64_t flags,
		       void *ops, void *context)
{
	return -FI_ENOSYS;
}

static struct fi_ops nic_ops = {
	.size = sizeof(struct fi_ops),
	.close = nic_close,
	.bind = nic_bind,
	.control = nic_control,
	.ops_open = nic_ops_open,
	.tostr = nic_tostr,
	.ops_set = nic_ops_set,
};

static struct fid_nic *nic_dup(const struct fid_nic *src, int *failed)
{
	struct fid_nic *nic;

	if (!src)
		return NULL;
	nic = calloc(1, sizeof(*nic));
	if (!nic) {
		*failed = 1;
		return NULL;
	}
	nic->fid.fclass = FI_CLASS_NIC;
	nic->fid.context = src->fid.context;
	nic->fid.ops = &nic_ops;
	/* Provider-private and opaque to the core: shared, never freed. */
	nic->prov_attr = src->prov_attr;

	if (src->device_attr) {
		const struct fi_device_attr *s = src->device_attr;
		struct fi_device_attr *d = calloc(1, sizeof(*d));

		nic->device_attr = d;
		if (!d) {
			*failed = 1;
		} else {
			d->name = str_dup(s->name, failed);
			d->device_id = str_dup(s->device_id, failed);
			d->device_version = str_dup(s->device_version, failed);
			d->vendor_id = str_dup(s->vendor_id, failed);
			d->driver = str_dup(s->driver, failed);
			d->firmware = str_dup(s->firmware, failed);
		}
	}
	nic->bus_attr = attr_dup(src->bus_attr, sizeof(*src->bus_attr), failed);
	if (src->link_attr) {
		struct fi_link_attr *l =
			attr_dup(src->link_attr, sizeof(*l), failed);

		nic->link_attr = l;
		if (l) {
			l->address = str_dup(src->link_attr->address, failed);
			l->network_type =
				str_dup(src->link_attr->network_type, failed);
		}
	}
	return nic;
}

/* ---- fi_info ----------------------------------------------------------- */

static void info_free_one(struct fi_info *info)
{
	free(info->src_addr);
	free(info->dest_addr);
	free(info->tx_attr);
	free(info->rx_attr);
	if (info->ep_attr) {
		free(info->ep_attr->auth_key);
		free(info->ep_attr);
	}
	if (info->domain_attr) {
		free(info->domain_attr->name);
		free(info->domain_attr->auth_key);
		free(info->domain_attr);
	}
	if (info->fabric_attr) {
		free(info->fabric_attr->name);
		free(info->fabric_attr->prov_name);
		free(info->fabric_attr);
	}
	if (info->nic) {
		/* A nic built by weft closes through nic_ops; one a provider
		 * or the application attached keeps its own close. */
		if (info->nic->fid.ops && info->nic->fid.ops->close)
			info->nic->fid.ops->close(&info->nic->fid);
		else
			nic_free(info->nic);
	}
	free(info);
}

/* Bound to fi_freeinfo@@FABRIC_1.3 / fi_dupinfo@@FABRIC_1.3 (see
 * getinfo.c for why the internal names). */
__asm__(".symver weft_fi_freeinfo, fi_freeinfo@@FABRIC_1.3");
__asm__(".symver weft_fi_dupinfo, fi_dupinfo@@FABRIC_1.3");

WEFT_EXPORT void weft_fi_freeinfo(struct fi_info *info)
{
	while (info) {
		struct fi_info *next = info->next;

		info_free_one(info);
		info = next;
	}
}

struct fi_info *weft_info_alloc(void)
{
	struct fi_info *info = calloc(1, sizeof(*info));

	if (!info)
		return NULL;
	info->tx_attr = calloc(1, sizeof(*info->tx_attr));
	info->rx_attr = calloc(1, sizeof(*info->rx_attr));
	info->ep_attr = calloc(1, sizeof(*info->ep_attr));
	info->domain_attr = calloc(1, sizeof(*info->domain_attr));
	info->fabric_attr = calloc(1, sizeof(*info->fabric_attr));
	if (!info->tx_attr || !info->rx_attr || !info->ep_attr ||
	    !info->domain_attr || !info->fabric_attr) {
		weft_fi_freeinfo(info);
		return NULL;
	}
	return info;
}

WEFT_EXPORT struct fi_info *weft_fi_dupinfo(const struct fi_info *info)
{
	struct fi_info *dup;
	int failed = 0;

	if (!info)
		return weft_info_alloc();

	dup = calloc(1, sizeof(*dup));
	if (!dup)
		return NULL;
	/* Scalars and the application's object pointers; everything owned
	 * is replaced below (the copy never shares memory with the
	 * original). */
	dup->caps = info->caps;
	dup->mode = info->mode;
	dup->addr_format = info->addr_format;
	dup->handle = info->handle;

	if (info->src_addr) {
		dup->src_addr = mem_dup(info->src_addr, info->src_addrlen);
		dup->src_addrlen = info->src_addrlen;
		failed |= !dup->src_addr;
	}
	if (info->dest_addr) {
		dup->dest_addr = mem_dup(info->dest_addr, info->dest_addrlen);
		dup->dest_addrlen = info->dest_addrlen;
		failed |= !dup->dest_addr;
	}
	dup->tx_attr = attr_dup(info->tx_attr, sizeof(*info->tx_attr), &failed);
	dup->rx_attr = attr_dup(info->rx_attr, sizeof(*info->rx_attr), &failed);

	dup->ep_attr = attr_dup(info->ep_attr, sizeof(*info->ep_attr), &failed);
	if (dup->ep_attr) {
		dup->ep_attr->auth_key = NULL;
		if (info->ep_attr->auth_key && info->ep_attr->auth_key_size) {
			dup->ep_attr->auth_key =
				mem_dup(info->ep_attr->auth_key,
					info->ep_attr->auth_key_size);
			failed |= !dup->ep_attr->auth_key;
		}
	}

	dup->domain_attr = attr_dup(info->domain_attr,
				    sizeof(*info->domain_attr), &failed);
	if (dup->domain_attr) {
		const struct fi_domain_attr *d = info->domain_attr;

		dup->domain_attr->name = str_dup(d->name, &failed);
		dup->domain_attr->auth_key = NULL;
		if (d->auth_key && d->auth_key_size) {
			dup->domain_attr->auth_key =
				mem_dup(d->auth_key, d->auth_key_size);
			failed |= !dup->domain_attr->auth_key;
		}
	}

	dup->fabric_attr = attr_dup(info->fabric_attr,
				    sizeof(*info->fabric_attr), &failed);
	if (dup->fabric_attr) {
		dup->fabric_attr->name =
			str_dup(info->fabric_attr->name, &failed);
		dup->fabric_attr->prov_name =
			str_dup(info->fabric_attr->prov_name, &failed);
	}

	dup->nic = nic_dup(info->nic, &failed);

	if (failed) {
		weft_fi_freeinfo(dup);
		return NULL;
	}
	return dup;
}
