/* Conformance: fi_getinfo. Every info offered for the combination opens
 * (fabric, domain, endpoint), its attributes are consistent with each
 * other, caps hints select, FI_PROVIDER selects, and every endpoint type
 * the provider offers is one the suite runs (CONF_COMBOS). */
#define _GNU_SOURCE
#include "conf.h"

#include <netinet/in.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CONF_COMBOS
#define CONF_COMBOS ""
#endif

/* Every info of the combination, no other hints. */
static struct fi_info *all_infos(struct conf_ctx *ctx)
{
	struct fi_info *hints = fi_allocinfo(), *info = NULL;
	int ret;

	CHECK(hints);
	hints->fabric_attr->prov_name = strdup(ctx->prov);
	hints->ep_attr->type = ctx->ep_type;
	ret = fi_getinfo(FI_VERSION(1, 17), NULL, NULL, 0, hints, &info);
	fi_freeinfo(hints);
	if (ret == -FI_ENODATA)
		conf_skip(ctx, "%s offers no %s endpoint", ctx->prov,
			  ctx->ep_name);
	CHECK_OK(ret);
	CHECK(info);
	return info;
}

static void usable(struct conf_ctx *ctx)
{
	struct fi_info *list = all_infos(ctx);
	int n = 0;

	for (struct fi_info *i = list; i; i = i->next, n++) {
		struct fid_fabric *fabric;
		struct fid_domain *domain;
		struct fid_ep *ep;
		struct fid_pep *pep;
		struct fid_av *av;
		struct fi_av_attr av_attr = { .type = FI_AV_TABLE };

		CHECK_OK(fi_fabric(i->fabric_attr, &fabric, NULL));
		CHECK_OK(fi_domain(fabric, i, &domain, NULL));
		CHECK_OK(fi_endpoint(domain, i, &ep, NULL));
		if (i->ep_attr->type == FI_EP_MSG) {
			CHECK_OK(fi_passive_ep(fabric, i, &pep, NULL));
			CHECK_OK(fi_close(&pep->fid));
		} else {
			CHECK_OK(fi_av_open(domain, &av_attr, &av, NULL));
			CHECK_OK(fi_close(&av->fid));
		}
		CHECK_OK(fi_close(&ep->fid));
		CHECK_OK(fi_close(&domain->fid));
		CHECK_OK(fi_close(&fabric->fid));
	}
	CHECK(n > 0);
	fi_freeinfo(list);
}

#define TX_CAPS                                                                \
	(FI_MSG | FI_RMA | FI_TAGGED | FI_ATOMIC | FI_READ | FI_WRITE |       \
	 FI_SEND | FI_HMEM | FI_TRIGGER | FI_FENCE | FI_MULTICAST |           \
	 FI_RMA_PMEM | FI_NAMED_RX_CTX | FI_COLLECTIVE | FI_XPU_TRIGGER)
#define RX_CAPS                                                                \
	(FI_MSG | FI_RMA | FI_TAGGED | FI_ATOMIC | FI_REMOTE_READ |           \
	 FI_REMOTE_WRITE | FI_RECV | FI_HMEM | FI_TRIGGER | FI_RMA_PMEM |     \
	 FI_DIRECTED_RECV | FI_VARIABLE_MSG | FI_MULTI_RECV | FI_SOURCE |     \
	 FI_RMA_EVENT | FI_SOURCE_ERR | FI_COLLECTIVE | FI_XPU_TRIGGER)
#define ORDER_BITS                                                             \
	(FI_ORDER_RAR | FI_ORDER_RAW | FI_ORDER_RAS | FI_ORDER_WAR |          \
	 FI_ORDER_WAW | FI_ORDER_WAS | FI_ORDER_SAR | FI_ORDER_SAW |          \
	 FI_ORDER_SAS | FI_ORDER_RMA_RAR | FI_ORDER_RMA_RAW |                  \
	 FI_ORDER_RMA_WAR | FI_ORDER_RMA_WAW | FI_ORDER_ATOMIC_RAR |           \
	 FI_ORDER_ATOMIC_RAW | FI_ORDER_ATOMIC_WAR | FI_ORDER_ATOMIC_WAW)
