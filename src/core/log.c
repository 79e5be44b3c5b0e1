/* Logging: fi_log_enabled, fi_log_ready, fi_log.
 *
 * Settings come from the core parameters FI_LOG_LEVEL (warn, trace, info,
 * debug; unset means no logging at all, as in libfabric 1.17; an
 * unrecognised value means warn), FI_LOG_PROV ("a,b" or "^a,b" by provider
 * name), FI_LOG_SUBSYS ("cq,av" or "^core") and FI_LOG_INTERVAL (ms
 * between messages of one FI_LOG_SPARSE site). They are read once, the
 * first time anything asks (weft_core_init() or an early fi_log_enabled),
 * and never change afterwards, so the data-path check is plain loads.
 *
 * A line looks like libfabric's so existing log filters keep working:
 *   libfabric:<pid>:<unix time>::<prov>:<subsys>:<func>():<line><<level>> <msg>
 * (the empty field is where libfabric names a layered utility provider).
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <rdma/fi_errno.h>
#include <rdma/fi_ext.h>
#include <rdma/providers/fi_log.h>

#include "core/core.h"

#define LOG_MAX_PROV_FILTER 32
#define LOG_MSG_MAX 1024

static const char *const level_names[FI_LOG_MAX] = {
	[FI_LOG_WARN] = "warn",
	[FI_LOG_TRACE] = "trace",
	[FI_LOG_INFO] = "info",
	[FI_LOG_DEBUG] = "debug",
};

static const char *const subsys_names[FI_LOG_SUBSYS_MAX] = {
	[FI_LOG_CORE] = "core",	      [FI_LOG_FABRIC] = "fabric",
	[FI_LOG_DOMAIN] = "domain",   [FI_LOG_EP_CTRL] = "ep_ctrl",
	[FI_LOG_EP_DATA] = "ep_data", [FI_LOG_AV] = "av",
	[FI_LOG_CQ] = "cq",	      [FI_LOG_EQ] = "eq",
	[FI_LOG_MR] = "mr",	      [FI_LOG_CNTR] = "cntr",
};

/* Written only by log_setup() (under log_once), read-only afterwards:
 * pthread_once, or the acquire load of log_ready, orders the reads. */
static struct {
	int max_level; /* highest enabled level, -1 for logging off */
	uint32_t subsys_mask;
	uint64_t interval_ms;
	/* FI_LOG_PROV: names point into prov_list; exclude for "^..." */
	int prov_filter;
	int prov_exclude;
	size_t prov_count;
	char *prov_names[LOG_MAX_PROV_FILTER];
	char *prov_list;
} log_cfg = {
	.max_level = -1,
	.subsys_mask = (1u << FI_LOG_SUBSYS_MAX) - 1,
	.interval_ms = 2000,
};

static pthread_once_t log_once = PTHREAD_ONCE_INIT;
static atomic_int log_ready;

/* Callbacks imported with fi_import_log: copied here once, published by a
 * release store of log_imported; never changed afterwards. */
static struct fi_ops_log log_import_ops;
static atomic_int log_imported;

const char *weft_log_level_str(int level)
{
	return level >= 0 && level < FI_LOG_MAX ? level_names[level] : NULL;
}

const char *weft_log_subsys_str(int subsys)
{
	return subsys >= 0 && subsys < FI_LOG_SUBSYS_MAX ? subsys_names[subsys]
							  : NULL;
}

static int parse_level(const char *s)
{
	for (int i = 0; i < FI_LOG_MAX; i++) {
		if (strcasecmp(s, level_names[i]) == 0)
			return i;
	}
	return FI_LOG_WARN;
}

/* Split a "a,b" / "^a,b" list in place (s is modified). */
static size_t split_list(char *s, int *exclude, char **out, size_t max)
{
	char *save = NULL;
	size_t n = 0;

	*exclude = *s == '^';
	if (*exclude)
		s++;
	for (char *tok = strtok_r(s, ",", &save); tok && n < max;
	     tok = strtok_r(NULL, ",", &save)) {
		tok += strspn(tok, " \t");
		tok[strcspn(tok, " \t")] = '\0';
		if (*tok)
			out[n++] = tok;
	}
	return n;
}

