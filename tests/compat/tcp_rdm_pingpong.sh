#!/usr/bin/env bash
# Debian's unchanged fi_pingpong (libfabric-bin), server and client both on
# weft, over the tcp provider's reliable unconnected endpoints (FI_EP_RDM)
# on loopback: the connection between the two endpoints is made on demand
# by the first send, then every message size fi_pingpong picks (-S all,
# 0 B to 6 MiB: eager and rendezvous) in message and tagged mode with data
# integrity checks (-c), plus a longer run at one size. Both sides must
# exit 0 within a time bound and must have loaded weft's libfabric.so.1;
# the server is killed if the test ends early (scripts/lib.sh's exit
# trap).
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
	# A free control port (-B) per run, so parallel tests do not collide.
	weft_listen_on "$name.server" fi_pingpong "$@" -B @PORT@
	local server=$WEFT_PID
	weft_run "$name.client" 120 fi_pingpong "$@" -P "$WEFT_PORT" "${PP_HOST:-127.0.0.1}"
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
	sizes=$(awk '$1 ~ /^[0-9]+[kmg]?$/ && $3 ~ /^=/ {print $1}' "$WEFT_TMP/$name.client.out" | tr '\n' ' ')
	[ -n "$sizes" ] || { weft_show "$name.client"; weft_fail "fi_pingpong $*: no results"; }
	echo "fi_pingpong $*: sizes $sizes"
	cat "$WEFT_TMP/$name.client.out"
}

pingpong msg -p tcp -e rdm -m msg -c -S all
pingpong tagged -p tcp -e rdm -m tagged -c -S all
pingpong many -p tcp -e rdm -m tagged -c -S 64 -I 1000
# IPv6 (FI_SOCKADDR_IN6) on ::1, where the host has it: one eager and one
# rendezvous size.
if grep -qs '^0\{31\}1 ' /proc/net/if_inet6; then
	PP_HOST=::1 pingpong ipv6 -p tcp -e rdm -6 -c -S 1024 -I 100
	PP_HOST=::1 pingpong ipv6big -p tcp -e rdm -6 -c -S 1048576 -I 20
else
	echo "no ::1 on this host: IPv6 run skipped"
fi

echo "PASS: fi_pingpong -p tcp -e rdm on weft ($WEFT_LIB)"
