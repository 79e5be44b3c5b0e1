/* fi_param_define / fi_param_get / fi_getparams / fi_freeparams through
 * the public API: environment naming (FI_<PROV>_<NAME>, FI_<NAME> for the
 * core), every parameter type and its parsing, the error codes of
 * fi_provider(3), and the listing fi_info -e prints. */
#include <stdlib.h>
#include <string.h>

#include <rdma/fabric.h>
#include <rdma/fi_errno.h>
#include <rdma/providers/fi_prov.h>

#include "testlib.h"

static struct fi_provider prov = { .name = "weftprm" };
static struct fi_provider odd_prov = { .name = "my-prov.x" };

struct bool_case {
	const char *env;
	int ret, value;
};

static const struct bool_case bools[] = {
	{ "1", 0, 1 },	    { "0", 0, 0 },	  { "on", 0, 1 },
	{ "off", 0, 0 },    { "true", 0, 1 },	  { "false", 0, 0 },
	{ "yes", 0, 1 },    { "no", 0, 0 },	  { "YES", 0, 1 },
	{ "Off", 0, 0 },    { "TRUE", 0, 1 },	  { " no ", 0, 0 },
	{ "2", -FI_EINVAL, 0 }, { "-1", -FI_EINVAL, 0 }, { "", -FI_EINVAL, 0 },
	{ "y", -FI_EINVAL, 0 }, { "enable", -FI_EINVAL, 0 },
};

struct int_case {
	const char *env;
	int ret, value;
};

static const struct int_case ints[] = {
	{ "12", 0, 12 },	{ "-5", 0, -5 },	{ "0x10", 0, 16 },
	{ " 42 ", 0, 42 },	{ "2147483647", 0, 2147483647 },
	{ "12abc", -FI_EINVAL, 0 }, { "", -FI_EINVAL, 0 },
	{ "1.5", -FI_EINVAL, 0 }, { "99999999999", -FI_EINVAL, 0 },
	{ "abc", -FI_EINVAL, 0 },
};

struct size_case {
	const char *env;
	int ret;
	size_t value;
};

static const struct size_case sizes[] = {
	{ "0", 0, 0 },
	{ "4096", 0, 4096 },
	{ "0x1000", 0, 4096 },
	{ "18446744073709551615", 0, (size_t)18446744073709551615ULL },
	{ "-5", -FI_EINVAL, 0 },
	{ "1k", -FI_EINVAL, 0 },
	{ "", -FI_EINVAL, 0 },
	{ "99999999999999999999", -FI_EINVAL, 0 },
};

#define N(a) (sizeof(a) / sizeof(a[0]))

static void check_types(void)
{
	char *s = NULL;
	size_t z;
	int v;

	/* set before the definition: read at fi_param_get time anyway */
	setenv("FI_WEFTPRM_STR", "hello world", 1);
	CHECK_OK(fi_param_define(&prov, "str", FI_PARAM_STRING, "a string"));
	CHECK_OK(fi_param_define(&prov, "int", FI_PARAM_INT, "an int, %d", 7));
	CHECK_OK(fi_param_define(&prov, "bool", FI_PARAM_BOOL, "a bool"));
	CHECK_OK(fi_param_define(&prov, "size", FI_PARAM_SIZE_T, "a size"));

	CHECK_OK(fi_param_get_str(&prov, "str", &s));
	CHECK(s && strcmp(s, "hello world") == 0);
	/* changes to the environment are seen */
	setenv("FI_WEFTPRM_STR", "", 1);
	CHECK_OK(fi_param_get_str(&prov, "str", &s));
	CHECK(s && *s == '\0');
	unsetenv("FI_WEFTPRM_STR");
	s = (char *)"untouched";
	CHECK_RET(fi_param_get_str(&prov, "str", &s), -FI_ENODATA);
	CHECK(strcmp(s, "untouched") == 0);

	for (size_t i = 0; i < N(bools); i++) {
		setenv("FI_WEFTPRM_BOOL", bools[i].env, 1);
		v = -7;
		if (fi_param_get_bool(&prov, "bool", &v) != bools[i].ret)
			fprintf(stderr, "bool \"%s\"\n", bools[i].env);
		CHECK_RET(fi_param_get_bool(&prov, "bool", &v), bools[i].ret);
		CHECK(v == (bools[i].ret ? -7 : bools[i].value));
	}
	for (size_t i = 0; i < N(ints); i++) {
		setenv("FI_WEFTPRM_INT", ints[i].env, 1);
		v = -7;
		if (fi_param_get_int(&prov, "int", &v) != ints[i].ret)
			fprintf(stderr, "int \"%s\"\n", ints[i].env);
		CHECK_RET(fi_param_get_int(&prov, "int", &v), ints[i].ret);
		CHECK(v == (ints[i].ret ? -7 : ints[i].value));
	}
	for (size_t i = 0; i < N(sizes); i++) {
		setenv("FI_WEFTPRM_SIZE", sizes[i].env, 1);
		z = 3;
		if (fi_param_get_size_t(&prov, "size", &z) != sizes[i].ret)
			fprintf(stderr, "size \"%s\"\n", sizes[i].env);
		CHECK_RET(fi_param_get_size_t(&prov, "size", &z), sizes[i].ret);
		CHECK(z == (sizes[i].ret ? 3 : sizes[i].value));
	}
	unsetenv("FI_WEFTPRM_BOOL");
	CHECK_RET(fi_param_get_bool(&prov, "bool", &v), -FI_ENODATA);
}

