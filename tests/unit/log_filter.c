/* Logging filters and output format. Settings are read once per process,
 * so every scenario runs in a forked child that sets the environment,
 * sends its stderr to a temporary file and emits a fixed pattern of
 * messages; the parent then checks which lines came out. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rdma/fabric.h>
#include <rdma/fi_errno.h>
#include <rdma/providers/fi_log.h>

#include "core/core.h"
#include "testlib.h"

static struct fi_provider alpha = { .name = "alpha" };
static struct fi_provider beta = { .name = "beta" };

static const char *const level_name[] = { "warn", "trace", "info", "debug" };

/* One message per provider (core = NULL), level and a few subsystems:
 * " m <prov> <level> <subsys>". */
static void emit_all(void)
{
	static const struct {
		int id;
		const char *name;
	} subsys[] = { { FI_LOG_CORE, "core" },
		       { FI_LOG_CQ, "cq" },
		       { FI_LOG_EP_DATA, "ep_data" } };
	struct fi_provider *provs[] = { &alpha, &beta, NULL };
	const char *pnames[] = { "alpha", "beta", "core" };

	for (int p = 0; p < 3; p++)
		for (int l = FI_LOG_WARN; l <= FI_LOG_DEBUG; l++)
			for (int s = 0; s < 3; s++)
				FI_LOG(provs[p], l, subsys[s].id, "m %s %s %s\n",
				       pnames[p], level_name[l], subsys[s].name);
}

/* Run emit() in a child with the given "NAME=value" settings; return what
 * it wrote to stderr (static buffer). */
