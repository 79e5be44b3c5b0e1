/* The shared matcher (weft_info_match) against a fake provider template:
 * every hint field it checks or narrows. */
#include "testlib.h"
#include "core/core.h"

static struct fi_provider fake_prov = {
	.version = FI_VERSION(3, 4),
	.fi_version = FI_VERSION(1, 17),
	.name = "fake",
};

static struct fi_tx_attr t_tx;
static struct fi_rx_attr t_rx;
static struct fi_ep_attr t_ep;
static struct fi_domain_attr t_dom;
static struct fi_fabric_attr t_fab;
static struct fi_info t_info;

#define V(x) FI_VERSION(1, x)

/* A fresh template: RDM over IPv4, a bit of everything. */
static const struct fi_info *tmpl(void)
{
	t_tx = (struct fi_tx_attr){
		.caps = FI_MSG | FI_SEND | FI_RMA | FI_READ | FI_WRITE,
		.op_flags = FI_TRANSMIT_COMPLETE | FI_DELIVERY_COMPLETE,
		.msg_order = FI_ORDER_SAS,
		.comp_order = FI_ORDER_STRICT,
		.inject_size = 64,
		.size = 1024,
		.iov_limit = 4,
		.rma_iov_limit = 1,
	};
	t_rx = (struct fi_rx_attr){
		.caps = FI_MSG | FI_RECV | FI_SOURCE | FI_MULTI_RECV,
		.msg_order = FI_ORDER_SAS,
		.comp_order = FI_ORDER_STRICT,
		.size = 512,
		.iov_limit = 4,
	};
	t_ep = (struct fi_ep_attr){
		.type = FI_EP_RDM,
		.protocol = FI_PROTO_UDP,
		.protocol_version = 2,
		.max_msg_size = 65000,
		.mem_tag_format = 0xffffffffULL,
		.tx_ctx_cnt = 1,
		.rx_ctx_cnt = 1,
		.auth_key_size = 0,
	};
	t_dom = (struct fi_domain_attr){
		.threading = FI_THREAD_SAFE,
		.control_progress = FI_PROGRESS_AUTO,
		.data_progress = FI_PROGRESS_MANUAL,
		.resource_mgmt = FI_RM_ENABLED,
		.av_type = FI_AV_UNSPEC,
		.mr_mode = 0,
		.mr_key_size = 8,
		.cq_data_size = 8,
		.cq_cnt = 16,
		.ep_cnt = 16,
		.tx_ctx_cnt = 16,
		.rx_ctx_cnt = 16,
		.max_ep_tx_ctx = 1,
		.max_ep_rx_ctx = 1,
		.cntr_cnt = 16,
		.mr_iov_limit = 1,
		.caps = FI_LOCAL_COMM | FI_REMOTE_COMM,
		.max_err_data = 0,
		.mr_cnt = 100,
	};
	t_fab = (struct fi_fabric_attr){ .name = (char *)"fakenet" };
	t_info = (struct fi_info){
		.caps = FI_MSG | FI_RMA | FI_SEND | FI_RECV | FI_READ |
			FI_WRITE | FI_REMOTE_READ | FI_REMOTE_WRITE |
			FI_SOURCE | FI_MULTI_RECV | FI_LOCAL_COMM |
			FI_REMOTE_COMM,
		.mode = 0,
		.addr_format = FI_SOCKADDR_IN,
		.tx_attr = &t_tx,
		.rx_attr = &t_rx,
		.ep_attr = &t_ep,
		.domain_attr = &t_dom,
		.fabric_attr = &t_fab,
	};
	return &t_info;
}

/* Match with the given hints; returns the ret code, *out on success. */
static int match(uint32_t v, const struct fi_info *hints, struct fi_info **out)
{
	struct fi_info *got = NULL;
	int ret = weft_info_match(v, &fake_prov, &t_info, hints, &got);

	if (ret == 0) {
		CHECK(got != NULL);
		CHECK(got->next == NULL);
	}
	*out = got;
	return ret;
}

static void expect_nomatch(uint32_t v, const struct fi_info *hints)
{
	struct fi_info *got = (struct fi_info *)0x1;

	CHECK_RET(weft_info_match(v, &fake_prov, &t_info, hints, &got),
		  -FI_ENODATA);
	CHECK(got == (struct fi_info *)0x1); /* untouched on failure */
}

