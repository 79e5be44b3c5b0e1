#!/usr/bin/env bash
# Debian's unchanged fi_pingpong (libfabric-bin), server and client both on
# weft, over the shm provider's RDM endpoints: untagged and tagged modes,
# every message size fi_pingpong picks (-S all, inline through rendezvous),
# with data integrity checks (-c), with CMA and with copies through bounce
# buffers (FI_SHM_CMA=0). Both sides must exit 0 within a time bound and
# both must be proven to have loaded weft's libfabric.so.1.
set -euo pipefail
WEFT_BUILD=${WEFT_BUILD:-${1:?usage: $0 BUILD_DIR}}
WEFT_SRC=${WEFT_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../../scripts/lib.sh
. "$WEFT_SRC/scripts/lib.sh"
weft_need_cmd fi_pingpong
weft_need_cmd ss

pingpong() { # NAME ARGS...: one server/client run; both must succeed
	local name=$1
	shift
	# The out-of-band control port (-B/-P) is a free TCP port picked
	# here; the data goes through shared memory.
	weft_listen_on "$name.server" fi_pingpong "$@" -B @PORT@
	local server=$WEFT_PID
	weft_run "$name.client" 120 fi_pingpong "$@" -P "$WEFT_PORT" 127.0.0.1
	local client_rc=$WEFT_RC
	weft_wait "$name.server" "$server"
	local server_rc=$WEFT_RC
	if [ "$client_rc" -ne 0 ] || [ "$server_rc" -ne 0 ]; then
		weft_show "$name.server"
		weft_show "$name.client"
		weft_fail "fi_pingpong $*: client exited $client_rc, server $server_rc (124: timed out)"
	fi
	weft_assert_loaded "$name.server"
	weft_assert_loaded "$name.client"
	local sizes
	sizes=$(awk '$1 ~ /^[0-9.]+[kmg]?$/ && $3 ~ /^=/ {print $1}' "$WEFT_TMP/$name.client.out" | tr '\n' ' ')
	[ -n "$sizes" ] || { weft_show "$name.client"; weft_fail "fi_pingpong $*: no results"; }
	echo "fi_pingpong $*: sizes $sizes"
	cat "$WEFT_TMP/$name.client.out"
}

pingpong msg -p shm -e rdm -m msg -c -S all
pingpong tagged -p shm -e rdm -m tagged -c -S all
pingpong small -p shm -e rdm -m tagged -c -S 8 -I 2000
export FI_SHM_CMA=0
pingpong msg-nocma -p shm -e rdm -m msg -c -S all
pingpong tagged-nocma -p shm -e rdm -m tagged -c -S all
unset FI_SHM_CMA

echo "PASS: fi_pingpong over shm on weft ($WEFT_LIB)"
