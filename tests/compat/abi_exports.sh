#!/usr/bin/env bash
# weft's libfabric.so.1 exports exactly what Debian's libfabric.so.1 (1.17)
# exports: the same SONAME, the same version nodes with the same parents,
# the same fi_* symbols at the same versions -- default (fi_getinfo@@FABRIC_1.3)
# and compat (fi_getinfo@FABRIC_1.0, ...) alike -- and nothing else: no
# internal symbol leaks into the dynamic symbol table.
# Debian's library is only read here (objdump), never loaded.
set -euo pipefail
WEFT_BUILD=${WEFT_BUILD:-${1:?usage: $0 BUILD_DIR}}
WEFT_SRC=${WEFT_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../../scripts/lib.sh
. "$WEFT_SRC/scripts/lib.sh"
weft_need_cmd objdump
weft_need_cmd nm
[ -e "$DEBIAN_LIB" ] || weft_skip "$DEBIAN_LIB not installed (libfabric1, see scripts/setup.sh)"

status=0
mismatch() { # WHAT REF WEFT: print a diff, remember the failure
	echo "FAIL: $1 differ (- Debian, + weft):" >&2
	diff -u --label debian --label weft <(echo "$2") <(echo "$3") >&2 || true
	status=1
}

# Exported symbols as NAME@@VERSION (default) or NAME@VERSION (compat,
# objdump prints it in parentheses), with F (function) or O (object).
exports() {
	objdump -T "$1" | awk '
		$0 ~ /\*UND\*/ { next }
		$NF ~ /^fi_/ && $(NF-1) ~ /FABRIC_/ {
			ver = $(NF-1); kind = ($0 ~ / DF /) ? "F" : "O"
			if (ver ~ /^\(/) { gsub(/[()]/, "", ver); print $NF "@" ver " " kind }
			else print $NF "@@" ver " " kind
		}' | sort
}
# Version definitions with their parents: "FABRIC_1.1 FABRIC_1.0", ...
verdefs() {
	objdump -p "$1" | awk '
		/^Version definitions:/ { on = 1; next }
		done { next } # read to the end: an early exit SIGPIPEs objdump (pipefail)
		/^Version References:/ || /^$/ { if (on && seen) { done = 1; next } }
		on && $1 ~ /^[0-9]+$/ { if (last != "") print last; last = $4; seen = 1; next }
		on && NF == 1 && last != "" { print last " " $1; last = ""; next }
		END { if (last != "") print last }' | grep -v '^libfabric\.so' | sort
}
soname() { objdump -p "$1" | awk '$1 == "SONAME" {print $2}'; }

ref=$(exports "$DEBIAN_LIB")
got=$(exports "$WEFT_LIB")
[ -n "$ref" ] || weft_fail "no fi_* exports found in $DEBIAN_LIB (objdump output changed?)"
[ "$ref" = "$got" ] || mismatch "exported fi_* symbols and versions" "$ref" "$got"

ref=$(verdefs "$DEBIAN_LIB")
got=$(verdefs "$WEFT_LIB")
[ "$ref" = "$got" ] || mismatch "version definitions" "$ref" "$got"

ref=$(soname "$DEBIAN_LIB")
got=$(soname "$WEFT_LIB")
[ "$ref" = libfabric.so.1 ] || weft_fail "Debian's SONAME is '$ref'?"
[ "$got" = "$ref" ] || mismatch SONAMEs "$ref" "$got"

# Nothing but fi_* functions and the FABRIC_* version nodes is defined in
# the dynamic symbol table (static or hidden internals stay internal; the
# version script's "local: *" should guarantee it).
leaked=$(nm -D --defined-only "$WEFT_LIB" | awk '
	$2 == "A" && $3 ~ /^FABRIC_[0-9.]+$/ { next }
	$2 == "T" && $3 ~ /^fi_[a-z_]+@@?FABRIC_[0-9.]+$/ { next }
	{ print }')
if [ -n "$leaked" ]; then
	echo "FAIL: symbols exported besides the 1.17 API:" >&2
	echo "$leaked" >&2
	status=1
fi

[ "$status" -eq 0 ] || exit 1
echo "PASS: $WEFT_LIB exports the libfabric 1.17 ABI ($(exports "$WEFT_LIB" | wc -l) fi_* symbol versions, SONAME $got)"
