/* fi_strerror: text for a fabric error number.
 *
 * Codes below FI_ERRNO_OFFSET are plain errno values and get the C
 * library's text, so an FI_EAGAIN reads the same as EAGAIN. The
 * fabric-specific codes (FI_EOTHER ... FI_ENORX) have texts of their own;
 * any other number at or above the offset is reported as unspecified,
 * like FI_EOTHER.
 */
#include <stdio.h>
#include <string.h>

#include <rdma/fi_errno.h>

#include "core/prov.h"

static const char *const fi_errstr[] = {
	[FI_EOTHER - FI_ERRNO_OFFSET] = "Unspecified fabric error",
	[FI_ETOOSMALL - FI_ERRNO_OFFSET] = "Buffer too small for the result",
	[FI_EOPBADSTATE - FI_ERRNO_OFFSET] =
		"Operation not allowed in the object's current state",
	[FI_EAVAIL - FI_ERRNO_OFFSET] =
		"Error details available: read the error queue",
	[FI_EBADFLAGS - FI_ERRNO_OFFSET] = "Unsupported flags",
	[FI_ENOEQ - FI_ERRNO_OFFSET] = "No usable event queue bound",
	[FI_EDOMAIN - FI_ERRNO_OFFSET] = "Invalid or mismatched resource domain",
	[FI_ENOCQ - FI_ERRNO_OFFSET] = "No usable completion queue bound",
	[FI_ECRC - FI_ERRNO_OFFSET] = "Data failed its CRC check",
	[FI_ETRUNC - FI_ERRNO_OFFSET] = "Message truncated: buffer too short",
	[FI_ENOKEY - FI_ERRNO_OFFSET] = "Required key is not available",
	[FI_ENOAV - FI_ERRNO_OFFSET] = "No usable address vector bound",
	[FI_EOVERRUN - FI_ERRNO_OFFSET] = "Queue overrun: entries were lost",
	[FI_ENORX - FI_ERRNO_OFFSET] =
		"Receiver not ready: no receive buffer posted",
};

/* Text for errno values glibc does not know ("Unknown error N"). */
static _Thread_local char unknown_buf[48];

WEFT_EXPORT const char *fi_strerror(int errnum)
{
	const char *s;

	/* The API takes positive numbers; a negated return code is the
	 * common mistake, and means the same error. */
	if (errnum < 0 && errnum != -2147483647 - 1)
		errnum = -errnum;

	if (errnum >= FI_ERRNO_OFFSET) {
		if (errnum < FI_ERRNO_MAX)
			return fi_errstr[errnum - FI_ERRNO_OFFSET];
		return fi_errstr[FI_EOTHER - FI_ERRNO_OFFSET];
	}
	if (errnum == 0)
		return "Success";
	/* strerrordesc_np: the constant text, without strerror's shared
	 * static buffer (not thread-safe) for unknown values. */
	s = strerrordesc_np(errnum);
	if (s)
		return s;
	snprintf(unknown_buf, sizeof(unknown_buf), "Unknown error %d", errnum);
	return unknown_buf;
}
