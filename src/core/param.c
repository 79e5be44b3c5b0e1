/* Configuration parameters: fi_param_define, fi_param_get, fi_getparams,
 * fi_freeparams.
 *
 * A parameter belongs to a provider (or to the core) and is read from the
 * environment variable FI_<PROVIDER>_<NAME>, or FI_<NAME> for the core
 * (provider NULL or &weft_core_prov). Both parts are upper-cased and any
 * character that a shell variable name cannot hold becomes '_', so the
 * provider "udp" and parameter "iface" read FI_UDP_IFACE.
 *
 * Definitions are kept for the life of the process in definition order
 * (fi_info -e lists them that way), in a list guarded by param_lock. The
 * value is never cached: fi_param_get reads the environment each time.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <rdma/fi_errno.h>
#include <rdma/providers/fi_log.h>
#include <rdma/providers/fi_prov.h>

#include "core/core.h"

struct param {
	struct param *next;
	const struct fi_provider *prov; /* &weft_core_prov for the core */
	char *prov_name;		/* copy: the provider may go away */
	char *name;			/* as defined, e.g. "iface" */
	char *env_name;			/* e.g. "FI_UDP_IFACE" */
	enum fi_param_type type;
	char *help; /* "udp: <help>" for providers, as fi_info -e shows */
};

static pthread_mutex_t param_lock = PTHREAD_MUTEX_INITIALIZER;
static struct param *param_head;
static struct param **param_tail = &param_head;
static size_t param_count;

static const struct fi_provider *prov_or_core(const struct fi_provider *prov)
{
	return prov ? prov : &weft_core_prov;
}

static int is_core(const struct fi_provider *prov)
{
	return prov == &weft_core_prov;
}

static void append_env_part(char *out, size_t *pos, const char *part)
{
	for (; *part; part++) {
		unsigned char c = (unsigned char)*part;
		out[(*pos)++] = isalnum(c) ? (char)toupper(c) : '_';
	}
}

/* "FI_" [PROV "_"] NAME, upper-cased; NULL when out of memory. */
static char *make_env_name(const struct fi_provider *prov, const char *name)
{
	const char *pname = is_core(prov) || !prov->name ? NULL : prov->name;
	size_t len = 3 + strlen(name) + (pname ? strlen(pname) + 1 : 0) + 1;
	char *env = malloc(len);
	size_t pos = 0;

	if (!env)
		return NULL;
	append_env_part(env, &pos, "FI_");
	if (pname) {
		append_env_part(env, &pos, pname);
		env[pos++] = '_';
	}
	append_env_part(env, &pos, name);
	env[pos] = '\0';
	return env;
}

/* Caller holds param_lock. Matched by provider object first; a different
 * fi_provider with the same name (a copy of the provider structure) finds
 * the same parameter. */
static struct param *param_find(const struct fi_provider *prov,
				const char *name)
{
	struct param *p;

	for (p = param_head; p; p = p->next) {
		if (p->prov == prov && strcmp(p->name, name) == 0)
			return p;
	}
	if (is_core(prov) || !prov->name)
		return NULL;
	for (p = param_head; p; p = p->next) {
		if (!is_core(p->prov) && p->prov_name &&
		    strcasecmp(p->prov_name, prov->name) == 0 &&
		    strcmp(p->name, name) == 0)
			return p;
	}
	return NULL;
}

static void param_free(struct param *p)
{
	if (!p)
		return;
	free(p->prov_name);
	free(p->name);
	free(p->env_name);
	free(p->help);
	free(p);
}

WEFT_EXPORT int fi_param_define(const struct fi_provider *provider,
				const char *param_name,
				enum fi_param_type type,
				const char *help_string_fmt, ...)
{
	const struct fi_provider *prov = prov_or_core(provider);
	struct param *p;
	char *help = NULL;
	va_list ap;
	int n;

	if (!param_name || !*param_name || !help_string_fmt ||
	    !*help_string_fmt)
		return -FI_EINVAL;
	if (type != FI_PARAM_STRING && type != FI_PARAM_INT &&
	    type != FI_PARAM_BOOL && type != FI_PARAM_SIZE_T)
		return -FI_EINVAL;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -FI_ENOMEM;
	va_start(ap, help_string_fmt);
	n = vasprintf(&help, help_string_fmt, ap);
	va_end(ap);
	if (n < 0)
		goto err_free;
	if (is_core(prov) || !prov->name) {
		p->help = help;
	} else {
		n = asprintf(&p->help, "%s: %s", prov->name, help);
		free(help);
		if (n < 0) {
			p->help = NULL;
			goto err_free;
		}
	}
	p->prov = prov;
	p->type = type;
	p->name = strdup(param_name);
	p->env_name = make_env_name(prov, param_name);
	if (prov->name)
		p->prov_name = strdup(prov->name);
	if (!p->name || !p->env_name || (prov->name && !p->prov_name))
		goto err_free;

	pthread_mutex_lock(&param_lock);
	if (param_find(prov, param_name)) {
		/* Defining twice is harmless (a provider initialised again):
		 * the first definition stays. */
		pthread_mutex_unlock(&param_lock);
		param_free(p);
		return 0;
	}
	*param_tail = p;
	param_tail = &p->next;
	param_count++;
	pthread_mutex_unlock(&param_lock);
	return 0;

err_free:
	param_free(p);
	return -FI_ENOMEM;
}

