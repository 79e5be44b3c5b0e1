/* One-time framework initialisation and provider selection.
 *
 * weft_core_init() runs once per process (pthread_once): logging first, so
 * every later step can log; then the core's parameters; then each
 * registered provider's init(). Its results are written only inside the
 * once routine and read only after pthread_once returned, which orders
 * them for every thread without further locking.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <rdma/fabric.h>
#include <rdma/fi_errno.h>
#include <rdma/providers/fi_log.h>

#include "core/core.h"

static pthread_once_t core_once = PTHREAD_ONCE_INIT;
/* Per registry index: 1 when the provider's init() succeeded. NULL when
 * there are no providers or the allocation failed (all disabled). */
static unsigned char *prov_ok;
/* The FI_PROVIDER value, copied at init (NULL: no filter). */
static char *prov_filter;
static int core_initialized;

static void read_prov_filter(void)
{
	char *val = NULL;

	/* param.c maps the core's "provider" to FI_PROVIDER. Read the
	 * environment directly if the parameter layer cannot answer, so
	 * provider selection never depends on it. */
	if (fi_param_get_str(&weft_core_prov, "provider", &val) != 0 || !val)
		val = getenv("FI_PROVIDER");
	if (val && *val)
		prov_filter = strdup(val);
}

static int prov_desc_valid(const struct weft_prov_desc *d)
{
	return d && d->prov && d->prov->name && d->prov->fabric && d->infos &&
	       FI_MAJOR(d->prov->fi_version) == 1 &&
	       d->prov->fi_version <= WEFT_FI_VERSION;
}

static void core_init_once(void)
{
	size_t n = weft_prov_count();

	weft_log_init();
	fi_param_define(&weft_core_prov, "provider", FI_PARAM_STRING,
			"Only use the listed providers (comma separated); a "
			"leading ^ excludes the listed ones instead "
			"(default: all)");
	read_prov_filter();

	if (n)
		prov_ok = calloc(n, 1);
	for (size_t i = 0; prov_ok && i < n; i++) {
		const struct weft_prov_desc *d = weft_prov_at(i);

		if (!prov_desc_valid(d)) {
			FI_WARN(&weft_core_prov, FI_LOG_CORE,
				"provider #%zu (%s) has an invalid descriptor, "
				"disabled\n",
				i, d && d->prov && d->prov->name ? d->prov->name
								  : "?");
			continue;
		}
		/* Providers excluded by FI_PROVIDER are not initialised:
		 * they may probe hardware or sockets the user asked us not
		 * to touch. */
		if (!weft_prov_filter_allows(prov_filter, d->prov->name)) {
			FI_INFO(&weft_core_prov, FI_LOG_CORE,
				"provider %s excluded by FI_PROVIDER\n",
				d->prov->name);
			continue;
		}
		if (d->init && d->init() != 0) {
			FI_INFO(&weft_core_prov, FI_LOG_CORE,
				"provider %s failed to initialise, disabled\n",
				d->prov->name);
			continue;
		}
		prov_ok[i] = 1;
	}
	core_initialized = 1;
}

void weft_core_init(void)
{
	pthread_once(&core_once, core_init_once);
}

static long prov_index(const struct weft_prov_desc *desc)
{
	for (size_t i = 0; i < weft_prov_count(); i++)
		if (weft_prov_at(i) == desc)
			return (long)i;
	return -1;
}

int weft_prov_enabled(const struct weft_prov_desc *desc)
{
	long i;

	weft_core_init();
	i = prov_index(desc);
	return i >= 0 && prov_ok && prov_ok[i];
}

int weft_prov_allowed(const struct weft_prov_desc *desc)
{
	weft_core_init();
	return desc && desc->prov && desc->prov->name &&
	       weft_prov_filter_allows(prov_filter, desc->prov->name);
}

int weft_prov_filter_allows(const char *filter, const char *name)
{
	int exclude, found = 0;
	const char *p;

	if (!filter || !*filter)
		return 1;
	exclude = filter[0] == '^';
	p = filter + exclude;
	while (*p && !found) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char tok[128];

		/* Tolerate blanks around entries ("udp, tcp"). */
		while (len && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len && len < sizeof(tok)) {
			memcpy(tok, p, len);
			tok[len] = '\0';
			found = weft_prov_name_match(tok, name, NULL);
		}
		if (!end)
			break;
		p = end + 1;
	}
	return exclude ? !found : found;
}

/* At unload, give every initialised provider its cleanup(), as libfabric
 * does, so providers can remove files or shared memory they created. */
__attribute__((destructor)) static void core_fini(void)
{
	if (!core_initialized)
		return;
	for (size_t i = 0; prov_ok && i < weft_prov_count(); i++) {
		const struct weft_prov_desc *d = weft_prov_at(i);

		if (prov_ok[i] && d->prov->cleanup)
			d->prov->cleanup();
	}
	free(prov_ok);
	prov_ok = NULL;
	free(prov_filter);
	prov_filter = NULL;
}