static uint32_t parse_subsys(const char *value)
{
	char *copy = strdup(value);
	char *names[FI_LOG_SUBSYS_MAX * 2];
	uint32_t mask = 0;
	int exclude;
	size_t n;

	if (!copy)
		return (1u << FI_LOG_SUBSYS_MAX) - 1;
	n = split_list(copy, &exclude, names, sizeof(names) / sizeof(names[0]));
	for (size_t i = 0; i < n; i++) {
		for (int s = 0; s < FI_LOG_SUBSYS_MAX; s++) {
			if (strcasecmp(names[i], subsys_names[s]) == 0)
				mask |= 1u << s;
		}
	}
	free(copy);
	return exclude ? ~mask & ((1u << FI_LOG_SUBSYS_MAX) - 1) : mask;
}

static void log_setup(void)
{
	char *level = NULL, *prov = NULL, *subsys = NULL;
	int interval;

	fi_param_define(&weft_core_prov, "log_interval", FI_PARAM_INT,
			"Minimum time in ms between two messages of one "
			"rate-limited log site (default: 2000)");
	fi_param_define(&weft_core_prov, "log_level", FI_PARAM_STRING,
			"Log messages up to this level: warn, trace, info or "
			"debug (default: no logging)");
	fi_param_define(&weft_core_prov, "log_prov", FI_PARAM_STRING,
			"Log only these providers (comma separated), or all "
			"but these with a leading ^ (default: all)");
	fi_param_define(&weft_core_prov, "log_subsys", FI_PARAM_STRING,
			"Log only these subsystems (core, fabric, domain, "
			"ep_ctrl, ep_data, av, cq, eq, mr, cntr; comma "
			"separated), or all but these with a leading ^ "
			"(default: all)");

	if (fi_param_get_int(&weft_core_prov, "log_interval", &interval) == 0 &&
	    interval >= 0)
		log_cfg.interval_ms = (uint64_t)interval;
	if (fi_param_get_str(&weft_core_prov, "log_level", &level) == 0 && level)
		log_cfg.max_level = parse_level(level);
	if (fi_param_get_str(&weft_core_prov, "log_subsys", &subsys) == 0 &&
	    subsys && *subsys)
		log_cfg.subsys_mask = parse_subsys(subsys);
	if (fi_param_get_str(&weft_core_prov, "log_prov", &prov) == 0 && prov &&
	    *prov) {
		/* kept for the life of the process: the filter points into it */
		log_cfg.prov_list = strdup(prov);
		if (log_cfg.prov_list) {
			log_cfg.prov_count = split_list(
				log_cfg.prov_list, &log_cfg.prov_exclude,
				log_cfg.prov_names, LOG_MAX_PROV_FILTER);
			log_cfg.prov_filter = 1;
		}
	}
	atomic_store_explicit(&log_ready, 1, memory_order_release);
}

void weft_log_init(void)
{
	pthread_once(&log_once, log_setup);
}

static void log_init_once(void)
{
	/* After the first time, one acquire load instead of pthread_once. */
	if (!atomic_load_explicit(&log_ready, memory_order_acquire))
		pthread_once(&log_once, log_setup);
}

/* Whether `name` ("udp", or a layered "udp;ofi_rxd") is one the
 * FI_LOG_PROV list names. */
static int prov_listed(const char *name)
{
	size_t first = strcspn(name, ";");

	for (size_t i = 0; i < log_cfg.prov_count; i++) {
		const char *want = log_cfg.prov_names[i];
		if (strcasecmp(name, want) == 0 ||
		    (strlen(want) == first && strncasecmp(name, want, first) == 0))
			return 1;
	}
	return 0;
}

