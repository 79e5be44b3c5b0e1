/* The tcp provider's registration: its fi_provider, its tunables and the
 * descriptor the core's registry and matcher read. */
#include <stdlib.h>

#include "tcp_rdm.h"

struct tcp_params tcp_params = {
	.backlog = 4096,
	.unexp_limit = 16u << 20,
	.nodelay = true,
	.handshake_ms = 10000,
	.rdm_eager = TCP_RDM_EAGER_DEF,
};

static void tcp_cleanup(void)
{
}

struct fi_provider tcp_prov = {
	.version = WEFT_PROV_VERSION,
	.fi_version = WEFT_FI_VERSION,
	.name = "tcp",
	.getinfo = NULL, /* the core's matcher answers from tcp_desc */
	.fabric = tcp_fabric_open,
	.cleanup = tcp_cleanup,
};

/* The provider's tunables, one row each: listed by `fi_info -e`, read from
 * FI_TCP_<NAME>. */
static const struct {
	const char *name;
	enum fi_param_type type;
	const char *help;
} tcp_param_table[] = {
	{ "backlog", FI_PARAM_INT,
	  "listen(2) backlog of passive endpoints (the kernel caps it at "
	  "net.core.somaxconn). Default: 4096." },
	{ "unexp_limit", FI_PARAM_SIZE_T,
	  "Bytes of unexpected messages (arrived before a matching receive "
	  "was posted) one endpoint buffers; past it the endpoint stops "
	  "reading the connection until a receive is posted, so TCP flow "
	  "control holds the sender back. Default: 16777216." },
	{ "nodelay", FI_PARAM_BOOL,
	  "Set TCP_NODELAY on connections (no Nagle delay for small "
	  "messages). Default: true." },
	{ "handshake_timeout", FI_PARAM_INT,
	  "Milliseconds an accepted socket has to deliver its connection "
	  "request before the listener closes it. Default: 10000." },
	{ "rdm_eager", FI_PARAM_SIZE_T,
	  "RDM endpoints: messages up to this many bytes are sent at once "
	  "(buffered by the receiver when unexpected); larger ones wait "
	  "until the receiver has matched a receive (rendezvous). "
	  "Default: 65536." },
};

static int tcp_init(void)
{
	size_t n = sizeof(tcp_param_table) / sizeof(tcp_param_table[0]);
	size_t sz;
	int v;

	for (size_t i = 0; i < n; i++)
		fi_param_define(&tcp_prov, tcp_param_table[i].name,
				tcp_param_table[i].type, "%s",
				tcp_param_table[i].help);
	if (fi_param_get_int(&tcp_prov, "backlog", &v) == 0 && v > 0)
		tcp_params.backlog = v;
	if (fi_param_get_size_t(&tcp_prov, "unexp_limit", &sz) == 0)
		tcp_params.unexp_limit = sz;
	if (fi_param_get_bool(&tcp_prov, "nodelay", &v) == 0)
		tcp_params.nodelay = v != 0;
	if (fi_param_get_int(&tcp_prov, "handshake_timeout", &v) == 0 && v > 0)
		tcp_params.handshake_ms = v;
	if (fi_param_get_size_t(&tcp_prov, "rdm_eager", &sz) == 0 && sz > 0)
		tcp_params.rdm_eager = sz;
	return 0;
}

const struct weft_prov_desc tcp_desc = {
	.prov = &tcp_prov,
	.infos = tcp_infos,
	.init = tcp_init,
	.fixup = NULL, /* the core resolves node/service into sockaddrs */
};

WEFT_PROVIDER(tcp_desc);
