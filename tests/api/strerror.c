/* fi_strerror: errno-valued codes read like strerror(); every
 * fabric-specific code has its own, distinct text; nothing is "Unknown"
 * or empty; the result is usable from several threads. */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <rdma/fi_errno.h>

#include "testlib.h"

/* Every code fi_errno.h defines. */
static const int errno_codes[] = {
	FI_EPERM,	 FI_ENOENT,	  FI_EINTR,	    FI_EIO,
	FI_E2BIG,	 FI_EBADF,	  FI_EAGAIN,	    FI_ENOMEM,
	FI_EACCES,	 FI_EFAULT,	  FI_EBUSY,	    FI_ENODEV,
	FI_EINVAL,	 FI_EMFILE,	  FI_ENOSPC,	    FI_ENOSYS,
	FI_EWOULDBLOCK,	 FI_ENOMSG,	  FI_ENODATA,	    FI_EOVERFLOW,
	FI_EMSGSIZE,	 FI_ENOPROTOOPT,  FI_EOPNOTSUPP,    FI_EADDRINUSE,
	FI_EADDRNOTAVAIL, FI_ENETDOWN,	  FI_ENETUNREACH,   FI_ECONNABORTED,
	FI_ECONNRESET,	 FI_ENOBUFS,	  FI_EISCONN,	    FI_ENOTCONN,
	FI_ESHUTDOWN,	 FI_ETIMEDOUT,	  FI_ECONNREFUSED,  FI_EHOSTDOWN,
	FI_EHOSTUNREACH, FI_EALREADY,	  FI_EINPROGRESS,   FI_EREMOTEIO,
	FI_ECANCELED,	 FI_EKEYREJECTED,
};

static const int fi_codes[] = {
	FI_EOTHER, FI_ETOOSMALL, FI_EOPBADSTATE, FI_EAVAIL, FI_EBADFLAGS,
	FI_ENOEQ,  FI_EDOMAIN,	 FI_ENOCQ,	 FI_ECRC,   FI_ETRUNC,
	FI_ENOKEY, FI_ENOAV,	 FI_EOVERRUN,	 FI_ENORX,
};

#define N(a) (sizeof(a) / sizeof(a[0]))

static int usable(const char *s)
{
	return s && *s && !strstr(s, "Unknown") && !strstr(s, "unknown");
}

static void *thread_main(void *arg)
{
	(void)arg;
	for (int i = 0; i < 1000; i++) {
		for (size_t j = 0; j < N(fi_codes); j++)
			if (!usable(fi_strerror(fi_codes[j])))
				return (void *)1;
		if (strcmp(fi_strerror(FI_EAGAIN), strerror(EAGAIN)) != 0)
			return (void *)1;
	}
	return NULL;
}

int main(void)
{
	pthread_t threads[4];

	weft_test_require_weft_loaded();

	CHECK(strcmp(fi_strerror(FI_SUCCESS), "Success") == 0);

	for (size_t i = 0; i < N(errno_codes); i++) {
		const char *s = fi_strerror(errno_codes[i]);
		if (!usable(s) || strcmp(s, strerror(errno_codes[i])) != 0)
			fprintf(stderr, "errno %d: \"%s\"\n", errno_codes[i],
				s ? s : "NULL");
		CHECK(usable(s));
		CHECK(strcmp(s, strerror(errno_codes[i])) == 0);
	}

	/* fabric-specific codes: all distinct, none equal to an errno text */
	for (size_t i = 0; i < N(fi_codes); i++) {
		const char *s = fi_strerror(fi_codes[i]);
		CHECK(usable(s));
		for (size_t j = 0; j < i; j++)
			CHECK(strcmp(s, fi_strerror(fi_codes[j])) != 0);
		for (size_t j = 0; j < N(errno_codes); j++)
			CHECK(strcmp(s, fi_strerror(errno_codes[j])) != 0);
		/* a negated return code means the same thing */
		CHECK(strcmp(s, fi_strerror(-fi_codes[i])) == 0);
	}
	CHECK(FI_ERRNO_MAX == FI_ENORX + 1);

	/* past the last fabric code: unspecified, like FI_EOTHER */
	CHECK(strcmp(fi_strerror(FI_ERRNO_MAX), fi_strerror(FI_EOTHER)) == 0);
	CHECK(strcmp(fi_strerror(100000), fi_strerror(FI_EOTHER)) == 0);
	CHECK(strcmp(fi_strerror(-FI_EAGAIN), strerror(EAGAIN)) == 0);
	/* an errno glibc does not know still gets a text */
	CHECK(fi_strerror(255) && *fi_strerror(255));
	CHECK(fi_strerror(-2147483647 - 1) != NULL);

	for (int i = 0; i < 4; i++)
		CHECK(pthread_create(&threads[i], NULL, thread_main, NULL) == 0);
	for (int i = 0; i < 4; i++) {
		void *ret;
		CHECK(pthread_join(threads[i], &ret) == 0);
		CHECK(ret == NULL);
	}
	return 0;
}
