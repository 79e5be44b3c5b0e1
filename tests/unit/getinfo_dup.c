/* fi_dupinfo / fi_freeinfo / fi_allocinfo: deep copies of every owned
 * member, nothing shared, everything freed (run under ASan to see leaks
 * and double frees). */
#include <netinet/in.h>

#include "testlib.h"
#include "core/core.h"

static struct fi_info *full_info(void)
{
	struct fi_info *info = fi_allocinfo();
	struct sockaddr_in *sin;
	struct fid_nic *nic;

	CHECK(info);
	CHECK(info->tx_attr && info->rx_attr && info->ep_attr &&
	      info->domain_attr && info->fabric_attr && !info->nic);
	CHECK(info->caps == 0 && info->domain_attr->name == NULL);

	info->caps = FI_MSG;
	info->mode = FI_CONTEXT;
	info->addr_format = FI_SOCKADDR_IN;
	sin = calloc(1, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(1234);
	info->src_addr = sin;
	info->src_addrlen = sizeof(*sin);
	info->dest_addr = calloc(1, sizeof(*sin));
	memcpy(info->dest_addr, sin, sizeof(*sin));
	info->dest_addrlen = sizeof(*sin);
	info->tx_attr->size = 77;
	info->rx_attr->iov_limit = 3;
	info->ep_attr->type = FI_EP_RDM;
	info->ep_attr->auth_key = (uint8_t *)strdup("epkey");
	info->ep_attr->auth_key_size = 5;
	info->domain_attr->name = strdup("dom0");
	info->domain_attr->auth_key = (uint8_t *)strdup("domkey!");
	info->domain_attr->auth_key_size = 7;
	info->domain_attr->threading = FI_THREAD_DOMAIN;
	info->fabric_attr->name = strdup("fab0");
	info->fabric_attr->prov_name = strdup("udp");
	info->fabric_attr->api_version = FI_VERSION(1, 17);

	/* A nic as a provider could attach one: duplicate it to get weft's
	 * own allocation. */
	nic = calloc(1, sizeof(*nic));
	nic->fid.fclass = FI_CLASS_NIC;
	nic->device_attr = calloc(1, sizeof(*nic->device_attr));
	nic->device_attr->name = (char *)"dev";
	nic->device_attr->driver = (char *)"drv";
	nic->bus_attr = calloc(1, sizeof(*nic->bus_attr));
	nic->bus_attr->bus_type = FI_BUS_PCI;
	nic->bus_attr->attr.pci.bus_id = 7;
	nic->link_attr = calloc(1, sizeof(*nic->link_attr));
	nic->link_attr->address = (char *)"aa:bb";
	nic->link_attr->network_type = (char *)"Ethernet";
	nic->link_attr->mtu = 1500;
	nic->prov_attr = (void *)0x1234;
	{
		struct fi_info tmp = { .nic = nic };
		struct fi_info *d = fi_dupinfo(&tmp);

		CHECK(d && d->nic && d->nic != nic);
		info->nic = d->nic;
		d->nic = NULL;
		fi_freeinfo(d);
	}
	free(nic->device_attr);
	free(nic->bus_attr);
	free(nic->link_attr);
	free(nic);
	return info;
}

static void check_same_but_separate(const struct fi_info *a,
				    const struct fi_info *b)
{
	CHECK(a != b);
	CHECK(b->next == NULL);
	CHECK(a->caps == b->caps && a->mode == b->mode);
	CHECK(a->addr_format == b->addr_format);
	CHECK(a->src_addr != b->src_addr && a->src_addrlen == b->src_addrlen);
	CHECK(memcmp(a->src_addr, b->src_addr, a->src_addrlen) == 0);
	CHECK(a->dest_addr != b->dest_addr);
	CHECK(memcmp(a->dest_addr, b->dest_addr, a->dest_addrlen) == 0);
	CHECK(a->tx_attr != b->tx_attr && b->tx_attr->size == 77);
	CHECK(a->rx_attr != b->rx_attr && b->rx_attr->iov_limit == 3);
	CHECK(a->ep_attr != b->ep_attr && b->ep_attr->type == FI_EP_RDM);
	CHECK(a->ep_attr->auth_key != b->ep_attr->auth_key);
	CHECK(b->ep_attr->auth_key_size == 5);
	CHECK(memcmp(b->ep_attr->auth_key, "epkey", 5) == 0);
	CHECK(a->domain_attr != b->domain_attr);
	CHECK(a->domain_attr->name != b->domain_attr->name);
	CHECK(strcmp(b->domain_attr->name, "dom0") == 0);
	CHECK(a->domain_attr->auth_key != b->domain_attr->auth_key);
	CHECK(memcmp(b->domain_attr->auth_key, "domkey!", 7) == 0);
	CHECK(b->domain_attr->threading == FI_THREAD_DOMAIN);
	CHECK(a->fabric_attr != b->fabric_attr);
	CHECK(a->fabric_attr->name != b->fabric_attr->name);
	CHECK(strcmp(b->fabric_attr->name, "fab0") == 0);
	CHECK(strcmp(b->fabric_attr->prov_name, "udp") == 0);
	CHECK(b->fabric_attr->api_version == FI_VERSION(1, 17));
	CHECK(a->nic != b->nic && b->nic);
	CHECK(b->nic->fid.fclass == FI_CLASS_NIC && b->nic->fid.ops);
	CHECK(a->nic->device_attr != b->nic->device_attr);
	CHECK(a->nic->device_attr->name != b->nic->device_attr->name);
	CHECK(strcmp(b->nic->device_attr->name, "dev") == 0);
	CHECK(strcmp(b->nic->device_attr->driver, "drv") == 0);
	CHECK(b->nic->device_attr->firmware == NULL);
	CHECK(b->nic->bus_attr != a->nic->bus_attr);
	CHECK(b->nic->bus_attr->bus_type == FI_BUS_PCI);
	CHECK(b->nic->bus_attr->attr.pci.bus_id == 7);
	CHECK(b->nic->link_attr != a->nic->link_attr);
	CHECK(b->nic->link_attr->address != a->nic->link_attr->address);
	CHECK(strcmp(b->nic->link_attr->network_type, "Ethernet") == 0);
	CHECK(b->nic->link_attr->mtu == 1500);
	CHECK(b->nic->prov_attr == (void *)0x1234); /* opaque: shared */
}

int main(void)
{
	struct fi_info *a = full_info(), *b, *c, *list;
	struct fi_info bare = { 0 };
	struct fid_nic *nic;

	b = fi_dupinfo(a);
	CHECK(b);
	check_same_but_separate(a, b);

	/* A copy of a copy, then the original goes away first. */
	c = fi_dupinfo(b);
	CHECK(c);
	fi_freeinfo(a);
	a = NULL;
	check_same_but_separate(b, c);

	/* fi_dupinfo copies one structure, not the list; fi_freeinfo frees
	 * the whole list. */
	b->next = c;
	list = fi_dupinfo(b);
	CHECK(list && list->next == NULL);
	fi_freeinfo(list);
	fi_freeinfo(b); /* frees c too */

	/* fi_allocinfo is fi_dupinfo(NULL). */
	list = fi_dupinfo(NULL);
	CHECK(list && list->tx_attr && list->fabric_attr && !list->nic);
	CHECK(list->fabric_attr->prov_name == NULL);
	fi_freeinfo(list);

	/* Missing attribute structs stay missing. */
	list = fi_dupinfo(&bare);
	CHECK(list && !list->tx_attr && !list->domain_attr && !list->nic);
	fi_freeinfo(list);

	/* The nic describes itself for fi_tostr. */
	{
		char buf[1024], tiny[16];

		a = full_info();
		CHECK_OK(a->nic->fid.ops->tostr(&a->nic->fid, buf,
						sizeof(buf)));
		CHECK(strstr(buf, "nic:") && strstr(buf, "name: dev"));
		CHECK(strstr(buf, "bus_id: 7") && strstr(buf, "mtu: 1500"));
		CHECK(strstr(buf, "network_type: Ethernet"));
		CHECK_RET(a->nic->fid.ops->tostr(&a->nic->fid, tiny,
						 sizeof(tiny)),
			  -FI_ETOOSMALL);
		CHECK(strlen(tiny) < sizeof(tiny));
		CHECK_RET(a->nic->fid.ops->bind(&a->nic->fid, NULL, 0),
			  -FI_ENOSYS);
		fi_freeinfo(a);
	}

	/* An application may fi_close the nic before freeing the info. */
	a = full_info();
	nic = a->nic;
	a->nic = NULL;
	CHECK_OK(fi_close(&nic->fid));
	fi_freeinfo(a);

	fi_freeinfo(NULL); /* allowed */
	return 0;
}