static struct fi_info *hints_new(void)
{
	struct fi_info *h = fi_allocinfo();

	CHECK(h != NULL);
	h->mode = ~0ULL;
	h->domain_attr->mr_mode = ~(FI_MR_BASIC | FI_MR_SCALABLE);
	return h;
}

static void test_null_hints(void)
{
	struct fi_info *got;

	tmpl();
	CHECK_OK(match(V(17), NULL, &got));
	CHECK(got->caps == t_info.caps);
	CHECK(got->addr_format == FI_SOCKADDR_IN);
	CHECK(strcmp(got->fabric_attr->prov_name, "fake") == 0);
	CHECK(got->fabric_attr->prov_version == FI_VERSION(3, 4));
	CHECK(got->fabric_attr->api_version == V(17));
	CHECK(strcmp(got->fabric_attr->name, "fakenet") == 0);
	/* A deep copy: nothing shared with the static template. */
	CHECK(got->tx_attr != &t_tx && got->domain_attr != &t_dom);
	CHECK(got->fabric_attr->name != t_fab.name);
	CHECK(got->tx_attr->size == 1024 && got->rx_attr->size == 512);
	CHECK(got->domain_attr->threading == FI_THREAD_SAFE);
	CHECK(got->domain_attr->av_type == FI_AV_UNSPEC);
	fi_freeinfo(got);

	/* api_version is the version argument. */
	CHECK_OK(match(V(9), NULL, &got));
	CHECK(got->fabric_attr->api_version == V(9));
	fi_freeinfo(got);
}

static void test_caps(void)
{
	struct fi_info *h, *got;

	tmpl();
	h = hints_new();
	/* Primary caps narrowed to what was asked; free secondary caps kept,
	 * costly ones (FI_SOURCE) only when asked. */
	h->caps = FI_MSG;
	CHECK_OK(match(V(17), h, &got));
	CHECK(got->caps == (FI_MSG | FI_SEND | FI_RECV | FI_MULTI_RECV |
			    FI_LOCAL_COMM | FI_REMOTE_COMM));
	CHECK(got->tx_attr->caps == (FI_MSG | FI_SEND));
	CHECK(got->rx_attr->caps == (FI_MSG | FI_RECV | FI_MULTI_RECV));
	fi_freeinfo(got);

	h->caps = FI_MSG | FI_SOURCE;
	CHECK_OK(match(V(17), h, &got));
	CHECK(got->caps & FI_SOURCE);
	CHECK(got->rx_attr->caps & FI_SOURCE);
	fi_freeinfo(got);

	/* A modifier restricts: send-only messaging. */
	h->caps = FI_MSG | FI_SEND;
	CHECK_OK(match(V(17), h, &got));
	CHECK((got->caps & (FI_SEND | FI_RECV)) == FI_SEND);
	fi_freeinfo(got);

	/* RMA without modifiers implies all four. */
	h->caps = FI_RMA;
	CHECK_OK(match(V(17), h, &got));
	CHECK((got->caps & (FI_READ | FI_WRITE | FI_REMOTE_READ |
			    FI_REMOTE_WRITE)) ==
	      (FI_READ | FI_WRITE | FI_REMOTE_READ | FI_REMOTE_WRITE));
	CHECK(!(got->caps & FI_MSG));
	fi_freeinfo(got);

	/* Not offered. */
	h->caps = FI_TAGGED;
	expect_nomatch(V(17), h);
	h->caps = FI_MSG | FI_RMA_EVENT;
	expect_nomatch(V(17), h);
	h->caps = FI_ATOMIC;
	expect_nomatch(V(17), h);

	/* Caps only on the contexts still count. */
	h->caps = 0;
	h->tx_attr->caps = FI_TAGGED;
	expect_nomatch(V(17), h);
	/* An rx-only bit in tx caps is ignored, not a mismatch. */
	h->caps = FI_MSG;
	h->tx_attr->caps = FI_MSG | FI_SEND | FI_RECV;
	CHECK_OK(match(V(17), h, &got));
	CHECK(got->tx_attr->caps == (FI_MSG | FI_SEND));
	fi_freeinfo(got);

	/* A template without context caps: each context gets the endpoint's
	 * caps for its direction. */
	t_tx.caps = 0;
	t_rx.caps = 0;
	h->tx_attr->caps = 0;
	h->caps = FI_MSG;
	CHECK_OK(match(V(17), h, &got));
	CHECK(got->tx_attr->caps ==
	      (FI_MSG | FI_SEND | FI_LOCAL_COMM | FI_REMOTE_COMM));
	CHECK(got->rx_attr->caps == (FI_MSG | FI_RECV | FI_MULTI_RECV |
				     FI_LOCAL_COMM | FI_REMOTE_COMM));
	fi_freeinfo(got);
	fi_freeinfo(h);
}