/* FI_LOG_PROV says to drop this provider's messages. */
static int prov_filtered(const struct fi_provider *prov)
{
	const char *name;

	if (!log_cfg.prov_filter)
		return 0;
	name = prov && prov->name ? prov->name : weft_core_prov.name;
	return prov_listed(name) == log_cfg.prov_exclude;
}

static int log_check(const struct fi_provider *prov, int level, int subsys)
{
	if (level < 0 || level > log_cfg.max_level || subsys < 0 ||
	    subsys >= FI_LOG_SUBSYS_MAX)
		return 0;
	if (!(log_cfg.subsys_mask & (1u << subsys)))
		return 0;
	return !prov_filtered(prov);
}

int weft_log_enabled_noinit(const struct fi_provider *prov, int level,
			    int subsys)
{
	if (!atomic_load_explicit(&log_ready, memory_order_acquire))
		return 0;
	return fi_log_enabled(prov, level, subsys);
}

static int imported(void)
{
	return atomic_load_explicit(&log_imported, memory_order_acquire);
}

static const struct fi_provider *prov_or_core(const struct fi_provider *prov)
{
	return prov ? prov : &weft_core_prov;
}

WEFT_EXPORT int fi_log_enabled(const struct fi_provider *prov,
			       enum fi_log_level level,
			       enum fi_log_subsys subsys)
{
	log_init_once();
	if (imported())
		return log_import_ops.enabled(
			prov_or_core(prov), level, subsys,
			prov_filtered(prov) ? FI_LOG_PROV_FILTERED : 0);
	return log_check(prov, (int)level, (int)subsys);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

WEFT_EXPORT int fi_log_ready(const struct fi_provider *prov,
			     enum fi_log_level level, enum fi_log_subsys subsys,
			     uint64_t *showtime)
{
	uint64_t now;

	log_init_once();
	if (imported())
		return log_import_ops.ready(
			prov_or_core(prov), level, subsys,
			prov_filtered(prov) ? FI_LOG_PROV_FILTERED : 0,
			showtime);
	if (!showtime || !log_check(prov, (int)level, (int)subsys))
		return 0;
	now = now_ms();
	if (now < *showtime)
		return 0;
	*showtime = now + log_cfg.interval_ms;
	return 1;
}

/* fi_log prints whatever it is given: callers (the FI_LOG macros) have
 * already asked fi_log_enabled. */
WEFT_EXPORT void fi_log(const struct fi_provider *prov, enum fi_log_level level,
			enum fi_log_subsys subsys, const char *func, int line,
			const char *fmt, ...)
{
	const char *lname = weft_log_level_str((int)level);
	const char *sname = weft_log_subsys_str((int)subsys);
	va_list ap;

	log_init_once();
	prov = prov_or_core(prov);
	if (!fmt)
		return;

	if (imported()) {
		char msg[LOG_MSG_MAX];
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		log_import_ops.log(prov, level, subsys, func, line, msg);
		return;
	}

	/* One locked stdio sequence so lines of concurrent threads do not
	 * interleave. */
	flockfile(stderr);
	fprintf(stderr, "libfabric:%d:%ld::%s:%s:%s():%d<%s> ", (int)getpid(),
		(long)time(NULL), prov->name ? prov->name : "",
		sname ? sname : "unknown", func ? func : "", line,
		lname ? lname : "unknown");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	funlockfile(stderr);
}

int weft_log_import(const struct fi_ops_log *ops)
{
	static pthread_mutex_t import_lock = PTHREAD_MUTEX_INITIALIZER;
	int ret = 0;

	if (!ops || !ops->enabled || !ops->ready || !ops->log)
		return -FI_EINVAL;
	pthread_mutex_lock(&import_lock);
	if (imported()) {
		ret = -FI_EALREADY;
	} else {
		log_import_ops = *ops;
		atomic_store_explicit(&log_imported, 1, memory_order_release);
	}
	pthread_mutex_unlock(&import_lock);
	return ret;
}
