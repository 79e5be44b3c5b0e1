/* A small test framework: each test is one process; CHECK* print the
 * failing expression with file:line and exit(1); weft_test_skip() exits 77
 * (ctest's SKIP_RETURN_CODE) with a reason, so a skip is never a silent
 * pass. */
#ifndef WEFT_TESTLIB_H
#define WEFT_TESTLIB_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rdma/fabric.h>
#include <rdma/fi_errno.h>

#define WEFT_TEST_SKIP 77

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, \
				__LINE__, #cond);                              \
			exit(1);                                               \
		}                                                              \
	} while (0)

/* Check that an fi_* call returned the expected code; prints both codes and
 * their fi_strerror text on mismatch. */
#define CHECK_RET(call, expected)                                              \
	do {                                                                   \
		long _r = (long)(call);                                        \
		long _e = (long)(expected);                                    \
		if (_r != _e) {                                                \
			fprintf(stderr,                                        \
				"%s:%d: %s returned %ld (%s), expected %ld "   \
				"(%s)\n",                                      \
				__FILE__, __LINE__, #call, _r,                 \
				fi_strerror((int)-_r), _e,                     \
				fi_strerror((int)-_e));                        \
			exit(1);                                               \
		}                                                              \
	} while (0)

#define CHECK_OK(call) CHECK_RET(call, 0)

void weft_test_skip(const char *why) __attribute__((noreturn));
/* Fail unless the libfabric.so.1 mapped into this process is weft's
 * (not Debian's): checks the path of the loaded object that defines
 * fi_getinfo. */
void weft_test_require_weft_loaded(void);

#endif