#define MR_MODE_BITS                                                           \
	(FI_MR_LOCAL | FI_MR_RAW | FI_MR_VIRT_ADDR | FI_MR_ALLOCATED |         \
	 FI_MR_PROV_KEY | FI_MR_MMU_NOTIFY | FI_MR_RMA_EVENT | FI_MR_ENDPOINT | \
	 FI_MR_HMEM | FI_MR_COLLECTIVE)

static void attrs(struct conf_ctx *ctx)
{
	struct fi_info *list = all_infos(ctx);

	for (struct fi_info *i = list; i; i = i->next) {
		struct fi_tx_attr *tx = i->tx_attr;
		struct fi_rx_attr *rx = i->rx_attr;
		struct fi_ep_attr *ep = i->ep_attr;
		struct fi_domain_attr *d = i->domain_attr;

		CHECK(tx && rx && ep && d && i->fabric_attr);
		CHECK(!strcmp(i->fabric_attr->prov_name, ctx->prov));
		CHECK(i->fabric_attr->name && i->fabric_attr->name[0]);
		CHECK(d->name && d->name[0]);
		CHECK(i->fabric_attr->prov_version != 0);
		CHECK(ep->type == ctx->ep_type);
		CHECK(i->caps & (FI_MSG | FI_TAGGED | FI_RMA | FI_ATOMIC));
		/* Context caps: a subset of the info's, of the kinds the man
		 * page lists for that context. */
		CHECK((tx->caps & ~i->caps) == 0);
		CHECK((rx->caps & ~i->caps) == 0);
		CHECK((tx->caps & ~TX_CAPS) == 0);
		CHECK((rx->caps & ~RX_CAPS) == 0);
		CHECK((tx->msg_order & ~ORDER_BITS) == 0);
		CHECK((rx->msg_order & ~ORDER_BITS) == 0);
		CHECK((d->mr_mode & ~MR_MODE_BITS) == 0);
		/* Sizes. */
		CHECK(ep->max_msg_size > 0);
		CHECK(tx->size > 0 && rx->size > 0);
		CHECK(tx->iov_limit >= 1 && rx->iov_limit >= 1);
		CHECK(tx->inject_size <= ep->max_msg_size);
		CHECK(d->cq_data_size <= 8);
		CHECK(d->cq_cnt > 0 && d->ep_cnt > 0);
		if (i->caps & (FI_RMA | FI_ATOMIC)) {
			CHECK(d->mr_key_size > 0);
			CHECK(d->mr_iov_limit >= 1);
			CHECK(d->mr_cnt > 0);
			CHECK(tx->rma_iov_limit >= 1);
		}
		/* Address fields agree with their lengths. */
		CHECK((i->src_addr == NULL) == (i->src_addrlen == 0));
		CHECK((i->dest_addr == NULL) == (i->dest_addrlen == 0));
		CHECK(i->addr_format != FI_FORMAT_UNSPEC);
		if (i->addr_format == FI_SOCKADDR_IN && i->src_addr)
			CHECK(i->src_addrlen == sizeof(struct sockaddr_in));
		if (i->addr_format == FI_SOCKADDR_IN6 && i->src_addr)
			CHECK(i->src_addrlen == sizeof(struct sockaddr_in6));
		/* Threading and progress are named values. */
		CHECK(d->threading >= FI_THREAD_UNSPEC &&
		      d->threading <= FI_THREAD_DOMAIN);
		CHECK(d->data_progress == FI_PROGRESS_AUTO ||
		      d->data_progress == FI_PROGRESS_MANUAL);
		CHECK(d->control_progress == FI_PROGRESS_AUTO ||
		      d->control_progress == FI_PROGRESS_MANUAL);
	}
	fi_freeinfo(list);
}

