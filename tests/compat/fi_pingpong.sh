#!/usr/bin/env bash
# Debian's unchanged fi_pingpong (libfabric-bin), server and client both on
# weft, over the udp provider's datagram endpoints on loopback: every
# message size fi_pingpong picks (-S all, up to the provider's limit), with
# data integrity checks (-c). Both must exit 0, within a time bound; the
# server is killed if the test ends early (scripts/lib.sh's exit trap).
# fi_pingpong's tagged mode (-m tagged) needs FI_TAGGED, which udp's
# datagram endpoints do not offer, so it is not run here.
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
	# The server's control port (-B) is a free port picked here (the
	# default 47592 would collide with parallel tests); the udp data
	# endpoints use ports the provider binds itself.
	weft_listen_on "$name.server" fi_pingpong "$@" -B @PORT@
	local server=$WEFT_PID
	weft_run "$name.client" 60 fi_pingpong "$@" -P "$WEFT_PORT" 127.0.0.1
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
	# One result line per size: "bytes #sent #ack total time MB/sec ...".
	local sizes
	sizes=$(awk '$1 ~ /^[0-9]+[kmg]?$/ && $3 ~ /^=/ {print $1}' "$WEFT_TMP/$name.client.out" | tr '\n' ' ')
	[ -n "$sizes" ] || { weft_show "$name.client"; weft_fail "fi_pingpong $*: no results"; }
	echo "fi_pingpong $*: sizes $sizes"
	cat "$WEFT_TMP/$name.client.out"
}

pingpong all -p udp -e dgram -c
# More iterations at one size: a longer run of the same path.
pingpong many -p udp -e dgram -c -S 64 -I 1000

echo "PASS: fi_pingpong on weft ($WEFT_LIB)"