static void check_naming_and_errors(void)
{
	struct fi_provider copy = prov;
	int v = 0;

	/* core parameters: FI_<NAME> */
	setenv("FI_WEFT_TEST_CORE_KNOB", "33", 1);
	CHECK_OK(fi_param_define(NULL, "weft_test_core_knob", FI_PARAM_INT,
				 "core knob"));
	CHECK_OK(fi_param_get_int(NULL, "weft_test_core_knob", &v));
	CHECK(v == 33);

	/* characters a shell name cannot hold become '_' */
	setenv("FI_MY_PROV_X_LEVEL", "on", 1);
	CHECK_OK(fi_param_define(&odd_prov, "level", FI_PARAM_BOOL, "odd"));
	v = 0;
	CHECK_OK(fi_param_get_bool(&odd_prov, "level", &v));
	CHECK(v == 1);

	/* the same provider name through another fi_provider object */
	setenv("FI_WEFTPRM_INT", "5", 1);
	v = 0;
	CHECK_OK(fi_param_get_int(&copy, "int", &v));
	CHECK(v == 5);

	/* undefined for this provider (defined for another) */
	CHECK_RET(fi_param_get_int(&prov, "nope", &v), -FI_ENOENT);
	CHECK_RET(fi_param_get_int(&prov, "level", &v), -FI_ENOENT);
	CHECK_RET(fi_param_get_int(NULL, "int", &v), -FI_ENOENT);

	CHECK_RET(fi_param_get(&prov, NULL, &v), -FI_EINVAL);
	CHECK_RET(fi_param_get(&prov, "int", NULL), -FI_EINVAL);
	CHECK_RET(fi_param_define(&prov, "h", FI_PARAM_INT, ""), -FI_EINVAL);
	CHECK_RET(fi_param_define(&prov, "h", FI_PARAM_INT, NULL), -FI_EINVAL);
	CHECK_RET(fi_param_define(&prov, NULL, FI_PARAM_INT, "x"), -FI_EINVAL);
	CHECK_RET(fi_param_define(&prov, "", FI_PARAM_INT, "x"), -FI_EINVAL);
	CHECK_RET(fi_param_define(&prov, "h", (enum fi_param_type)17, "x"),
		  -FI_EINVAL);
	/* a second definition is accepted and changes nothing */
	CHECK_OK(fi_param_define(&prov, "int", FI_PARAM_STRING, "again"));
	v = 0;
	CHECK_OK(fi_param_get_int(&prov, "int", &v));
	CHECK(v == 5);
}

static const struct fi_param *find(const struct fi_param *p, int n,
				   const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(p[i].name, name) == 0)
			return &p[i];
	return NULL;
}

static void check_getparams(void)
{
	struct fi_param *params = NULL, *again = NULL;
	const struct fi_param *p;
	int n = -1, n2 = -1;

	setenv("FI_WEFTPRM_SIZE", "77", 1);
	unsetenv("FI_WEFTPRM_STR");
	CHECK_OK(fi_getparams(&params, &n));
	CHECK(params && n > 0);
	/* the array ends with an entry without a name */
	CHECK(params[n].name == NULL);
	for (int i = 0; i < n; i++)
		CHECK(params[i].name && params[i].help_string &&
		      *params[i].help_string);

	p = find(params, n, "FI_WEFTPRM_SIZE");
	CHECK(p && p->type == FI_PARAM_SIZE_T);
	CHECK(strcmp(p->help_string, "weftprm: a size") == 0);
	CHECK(p->value && strcmp(p->value, "77") == 0);
	p = find(params, n, "FI_WEFTPRM_INT");
	CHECK(p && p->type == FI_PARAM_INT);
	CHECK(strcmp(p->help_string, "weftprm: an int, 7") == 0);
	p = find(params, n, "FI_WEFTPRM_STR");
	CHECK(p && p->type == FI_PARAM_STRING && p->value == NULL);
	p = find(params, n, "FI_WEFT_TEST_CORE_KNOB");
	CHECK(p && strcmp(p->help_string, "core knob") == 0);
	CHECK(p->value && strcmp(p->value, "33") == 0);
	p = find(params, n, "FI_MY_PROV_X_LEVEL");
	CHECK(p && p->type == FI_PARAM_BOOL);
	/* the core's own logging parameters are defined by then */
	CHECK(find(params, n, "FI_LOG_LEVEL"));
	CHECK(find(params, n, "FI_LOG_PROV"));
	CHECK(find(params, n, "FI_LOG_SUBSYS"));
	CHECK(find(params, n, "FI_LOG_INTERVAL"));

	/* a second listing has the same entries (nothing duplicated) */
	CHECK_OK(fi_getparams(&again, &n2));
	CHECK(n2 == n);
	for (int i = 0; i < n; i++)
		CHECK(strcmp(params[i].name, again[i].name) == 0);
	fi_freeparams(again);
	fi_freeparams(params);
	fi_freeparams(NULL);

	CHECK_RET(fi_getparams(NULL, &n), -FI_EINVAL);
	CHECK_RET(fi_getparams(&params, NULL), -FI_EINVAL);
}

int main(void)
{
	weft_test_require_weft_loaded();
	check_types();
	check_naming_and_errors();
	check_getparams();
	return 0;
}