/* A caps hint returns only infos with those caps; one of the four primary
 * caps the combination lacks is answered with -FI_ENODATA. */
static void hints_caps(struct conf_ctx *ctx)
{
	static const uint64_t prim[] = { FI_MSG, FI_TAGGED, FI_RMA, FI_ATOMIC };
	struct fi_info *list = all_infos(ctx);
	uint64_t offered = 0;

	for (struct fi_info *i = list; i; i = i->next)
		offered |= i->caps;
	fi_freeinfo(list);
	for (size_t k = 0; k < sizeof(prim) / sizeof(prim[0]); k++) {
		struct fi_info *hints = fi_allocinfo(), *info = NULL;
		int ret;

		CHECK(hints);
		hints->caps = prim[k];
		ret = conf_getinfo_hints(ctx, hints, true, &info);
		fi_freeinfo(hints);
		if (!(offered & prim[k])) {
			CHECK_RET(ret, -FI_ENODATA);
			CHECK(info == NULL);
			continue;
		}
		CHECK_OK(ret);
		for (struct fi_info *i = info; i; i = i->next)
			CHECK((i->caps & prim[k]) == prim[k]);
		fi_freeinfo(info);
	}
}

/* An unknown provider name selects nothing. */
static void unknown_prov(struct conf_ctx *ctx)
{
	struct fi_info *hints = fi_allocinfo(), *info = NULL;

	CHECK(hints);
	fi_freeinfo(all_infos(ctx));
	hints->fabric_attr->prov_name = strdup("no-such-provider");
	hints->ep_attr->type = ctx->ep_type;
	CHECK_RET(fi_getinfo(FI_VERSION(1, 17), NULL, NULL, 0, hints, &info),
		  -FI_ENODATA);
	CHECK(info == NULL);
	fi_freeinfo(hints);
}

/* Whether the combination is offered, asked in a child process so that
 * this one's library stays uninitialised (FI_PROVIDER is read once). */
