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

pingpong() { weft_pingpong "$@"; } # NAME ARGS...: scripts/lib.sh

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
