/* The udp provider's registration: its fi_provider, its tunables and the
 * descriptor the core's registry and matcher read. */
#include <stdlib.h>

#include "udp.h"

struct udp_params udp_params;

static void udp_cleanup(void)
{
	/* udp_params.iface belongs to the parameter store (fi_param_get hands
	 * out its own string), so there is nothing to release here. */
}

struct fi_provider udp_prov = {
	.version = WEFT_PROV_VERSION,
	.fi_version = WEFT_FI_VERSION,
	.name = "udp",
	.getinfo = NULL, /* the core's matcher answers from udp_desc */
	.fabric = udp_fabric_open,
	.cleanup = udp_cleanup,
};

/* The provider's tunables, one row each: listed by `fi_info -e`, read from
 * FI_UDP_<NAME>. */
static const struct {
	const char *name;
	enum fi_param_type type;
	const char *help;
} udp_param_table[] = {
	{ "iface", FI_PARAM_STRING,
	  "Offer only this network interface (e.g. eth0, lo). Default: all "
	  "interfaces that are up." },
	{ "sndbuf", FI_PARAM_INT,
	  "Socket send buffer size in bytes (SO_SNDBUF). Default: 0, the "
	  "kernel's default." },
	{ "rcvbuf", FI_PARAM_INT,
	  "Socket receive buffer size in bytes (SO_RCVBUF): how many "
	  "datagrams can wait for a posted receive. Default: 0, the kernel's "
	  "default (RDM endpoints ask for 8 MiB)." },
	{ "rdm_rto_min_us", FI_PARAM_INT,
	  "RDM: floor of the retransmit timeout, microseconds. Default: 200." },
	{ "rdm_dead_ms", FI_PARAM_INT,
	  "RDM: a peer that has not answered for this long while sends to it "
	  "are outstanding is declared dead and the sends fail "
	  "(FI_ETIMEDOUT). Default: 5000." },
	{ "rdm_drop_ppm", FI_PARAM_INT,
	  "RDM, for testing: drop this many of every million packets sent, "
	  "to exercise loss recovery on a clean link. Default: 0." },
	{ "rdm_mtu", FI_PARAM_INT,
	  "RDM: payload bytes per packet. Default: 0, 16384 on loopback and "
	  "what a 1500-byte Ethernet frame carries elsewhere." },
	{ "rdm_unexp_mb", FI_PARAM_INT,
	  "RDM: MiB per endpoint for messages that arrive before their "
	  "receive is posted (address space reserved at open, memory used "
	  "only as messages are buffered). A message that finds no room "
	  "waits at the sender, which retransmits. Default: 64." },
};

static int udp_init(void)
{
	size_t n = sizeof(udp_param_table) / sizeof(udp_param_table[0]);
	int v;

	for (size_t i = 0; i < n; i++)
		fi_param_define(&udp_prov, udp_param_table[i].name,
				udp_param_table[i].type, "%s",
				udp_param_table[i].help);

	if (fi_param_get_str(&udp_prov, "iface", &udp_params.iface) != 0 ||
	    (udp_params.iface && !udp_params.iface[0]))
		udp_params.iface = NULL;
	if (fi_param_get_int(&udp_prov, "sndbuf", &v) == 0 && v > 0)
		udp_params.sndbuf = v;
	if (fi_param_get_int(&udp_prov, "rcvbuf", &v) == 0 && v > 0)
		udp_params.rcvbuf = v;
	udp_params.rdm_rto_min_us = 200;
	if (fi_param_get_int(&udp_prov, "rdm_rto_min_us", &v) == 0 && v > 0)
		udp_params.rdm_rto_min_us = v;
	udp_params.rdm_dead_ms = 5000;
	if (fi_param_get_int(&udp_prov, "rdm_dead_ms", &v) == 0 && v > 0)
		udp_params.rdm_dead_ms = v;
	if (fi_param_get_int(&udp_prov, "rdm_drop_ppm", &v) == 0 && v > 0 &&
	    v < 1000000)
		udp_params.rdm_drop_ppm = v;
	if (fi_param_get_int(&udp_prov, "rdm_mtu", &v) == 0 && v >= 64 &&
	    v <= 65000)
		udp_params.rdm_mtu = v;
	if (fi_param_get_int(&udp_prov, "rdm_unexp_mb", &v) == 0 && v > 0 &&
	    v <= 4096)
		udp_params.rdm_unexp_mb = v;
	return 0;
}

const struct weft_prov_desc udp_desc = {
	.prov = &udp_prov,
	.infos = udp_infos,
	.init = udp_init,
	.fixup = udp_info_fixup,
};

WEFT_PROVIDER(udp_desc);