static const char *run(const char *const *env, void (*emit)(void))
{
	static char out[65536];
	FILE *tmp = tmpfile();
	int status;
	size_t n;
	pid_t pid;

	CHECK(tmp);
	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		unsetenv("FI_LOG_LEVEL");
		unsetenv("FI_LOG_PROV");
		unsetenv("FI_LOG_SUBSYS");
		unsetenv("FI_LOG_INTERVAL");
		for (; env && *env; env++)
			putenv((char *)*env);
		if (dup2(fileno(tmp), STDERR_FILENO) < 0)
			_exit(2);
		emit();
		_exit(0);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	rewind(tmp);
	n = fread(out, 1, sizeof(out) - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
	return out;
}

static int has(const char *out, const char *prov, const char *level,
	       const char *subsys)
{
	char line[128];

	snprintf(line, sizeof(line), "<%s> m %s %s %s\n", level, prov, level,
		 subsys);
	return strstr(out, line) != NULL;
}

static int count_lines(const char *out)
{
	int n = 0;

	for (; *out; out++)
		n += *out == '\n';
	return n;
}

/* The expected set as a predicate over (prov, level, subsys). */
typedef int (*want_fn)(const char *prov, int level, const char *subsys);

static void check_set(const char *what, const char *out, want_fn want)
{
	const char *provs[] = { "alpha", "beta", "core" };
	const char *subsys[] = { "core", "cq", "ep_data" };
	int expected = 0;

	for (int p = 0; p < 3; p++)
		for (int l = 0; l < 4; l++)
			for (int s = 0; s < 3; s++) {
				int w = want(provs[p], l, subsys[s]);
				if (w != has(out, provs[p], level_name[l],
					     subsys[s])) {
					fprintf(stderr,
						"%s: %s %s %s should%s be "
						"logged; output:\n%s\n",
						what, provs[p], level_name[l],
						subsys[s], w ? "" : " not",
						out);
					exit(1);
				}
				expected += w;
			}
	if (count_lines(out) != expected) {
		fprintf(stderr, "%s: %d lines, expected %d:\n%s\n", what,
			count_lines(out), expected, out);
		exit(1);
	}
}

static int want_none(const char *p, int l, const char *s)
{
	(void)p, (void)l, (void)s;
	return 0;
}
static int want_warn(const char *p, int l, const char *s)
{
	(void)p, (void)s;
	return l == FI_LOG_WARN;
}
static int want_info(const char *p, int l, const char *s)
{
	(void)p, (void)s;
	return l <= FI_LOG_INFO;
}
static int want_all(const char *p, int l, const char *s)
{
	(void)p, (void)l, (void)s;
	return 1;
}
static int want_alpha_info(const char *p, int l, const char *s)
{
	(void)s;
	return l <= FI_LOG_INFO && strcmp(p, "alpha") == 0;
}
static int want_not_alpha_info(const char *p, int l, const char *s)
{
	(void)s;
	return l <= FI_LOG_INFO && strcmp(p, "alpha") != 0;
}
static int want_alpha_core_trace(const char *p, int l, const char *s)
{
	(void)s;
	return l <= FI_LOG_TRACE && strcmp(p, "beta") != 0;
}
static int want_cq_ep_data_info(const char *p, int l, const char *s)
{
	(void)p;
	return l <= FI_LOG_INFO && strcmp(s, "core") != 0;
}
static int want_cq_debug(const char *p, int l, const char *s)
{
	(void)p, (void)l;
	return strcmp(s, "cq") == 0;
}

static void check_filters(void)
{
	const char *out;

	check_set("no FI_LOG_LEVEL", run(NULL, emit_all), want_none);
	check_set("warn", run((const char *[]){ "FI_LOG_LEVEL=warn", NULL }, emit_all),
		  want_warn);
	check_set("info", run((const char *[]){ "FI_LOG_LEVEL=info", NULL }, emit_all),
		  want_info);
	check_set("DEBUG", run((const char *[]){ "FI_LOG_LEVEL=DEBUG", NULL }, emit_all),
		  want_all);
	check_set("bogus level",
		  run((const char *[]){ "FI_LOG_LEVEL=loud", NULL }, emit_all),
		  want_warn);
	check_set("prov alpha",
		  run((const char *[]){ "FI_LOG_LEVEL=info", "FI_LOG_PROV=alpha",
					NULL },
		      emit_all),
		  want_alpha_info);
	check_set("prov ^alpha",
		  run((const char *[]){ "FI_LOG_LEVEL=info", "FI_LOG_PROV=^alpha",
					NULL },
		      emit_all),
		  want_not_alpha_info);
	check_set("prov list",
		  run((const char *[]){ "FI_LOG_LEVEL=trace",
					"FI_LOG_PROV=ALPHA,core", NULL },
		      emit_all),
		  want_alpha_core_trace);
	check_set("subsys list",
		  run((const char *[]){ "FI_LOG_LEVEL=info",
					"FI_LOG_SUBSYS=cq,ep_data", NULL },
		      emit_all),
		  want_cq_ep_data_info);
	check_set("subsys ^core",
		  run((const char *[]){ "FI_LOG_LEVEL=info",
					"FI_LOG_SUBSYS=^core", NULL },
		      emit_all),
		  want_cq_ep_data_info);
	check_set("subsys CQ debug",
		  run((const char *[]){ "FI_LOG_LEVEL=debug", "FI_LOG_SUBSYS=CQ",
					NULL },
		      emit_all),
		  want_cq_debug);
	check_set("subsys unknown",
		  run((const char *[]){ "FI_LOG_LEVEL=debug",
					"FI_LOG_SUBSYS=nothing", NULL },
		      emit_all),
		  want_none);

	/* the line format: libfabric:<pid>:<time>::<prov>:<subsys>:<func>():<line><<level>> */
	out = run((const char *[]){ "FI_LOG_LEVEL=warn", "FI_LOG_PROV=beta",
				    "FI_LOG_SUBSYS=cq", NULL },
		  emit_all);
	{
		int pid, line, n = 0;
		long t;
		char func[32];

		CHECK(sscanf(out, "libfabric:%d:%ld::beta:cq:%31[^(]():%d<warn> m beta warn cq\n%n",
			     &pid, &t, func, &line, &n) == 4);
		CHECK(n == (int)strlen(out));
		CHECK(pid > 0 && t > 1600000000L && line > 0);
		CHECK(strcmp(func, "emit_all") == 0);
	}
}

/* fi_log itself does not filter (callers ask fi_log_enabled), keeps the
 * message as given, and a NULL provider means the core. */
static void emit_direct(void)
{
	fi_log(&alpha, FI_LOG_DEBUG, FI_LOG_MR, "fn", 12, "x=%d", 5);
	fi_log(NULL, FI_LOG_WARN, FI_LOG_AV, "gn", 3, " and y\n");
}

/* Out-of-range levels and subsystems are never enabled. */
static void emit_ranges(void)
{
	if (fi_log_enabled(&alpha, FI_LOG_MAX, FI_LOG_CORE) ||
	    fi_log_enabled(&alpha, (enum fi_log_level)-1, FI_LOG_CORE) ||
	    fi_log_enabled(&alpha, FI_LOG_WARN, FI_LOG_SUBSYS_MAX) ||
	    fi_log_enabled(&alpha, FI_LOG_WARN, (enum fi_log_subsys)-1))
		_exit(3);
	if (!fi_log_enabled(NULL, FI_LOG_DEBUG, FI_LOG_CNTR))
		_exit(4);
}

/* FI_LOG_SPARSE: at most one message per interval for one call site. */
static void emit_sparse(void)
{
	struct timespec pause = { 0, 300 * 1000 * 1000 };

	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 20; i++)
			FI_WARN_SPARSE(&alpha, FI_LOG_CQ, "sparse %d\n", round);
		nanosleep(&pause, NULL);
	}
}