static void require_offered(struct conf_ctx *ctx)
{
	pid_t pid = fork();
	int status;

	CHECK(pid >= 0);
	if (pid == 0) {
		struct fi_info *hints = fi_allocinfo(), *info = NULL;
		int ret;

		hints->fabric_attr->prov_name = strdup(ctx->prov);
		hints->ep_attr->type = ctx->ep_type;
		ret = fi_getinfo(FI_VERSION(1, 17), NULL, NULL, 0, hints, &info);
		_exit(ret == 0 ? 0 : 1);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		conf_skip(ctx, "%s offers no %s endpoint", ctx->prov,
			  ctx->ep_name);
}

static int count_prov(struct fi_info *list, const char *prov, int *others)
{
	int n = 0;

	*others = 0;
	for (struct fi_info *i = list; i; i = i->next) {
		if (!strcmp(i->fabric_attr->prov_name, prov))
			n++;
		else
			(*others)++;
	}
	return n;
}

/* FI_PROVIDER=<prov> keeps only that provider (read once at library
 * initialisation: this case's process has not touched the library yet). */
static void env_select(struct conf_ctx *ctx)
{
	struct fi_info *hints = fi_allocinfo(), *info = NULL;
	int others;

	CHECK(hints);
	require_offered(ctx);
	setenv("FI_PROVIDER", ctx->prov, 1);
	hints->ep_attr->type = ctx->ep_type;
	CHECK_OK(fi_getinfo(FI_VERSION(1, 17), NULL, NULL, 0, hints, &info));
	CHECK(count_prov(info, ctx->prov, &others) > 0);
	CHECK(others == 0);
	fi_freeinfo(info);
	fi_freeinfo(hints);
}

/* FI_PROVIDER=^<prov> excludes it. */
static void env_exclude(struct conf_ctx *ctx)
{
	struct fi_info *hints = fi_allocinfo(), *info = NULL;
	char v[128];
	int others, ret;

	CHECK(hints);
	require_offered(ctx);
	snprintf(v, sizeof(v), "^%s", ctx->prov);
	setenv("FI_PROVIDER", v, 1);
	hints->ep_attr->type = ctx->ep_type;
	ret = fi_getinfo(FI_VERSION(1, 17), NULL, NULL, 0, hints, &info);
	if (ret == 0)
		CHECK(count_prov(info, ctx->prov, &others) == 0);
	else
		CHECK_RET(ret, -FI_ENODATA);
	fi_freeinfo(info);
	fi_freeinfo(hints);
}

/* fi_dupinfo copies every level. */
static void dupinfo(struct conf_ctx *ctx)
{
	struct fi_info *list = all_infos(ctx);

	for (struct fi_info *i = list; i; i = i->next) {
		struct fi_info *d = fi_dupinfo(i);

		CHECK(d);
		CHECK(d->next == NULL);
		CHECK(d->caps == i->caps && d->mode == i->mode);
		CHECK(d->addr_format == i->addr_format);
		CHECK(d->src_addrlen == i->src_addrlen);
		CHECK(!i->src_addr ||
		      !memcmp(d->src_addr, i->src_addr, i->src_addrlen));
		CHECK(d->tx_attr != i->tx_attr && d->rx_attr != i->rx_attr);
		CHECK(!memcmp(d->tx_attr, i->tx_attr, sizeof(*d->tx_attr)));
		CHECK(!memcmp(d->rx_attr, i->rx_attr, sizeof(*d->rx_attr)));
		CHECK(d->ep_attr->max_msg_size == i->ep_attr->max_msg_size);
		CHECK(!strcmp(d->domain_attr->name, i->domain_attr->name));
		CHECK(!strcmp(d->fabric_attr->name, i->fabric_attr->name));
		CHECK(!strcmp(d->fabric_attr->prov_name,
			      i->fabric_attr->prov_name));
		fi_freeinfo(d);
	}
	fi_freeinfo(list);
}

/* Every endpoint type this provider offers is a combination the build
 * registered, so the suite cannot silently miss one (add it to
 * CONF_COMBOS in tests/CMakeLists.txt). */
static void combos_listed(struct conf_ctx *ctx)
{
	static const struct {
		enum fi_ep_type t;
		const char *n;
	} types[] = { { FI_EP_MSG, "msg" },
		      { FI_EP_RDM, "rdm" },
		      { FI_EP_DGRAM, "dgram" } };
	const char *listed = CONF_COMBOS;

	printf("  registered: %s\n", listed);
	for (size_t k = 0; k < 3; k++) {
		struct fi_info *hints = fi_allocinfo(), *info = NULL;
		char want[96];
		int ret;

		CHECK(hints);
		hints->fabric_attr->prov_name = strdup(ctx->prov);
		hints->ep_attr->type = types[k].t;
		ret = fi_getinfo(FI_VERSION(1, 17), NULL, NULL, 0, hints, &info);
		fi_freeinfo(hints);
		fi_freeinfo(info);
		if (ret == -FI_ENODATA)
			continue;
		CHECK_OK(ret);
		snprintf(want, sizeof(want), "%s_%s", ctx->prov, types[k].n);
		if (!strstr(listed, want)) {
			fprintf(stderr, "%s offers %s endpoints but CONF_COMBOS "
					"does not run them\n",
				ctx->prov, types[k].n);
			exit(1);
		}
	}
}

static const struct conf_case cases[] = {
	{ "usable", usable },
	{ "attrs", attrs },
	{ "hints_caps", hints_caps },
	{ "unknown_prov", unknown_prov },
	{ "env_select", env_select },
	{ "env_exclude", env_exclude },
	{ "dupinfo", dupinfo },
	{ "combos_listed", combos_listed },
	{ NULL },
};

int main(int argc, char **argv)
{
	return conf_main(argc, argv, "getinfo", cases);
}