static void test_mode(void)
{
	struct fi_info *h, *got;

	tmpl();
	t_info.mode = FI_CONTEXT;
	h = hints_new();
	h->mode = 0; /* supports no modes */
	expect_nomatch(V(17), h);
	h->mode = FI_CONTEXT2;
	expect_nomatch(V(17), h);
	h->mode = FI_CONTEXT | FI_CONTEXT2 | FI_MSG_PREFIX;
	CHECK_OK(match(V(17), h, &got));
	CHECK(got->mode == FI_CONTEXT); /* only what is needed */
	fi_freeinfo(got);
	CHECK_OK(match(V(17), NULL, &got));
	CHECK(got->mode == FI_CONTEXT);
	fi_freeinfo(got);

	/* Context modes: tx_attr->mode, falling back to info mode. */
	tmpl();
	t_tx.mode = FI_CONTEXT;
	h->mode = FI_CONTEXT;
	h->tx_attr->mode = 0;
	CHECK_OK(match(V(17), h, &got));
	CHECK(got->tx_attr->mode == FI_CONTEXT);
	fi_freeinfo(got);
	h->tx_attr->mode = FI_MSG_PREFIX;
	expect_nomatch(V(17), h);
	fi_freeinfo(h);
}

static void test_ep_type_format_name(void)
{
	struct fi_info *h, *got;
	int rdm_only = -1;

	tmpl();
	h = hints_new();
	h->ep_attr->type = FI_EP_DGRAM;
	expect_nomatch(V(17), h);
	h->ep_attr->type = FI_EP_RDM;
	CHECK_OK(match(V(17), h, &got));
	fi_freeinfo(got);
	h->ep_attr->type = FI_EP_UNSPEC;

	h->addr_format = FI_SOCKADDR_IN6;
	expect_nomatch(V(17), h);
	h->addr_format = FI_SOCKADDR; /* any socket address */
	CHECK_OK(match(V(17), h, &got));
	CHECK(got->addr_format == FI_SOCKADDR_IN);
	fi_freeinfo(got);
	t_info.addr_format = FI_SOCKADDR; /* a template serving both */
	h->addr_format = FI_SOCKADDR_IN6;
	CHECK_OK(match(V(17), h, &got));
	CHECK(got->addr_format == FI_SOCKADDR_IN6);
	fi_freeinfo(got);
	h->addr_format = FI_ADDR_STR;
	expect_nomatch(V(17), h);
	h->addr_format = FI_FORMAT_UNSPEC;
	t_info.addr_format = FI_SOCKADDR_IN;

	/* Provider names. */
	h->fabric_attr->prov_name = strdup("FaKe");
	CHECK_OK(match(V(17), h, &got));
	fi_freeinfo(got);
	free(h->fabric_attr->prov_name);
	h->fabric_attr->prov_name = strdup("fake;ofi_rxm");
	CHECK_OK(match(V(17), h, &got)); /* template is RDM */
	fi_freeinfo(got);
	t_ep.type = FI_EP_DGRAM;
	expect_nomatch(V(17), h); /* layered name means RDM */
	t_ep.type = FI_EP_RDM;
	free(h->fabric_attr->prov_name);
	h->fabric_attr->prov_name = strdup("fake;ofi_bogus");
	expect_nomatch(V(17), h);
	free(h->fabric_attr->prov_name);
	h->fabric_attr->prov_name = strdup("fak");
	expect_nomatch(V(17), h);
	free(h->fabric_attr->prov_name);
	h->fabric_attr->prov_name = NULL;

	h->fabric_attr->prov_version = FI_VERSION(3, 5);
	expect_nomatch(V(17), h);
	h->fabric_attr->prov_version = FI_VERSION(3, 4);
	CHECK_OK(match(V(17), h, &got));
	fi_freeinfo(got);
	fi_freeinfo(h);

	CHECK(weft_prov_name_match("udp", "udp", &rdm_only) && !rdm_only);
	CHECK(weft_prov_name_match("UDP;ofi_rxd", "udp", &rdm_only) &&
	      rdm_only);
	CHECK(!weft_prov_name_match("udp;ofi_rxd", "tcp", NULL));
	CHECK(!weft_prov_name_match("ofi_rxd", "udp", NULL));
	CHECK(!weft_prov_name_match(NULL, "udp", NULL));
}

