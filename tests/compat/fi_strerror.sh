#!/usr/bin/env bash
# Debian's unchanged fi_strerror (libfabric-bin) on weft prints weft's text.
#
# "weft's text" is whatever weft's own fi_strerror() returns: a ten-line C
# helper, compiled here against the API headers and linked to weft's
# library, prints it for the same codes, and the two outputs must match.
# On top of that, every text must be a real description (not empty, not a
# number), and libfabric's own codes (FI_EOTHER..FI_ENORX) must each have a
# distinct one. The proof that fi_strerror ran on weft is in scripts/lib.sh.
set -euo pipefail
WEFT_BUILD=${WEFT_BUILD:-${1:?usage: $0 BUILD_DIR}}
WEFT_SRC=${WEFT_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../../scripts/lib.sh
. "$WEFT_SRC/scripts/lib.sh"
weft_need_cmd fi_strerror
weft_need_cmd cc

# errno values (EAGAIN EINVAL ENOSYS ENODATA ETIMEDOUT ECANCELED) and every
# libfabric-specific code, 256 (FI_EOTHER) to 269 (FI_ENORX).
errno_codes="11 22 38 61 110 125"
fi_codes=$(seq 256 269)

cat >"$WEFT_TMP/strerror.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <rdma/fi_errno.h>
int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		printf("%s\n", fi_strerror(atoi(argv[i])));
	return 0;
}
C
# (The linker's warnings about libasan's symbols in sanitizer builds are noise:
# show its output only if the link fails.)
if ! cc -o "$WEFT_TMP/strerror" "$WEFT_TMP/strerror.c" -L"$WEFT_LIBDIR" -l:libfabric.so.1 \
	>"$WEFT_TMP/cc.log" 2>&1; then
	cat "$WEFT_TMP/cc.log" >&2
	weft_fail "cannot build the fi_strerror() helper against $WEFT_LIB"
fi

# shellcheck disable=SC2086 # the code lists are meant to split into words
weft_run helper 30 "$WEFT_TMP/strerror" $errno_codes $fi_codes
weft_expect_rc helper 0
weft_assert_loaded helper

: >"$WEFT_TMP/debian.txt"
for code in $errno_codes $fi_codes; do
	name=code_$code
	# fi_strerror takes the absolute value: pass the negative form for
	# half of the codes, as a program's return value would be.
	arg=$code
	[ $((code % 2)) -eq 0 ] || arg=-$code
	weft_run "$name" 30 fi_strerror -- "$arg"
	if [ "$WEFT_RC" -ne 0 ]; then
		# Older fi_strerror builds do not take "--".
		weft_run "$name" 30 fi_strerror "$arg"
	fi
	weft_expect_rc "$name" 0
	weft_assert_loaded "$name"
	text=$(cat "$WEFT_TMP/$name.out")
	case $text in
	"" | *[![:print:]]* | [0-9-]*) weft_show "$name"; weft_fail "fi_strerror $arg: no description: '$text'" ;;
	esac
	printf '%s\n' "$text" >>"$WEFT_TMP/debian.txt"
	printf '%5s  %s\n' "$code" "$text"
done

diff -u "$WEFT_TMP/helper.out" "$WEFT_TMP/debian.txt" >&2 ||
	weft_fail "Debian's fi_strerror on weft does not print what weft's fi_strerror() returns"

ntexts=$(tail -n 14 "$WEFT_TMP/debian.txt" | sort -u | wc -l)
[ "$ntexts" -eq 14 ] || weft_fail "FI_EOTHER..FI_ENORX share descriptions ($ntexts distinct of 14)"

echo "PASS: fi_strerror on weft ($WEFT_LIB)"
