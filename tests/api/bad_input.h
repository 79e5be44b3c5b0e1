/* Soft checks shared by the bad-input tests: each EXPECT_* records a
 * failure and carries on, so one run lists every deviation; main() returns
 * nonzero if any was recorded. The _FORKED forms run the call in a child so
 * a crash is reported with its signal instead of ending the test. */
#ifndef WEFT_TEST_BAD_INPUT_H
#define WEFT_TEST_BAD_INPUT_H

#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static int failures;

#define EXPECT_RET(call, expected)                                             \
	do {                                                                   \
		long _r = (long)(call), _e = (long)(expected);                 \
		if (_r != _e) {                                                \
			fprintf(stderr, "%s:%d: %s returned %ld (%s), "        \
				"expected %ld (%s)\n",                         \
				__FILE__, __LINE__, #call, _r,                 \
				fi_strerror((int)-_r), _e,                     \
				fi_strerror((int)-_e));                        \
			failures++;                                            \
		}                                                              \
	} while (0)

/* Where the man pages leave the code open, any negative FI_E* will do. */
#define EXPECT_NEG(call)                                                       \
	do {                                                                   \
		long _r = (long)(call);                                        \
		if (_r >= 0) {                                                 \
			fprintf(stderr, "%s:%d: %s returned %ld, expected a "  \
				"negative FI_E* code\n",                       \
				__FILE__, __LINE__, #call, _r);                \
			failures++;                                            \
		}                                                              \
	} while (0)

/* For inputs that may crash the library: run the call in a child so a
 * crash is reported (with its signal) and the remaining checks still run. */
#define EXPECT_RET_FORKED(call, expected)                                      \
	do {                                                                   \
		pid_t _pid = fork();                                           \
		int _st = 0;                                                   \
		CHECK(_pid >= 0);                                              \
		if (_pid == 0) {                                               \
			long _r = (long)(call), _e = (long)(expected);         \
			if (_r != _e)                                          \
				fprintf(stderr, "%s:%d: %s returned %ld (%s), " \
					"expected %ld (%s)\n",                \
					__FILE__, __LINE__, #call, _r,         \
					fi_strerror((int)-_r), _e,             \
					fi_strerror((int)-_e));                \
			_exit(_r == _e ? 0 : 1);                               \
		}                                                              \
		CHECK(waitpid(_pid, &_st, 0) == _pid);                         \
		if (WIFSIGNALED(_st)) {                                        \
			fprintf(stderr, "%s:%d: %s CRASHED (signal %d)\n",     \
				__FILE__, __LINE__, #call, WTERMSIG(_st));     \
			failures++;                                            \
		} else if (WEXITSTATUS(_st)) {                                 \
			failures++;                                            \
		}                                                              \
	} while (0)

/* Only "no crash" can be asked of the call (the man page leaves the
 * result open); a crash is reported with its signal. */
#define EXPECT_NOCRASH_FORKED(call)                                            \
	do {                                                                   \
		pid_t _pid = fork();                                           \
		int _st = 0;                                                   \
		CHECK(_pid >= 0);                                              \
		if (_pid == 0) {                                               \
			(void)(call);                                          \
			_exit(0);                                              \
		}                                                              \
		CHECK(waitpid(_pid, &_st, 0) == _pid);                         \
		if (WIFSIGNALED(_st)) {                                        \
			fprintf(stderr, "%s:%d: %s CRASHED (signal %d)\n",     \
				__FILE__, __LINE__, #call, WTERMSIG(_st));     \
			failures++;                                            \
		}                                                              \
	} while (0)

/* A negative FI_E* code, checked in a child so a crash is reported. */
#define EXPECT_NEG_FORKED(call)                                                \
	do {                                                                   \
		pid_t _pid = fork();                                           \
		int _st = 0;                                                   \
		CHECK(_pid >= 0);                                              \
		if (_pid == 0) {                                               \
			long _r = (long)(call);                                \
			if (_r >= 0)                                           \
				fprintf(stderr, "%s:%d: %s returned %ld, "     \
					"expected a negative FI_E* code\n",    \
					__FILE__, __LINE__, #call, _r);        \
			_exit(_r < 0 ? 0 : 1);                                 \
		}                                                              \
		CHECK(waitpid(_pid, &_st, 0) == _pid);                         \
		if (WIFSIGNALED(_st)) {                                        \
			fprintf(stderr, "%s:%d: %s CRASHED (signal %d)\n",     \
				__FILE__, __LINE__, #call, WTERMSIG(_st));     \
			failures++;                                            \
		} else if (WEXITSTATUS(_st)) {                                 \
			failures++;                                            \
		}                                                              \
	} while (0)

#endif