/* s without leading and trailing blanks, in buf (NULL if it does not fit). */
static const char *trim(const char *s, char *buf, size_t size)
{
	size_t len;

	while (isspace((unsigned char)*s))
		s++;
	len = strlen(s);
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	if (len >= size)
		return NULL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return buf;
}

static int parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "1", "on", "true", "yes" };
	static const char *const no[] = { "0", "off", "false", "no" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -FI_EINVAL;
}

static int parse_int(const char *s, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (end == s || *end || errno || v < INT32_MIN || v > INT32_MAX)
		return -FI_EINVAL;
	*out = (int)v;
	return 0;
}

static int parse_size(const char *s, size_t *out)
{
	unsigned long long v;
	char *end;

	if (*s == '-')
		return -FI_EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (end == s || *end || errno || v > SIZE_MAX)
		return -FI_EINVAL;
	*out = (size_t)v;
	return 0;
}

/* Convert an environment string for a parameter of `type`; writes *value
 * only on success. */
static int param_parse(enum fi_param_type type, const char *str, void *value)
{
	char buf[128];
	const char *s;
	int ret, b, i;
	size_t z;

	if (type == FI_PARAM_STRING) {
		*(char **)value = (char *)str;
		return 0;
	}
	s = trim(str, buf, sizeof(buf));
	if (!s)
		return -FI_EINVAL;
	switch (type) {
	case FI_PARAM_BOOL:
		ret = parse_bool(s, &b);
		if (!ret)
			*(int *)value = b;
		return ret;
	case FI_PARAM_INT:
		ret = parse_int(s, &i);
		if (!ret)
			*(int *)value = i;
		return ret;
	case FI_PARAM_SIZE_T:
		ret = parse_size(s, &z);
		if (!ret)
			*(size_t *)value = z;
		return ret;
	default:
		return -FI_EINVAL;
	}
}

WEFT_EXPORT int fi_param_get(struct fi_provider *provider,
			     const char *param_name, void *value)
{
	const struct fi_provider *prov = prov_or_core(provider);
	enum fi_param_type type = FI_PARAM_STRING;
	const char *env_name = NULL;
	const char *str;
	struct param *p;
	int ret;

	if (!param_name || !value)
		return -FI_EINVAL;

	/* Definitions are never removed, so p and its names stay valid
	 * after the lock is dropped. */
	pthread_mutex_lock(&param_lock);
	p = param_find(prov, param_name);
	if (p) {
		type = p->type;
		env_name = p->env_name;
	}
	pthread_mutex_unlock(&param_lock);
	if (!p)
		return -FI_ENOENT;

	str = getenv(env_name);
	if (!str) {
		if (weft_log_enabled_noinit(prov, FI_LOG_INFO, FI_LOG_CORE))
			fi_log(prov, FI_LOG_INFO, FI_LOG_CORE, __func__, __LINE__,
			       "variable %s=<not set>\n", param_name);
		return -FI_ENODATA;
	}
	ret = param_parse(type, str, value);
	if (ret) {
		if (weft_log_enabled_noinit(prov, FI_LOG_WARN, FI_LOG_CORE))
			fi_log(prov, FI_LOG_WARN, FI_LOG_CORE, __func__, __LINE__,
			       "invalid value for %s: \"%s\"\n", env_name, str);
		return ret;
	}
	if (weft_log_enabled_noinit(prov, FI_LOG_INFO, FI_LOG_CORE))
		fi_log(prov, FI_LOG_INFO, FI_LOG_CORE, __func__, __LINE__,
		       "read %s=%s\n", env_name, str);
	return 0;
}

WEFT_EXPORT void fi_freeparams(struct fi_param *params)
{
	if (!params)
		return;
	for (struct fi_param *p = params; p->name; p++) {
		free((char *)p->name);
		free((char *)p->help_string);
		free((char *)p->value);
	}
	free(params);
}

WEFT_EXPORT int fi_getparams(struct fi_param **params, int *count)
{
	struct fi_param *out;
	struct param *p;
	size_t i = 0;

	if (!params || !count)
		return -FI_EINVAL;
	/* Providers define their parameters in their init. */
	weft_core_init();

	pthread_mutex_lock(&param_lock);
	/* One extra zeroed entry ends the array (fi_freeparams walks to it). */
	out = calloc(param_count + 1, sizeof(*out));
	if (!out)
		goto err_unlock;
	for (p = param_head; p; p = p->next, i++) {
		const char *env = getenv(p->env_name);

		out[i].type = p->type;
		out[i].name = strdup(p->env_name);
		out[i].help_string = strdup(p->help);
		out[i].value = env ? strdup(env) : NULL;
		if (!out[i].name || !out[i].help_string || (env && !out[i].value))
			goto err_free;
	}
	pthread_mutex_unlock(&param_lock);

	*params = out;
	*count = (int)i;
	return 0;

err_free:
	/* entry i may be partly filled and has no name to stop at */
	free((char *)out[i].name);
	free((char *)out[i].help_string);
	free((char *)out[i].value);
	out[i].name = NULL;
	fi_freeparams(out);
err_unlock:
	pthread_mutex_unlock(&param_lock);
	return -FI_ENOMEM;
}