static void emit_every(void)
{
	for (int i = 0; i < 5; i++)
		FI_WARN_SPARSE(&alpha, FI_LOG_CQ, "every\n");
	/* a level that is off is never ready */
	{
		uint64_t showtime = 0;
		if (fi_log_ready(&alpha, FI_LOG_DEBUG, FI_LOG_CQ, &showtime))
			_exit(5);
	}
}

static void *first_call(void *arg)
{
	return (void *)(intptr_t)fi_log_enabled(arg, FI_LOG_INFO, FI_LOG_CQ);
}

/* Logging initialises itself on first use, once, even when that first use
 * comes from several threads, and before/without weft_core_init();
 * a later weft_log_init() (from core init) changes nothing. */
static void emit_self_init(void)
{
	pthread_t t[4];
	struct fi_param *params;
	int n, levels = 0;

	for (int i = 0; i < 4; i++)
		if (pthread_create(&t[i], NULL, first_call, &alpha))
			_exit(6);
	for (int i = 0; i < 4; i++) {
		void *r;
		pthread_join(t[i], &r);
		if (!r)
			_exit(7);
	}
	weft_log_init();
	if (fi_getparams(&params, &n))
		_exit(8);
	for (int i = 0; i < n; i++)
		levels += strcmp(params[i].name, "FI_LOG_LEVEL") == 0;
	fi_freeparams(params);
	if (levels != 1)
		_exit(9);
	FI_INFO(&alpha, FI_LOG_CQ, "ready\n");
}

int main(void)
{
	const char *out;

	check_filters();

	out = run((const char *[]){ NULL }, emit_direct);
	CHECK(strstr(out, "::alpha:mr:fn():12<debug> x=5libfabric:"));
	CHECK(strstr(out, "::core:av:gn():3<warn>  and y\n"));

	out = run((const char *[]){ "FI_LOG_LEVEL=debug", NULL }, emit_ranges);
	CHECK(*out == '\0');

	out = run((const char *[]){ "FI_LOG_LEVEL=warn", "FI_LOG_INTERVAL=200",
				    NULL },
		  emit_sparse);
	CHECK(count_lines(out) == 2);
	CHECK(strstr(out, "sparse 0\n") && strstr(out, "sparse 1\n"));

	out = run((const char *[]){ "FI_LOG_LEVEL=warn", "FI_LOG_INTERVAL=0",
				    NULL },
		  emit_every);
	CHECK(count_lines(out) == 5);

	/* only alpha: provider init may log at info too */
	out = run((const char *[]){ "FI_LOG_LEVEL=info", "FI_LOG_PROV=alpha",
				    NULL },
		  emit_self_init);
	CHECK(count_lines(out) == 1 && strstr(out, "<info> ready\n"));
	return 0;
}