static void test_domain_enums(void)
{
	struct fi_info *h, *got;

	tmpl();
	h = hints_new();
	/* Threading: a thread-safe provider serves any level, returns the
	 * requested one. */
	h->domain_attr->threading = FI_THREAD_DOMAIN;
	CHECK_OK(match(V(17), h, &got));
	CHECK(got->domain_attr->threading == FI_THREAD_DOMAIN);
	fi_freeinfo(got);
	t_dom.threading = FI_THREAD_DOMAIN;
	h->domain_attr->threading = FI_THREAD_SAFE;
	expect_nomatch(V(17), h);
	h->domain_attr->threading = FI_THREAD_ENDPOINT;
	expect_nomatch(V(17), h);
	t_dom.threading = FI_THREAD_COMPLETION;
	expect_nomatch(V(17), h); /* endpoint asks more than completion */
	h->domain_attr->threading = FI_THREAD_COMPLETION;
	CHECK_OK(match(V(17), h, &got));
	fi_freeinfo(got);
	h->domain_attr->threading = FI_THREAD_UNSPEC;
	CHECK_OK(match(V(17), h, &got));
	CHECK(got->domain_attr->threading == FI_THREAD_COMPLETION);
	fi_freeinfo(got);
	h->domain_attr->threading = 42;
	expect_nomatch(V(17), h);
	h->domain_attr->threading = FI_THREAD_UNSPEC;

	/* Progress: auto serves manual, not the reverse. */
	h->domain_attr->data_progress = FI_PROGRESS_AUTO;
	expect_nomatch(V(17), h);
	h->domain_attr->data_progress = FI_PROGRESS_MANUAL;
	h->domain_attr->control_progress = FI_PROGRESS_MANUAL;
	CHECK_OK(match(V(17), h, &got));
	CHECK(got->domain_attr->control_progress == FI_PROGRESS_MANUAL);
	CHECK(got->domain_attr->data_progress == FI_PROGRESS_MANUAL);
	fi_freeinfo(got);
	h->domain_attr->control_progress = FI_PROGRESS_UNSPEC;
	h->domain_attr->data_progress = FI_PROGRESS_UNSPEC;

	/* Resource management. */
	h->domain_attr->resource_mgmt = FI_RM_DISABLED;
	CHECK_OK(match(V(17), h, &got));
	CHECK(got->domain_attr->resource_mgmt == FI_RM_ENABLED);
	fi_freeinfo(got);
	t_dom.resource_mgmt = FI_RM_DISABLED;
	h->domain_attr->resource_mgmt = FI_RM_ENABLED;
	expect_nomatch(V(17), h);
	h->domain_attr->resource_mgmt = FI_RM_UNSPEC;

	/* AV type: an UNSPEC template serves both. */
	h->domain_attr->av_type = FI_AV_TABLE;
	CHECK_OK(match(V(17), h, &got));
	CHECK(got->domain_attr->av_type == FI_AV_TABLE);
	fi_freeinfo(got);
	t_dom.av_type = FI_AV_MAP;
	expect_nomatch(V(17), h);
	h->domain_attr->av_type = FI_AV_MAP;
	CHECK_OK(match(V(17), h, &got));
	fi_freeinfo(got);
	fi_freeinfo(h);
}

