/* FI_PROVIDER is honoured: an excluded provider disappears from
 * fi_getinfo and cannot be opened; an include list keeps only what it
 * names. The variable is read once, at the first call, so each case runs
 * in its own child process. Public API only. */
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static int has_prov(const struct fi_info *info, const char *name)
{
	for (; info; info = info->next)
		if (strcasecmp(info->fabric_attr->prov_name, name) == 0)
			return 1;
	return 0;
}

/* Run `fn` in a child with FI_PROVIDER=value; fail if the child does. */
static void in_child(const char *value, void (*fn)(const char *),
		     const char *arg)
{
	pid_t pid = fork();
	int status;

	CHECK(pid >= 0);
	if (pid == 0) {
		setenv("FI_PROVIDER", value, 1);
		fn(arg);
		exit(0);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void excluded(const char *name)
{
	struct fi_info *info = NULL;
	struct fi_fabric_attr attr = { .prov_name = (char *)name };
	struct fid_fabric *fab;
	int ret = fi_getinfo(FI_VERSION(1, 17), NULL, NULL, 0, NULL, &info);

	CHECK(ret == 0 || ret == -FI_ENODATA);
	CHECK(!has_prov(info, name));
	fi_freeinfo(info);
	CHECK_RET(fi_fabric(&attr, &fab, NULL), -FI_ENODATA);
}

static void only(const char *name)
{
	struct fi_info *info = NULL, *c;

	CHECK_OK(fi_getinfo(FI_VERSION(1, 17), NULL, NULL, 0, NULL, &info));
	for (c = info; c; c = c->next)
		CHECK(strcasecmp(c->fabric_attr->prov_name, name) == 0);
	fi_freeinfo(info);
}

static void none(const char *unused)
{
	struct fi_info *info = (struct fi_info *)0x1;

	CHECK_RET(fi_getinfo(FI_VERSION(1, 17), NULL, NULL, 0, NULL, &info),
		  -FI_ENODATA);
	CHECK(info == NULL);
}

/* The first provider's name, found in a child so that this process's
 * library stays uninitialised for the next children. */
static char *first_provider(void)
{
	char buf[64] = { 0 };
	int fds[2], status;
	pid_t pid;

	CHECK(pipe(fds) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct fi_info *info = NULL;

		close(fds[0]);
		if (fi_getinfo(FI_VERSION(1, 17), NULL, NULL, 0, NULL,
			       &info) == 0)
			CHECK(write(fds[1], info->fabric_attr->prov_name,
				    strlen(info->fabric_attr->prov_name)) > 0);
		exit(0);
	}
	close(fds[1]);
	CHECK(read(fds[0], buf, sizeof(buf) - 1) >= 0);
	close(fds[0]);
	CHECK(waitpid(pid, &status, 0) == pid);
	return buf[0] ? strdup(buf) : NULL;
}

int main(void)
{
	char *name, excl[128], upper[64];

	weft_test_require_weft_loaded();
	if (getenv("FI_PROVIDER"))
		weft_test_skip("FI_PROVIDER already set by the environment");
	name = first_provider();
	if (!name)
		weft_test_skip("no provider available");

	snprintf(excl, sizeof(excl), "^%s", name);
	in_child(excl, excluded, name);
	in_child(name, only, name);
	for (size_t i = 0; name[i] && i < sizeof(upper) - 1; i++)
		upper[i] = (char)(name[i] >= 'a' && name[i] <= 'z'
					  ? name[i] - 'a' + 'A'
					  : name[i]);
	upper[strlen(name) < sizeof(upper) - 1 ? strlen(name)
					       : sizeof(upper) - 1] = '\0';
	in_child(upper, only, name); /* case-insensitive */
	in_child("no-such-provider", none, NULL);
	free(name);
	return 0;
}