static void test_limits(void)
{
	struct fi_info *h, *got;

	tmpl();
	h = hints_new();
	/* tx/rx: limits and queue depths. */
	h->tx_attr->size = 100;
	h->rx_attr->size = 50;
	h->tx_attr->iov_limit = 4;
	CHECK_OK(match(V(17), h, &got));
	CHECK(got->tx_attr->size == 100 && got->rx_attr->size == 50);
	CHECK(got->tx_attr->iov_limit == 4 && got->tx_attr->inject_size == 64);
	fi_freeinfo(got);
	h->tx_attr->size = 1025;
	expect_nomatch(V(17), h);
	h->tx_attr->size = 0;
	h->rx_attr->size = 513;
	expect_nomatch(V(17), h);
	h->rx_attr->size = 0;
	h->tx_attr->inject_size = 65;
	expect_nomatch(V(17), h);
	h->tx_attr->inject_size = 0;
	h->tx_attr->rma_iov_limit = 2;
	expect_nomatch(V(17), h);
	h->tx_attr->rma_iov_limit = 0;
	h->rx_attr->iov_limit = 5;
	expect_nomatch(V(17), h);
	h->rx_attr->iov_limit = 0;
	h->tx_attr->msg_order = FI_ORDER_SAS | FI_ORDER_RAW;
	expect_nomatch(V(17), h);
	h->tx_attr->msg_order = FI_ORDER_SAS;
	h->rx_attr->comp_order = FI_ORDER_DATA;
	expect_nomatch(V(17), h);
	h->rx_attr->comp_order = 0;
	h->tx_attr->op_flags = FI_INJECT_COMPLETE;
	expect_nomatch(V(17), h);
	h->tx_attr->op_flags = FI_DELIVERY_COMPLETE | FI_COMPLETION;
	CHECK_OK(match(V(17), h, &got));
	CHECK(got->tx_attr->op_flags == (FI_DELIVERY_COMPLETE | FI_COMPLETION));
	fi_freeinfo(got);
	h->tx_attr->op_flags = 0;

	/* ep_attr. */
	h->ep_attr->max_msg_size = 65001;
	expect_nomatch(V(17), h);
	h->ep_attr->max_msg_size = 100;
	CHECK_OK(match(V(17), h, &got));
	CHECK(got->ep_attr->max_msg_size == 65000);
	fi_freeinfo(got);
	h->ep_attr->protocol = FI_PROTO_SOCK_TCP;
	expect_nomatch(V(17), h);
	h->ep_attr->protocol = FI_PROTO_UDP;
	h->ep_attr->protocol_version = 3;
	expect_nomatch(V(17), h);
	h->ep_attr->protocol_version = 0;
	h->ep_attr->mem_tag_format = 0x1ffffffffULL;
	expect_nomatch(V(17), h);
	h->ep_attr->mem_tag_format = 0xffff;
	CHECK_OK(match(V(17), h, &got));
	CHECK(got->ep_attr->mem_tag_format == 0xffff);
	fi_freeinfo(got);
	h->ep_attr->mem_tag_format = 0;
	h->ep_attr->tx_ctx_cnt = 2;
	expect_nomatch(V(17), h);
	h->ep_attr->tx_ctx_cnt = FI_SHARED_CONTEXT; /* no shared contexts */
	expect_nomatch(V(17), h);
	t_dom.max_ep_stx_ctx = 1;
	CHECK_OK(match(V(17), h, &got));
	CHECK(got->ep_attr->tx_ctx_cnt == FI_SHARED_CONTEXT);
	fi_freeinfo(got);
	h->ep_attr->tx_ctx_cnt = 0;
	h->ep_attr->msg_prefix_size = 8;
	expect_nomatch(V(17), h);
	h->ep_attr->msg_prefix_size = 0;

	/* Domain counts. */
	h->domain_attr->cq_cnt = 17;
	expect_nomatch(V(17), h);
	h->domain_attr->cq_cnt = 16;
	h->domain_attr->cq_data_size = 9;
	expect_nomatch(V(17), h);
	h->domain_attr->cq_data_size = 4;
	h->domain_attr->mr_key_size = 16;
	expect_nomatch(V(17), h);
	h->domain_attr->mr_key_size = 0;
	h->domain_attr->max_ep_rx_ctx = 2;
	expect_nomatch(V(17), h);
	h->domain_attr->max_ep_rx_ctx = 0;
	CHECK_OK(match(V(17), h, &got));
	CHECK(got->domain_attr->cq_cnt == 16);
	CHECK(got->domain_attr->cq_data_size == 8);
	fi_freeinfo(got);
	fi_freeinfo(h);
}

/* Fields newer than the caller's version are ignored in its hints. */
static void test_version_fields(void)
{
	struct fi_info *h, *got;
	uint8_t key[4] = { 1, 2, 3, 4 };

	tmpl();
	h = hints_new();
	h->domain_attr->mr_mode = FI_MR_UNSPEC;
	h->domain_attr->mr_cnt = 1000; /* above the template's 100 */
	h->domain_attr->cntr_cnt = 1000;
	h->ep_attr->auth_key = key;
	h->ep_attr->auth_key_size = sizeof(key);
	h->domain_attr->caps = FI_SHARED_AV;
	CHECK_OK(match(V(4), h, &got)); /* 1.4 knew none of them */
	CHECK(got->ep_attr->auth_key == NULL);
	fi_freeinfo(got);
	h->domain_attr->mr_mode = 0;
	expect_nomatch(V(5), h);
	h->domain_attr->mr_cnt = 0;
	h->domain_attr->cntr_cnt = 0;
	expect_nomatch(V(5), h); /* auth key too long for the template */
	t_ep.auth_key_size = 8;
	expect_nomatch(V(5), h); /* FI_SHARED_AV not a domain cap */
	h->domain_attr->caps = FI_LOCAL_COMM;
	CHECK_OK(match(V(5), h, &got));
	CHECK(got->ep_attr->auth_key_size == sizeof(key));
	CHECK(got->ep_attr->auth_key != key &&
	      memcmp(got->ep_attr->auth_key, key, sizeof(key)) == 0);
	fi_freeinfo(got);
	h->ep_attr->auth_key = NULL;
	h->ep_attr->auth_key_size = 0;

	/* tclass exists from 1.9. */
	h->tx_attr->tclass = FI_TC_BULK_DATA;
	h->domain_attr->tclass = FI_TC_LOW_LATENCY;
	CHECK_OK(match(V(9), h, &got));
	CHECK(got->tx_attr->tclass == FI_TC_BULK_DATA);
	CHECK(got->domain_attr->tclass == FI_TC_LOW_LATENCY);
	fi_freeinfo(got);
	CHECK_OK(match(V(8), h, &got));
	CHECK(got->tx_attr->tclass == 0 && got->domain_attr->tclass == 0);
	fi_freeinfo(got);
	h->ep_attr->auth_key = NULL;
	fi_freeinfo(h);
}

static void test_names_and_handles(void)
{
	struct fi_info *h, *got;
	struct fid pep = { .fclass = FI_CLASS_PEP };
	struct fid other = { .fclass = FI_CLASS_EP };

	tmpl();
	h = hints_new();
	h->handle = &pep;
	CHECK_OK(match(V(17), h, &got));
	CHECK(got->handle == &pep);
	/* Names are checked after fixups, by weft_info_names_match. */
	CHECK(weft_info_names_match(got, NULL));
	CHECK(weft_info_names_match(got, h));
	h->fabric_attr->name = strdup("fakenet");
	CHECK(weft_info_names_match(got, h));
	h->domain_attr->name = strdup("eth0");
	CHECK(!weft_info_names_match(got, h)); /* template has no domain name */
	got->domain_attr->name = strdup("eth0");
	CHECK(weft_info_names_match(got, h));
	free(h->fabric_attr->name);
	h->fabric_attr->name = strdup("othernet");
	CHECK(!weft_info_names_match(got, h));
	fi_freeinfo(got);

	h->handle = &other; /* not a passive endpoint: left to the provider */
	CHECK_OK(match(V(17), h, &got));
	CHECK(got->handle == NULL);
	fi_freeinfo(got);
	h->handle = NULL;
	fi_freeinfo(h);
}

int main(void)
{
	test_null_hints();
	test_caps();
	test_mode();
	test_ep_type_format_name();
	test_domain_enums();
	test_limits();
	test_version_fields();
	test_names_and_handles();
	return 0;
}
