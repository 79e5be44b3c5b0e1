#!/usr/bin/env bash
# Debian's unchanged fi_pingpong (libfabric-bin), server and client both on
# weft, over the tcp provider's connected (FI_EP_MSG) endpoints on
# loopback: connection management through the EQ (fi_passive_ep,
# fi_listen, FI_CONNREQ, fi_accept, FI_CONNECTED), then every message
# size fi_pingpong picks (-S all) with data integrity checks (-c), in
# message and tagged mode. Both sides must exit 0 within a time bound and
# both must have loaded weft's libfabric.so.1.
set -euo pipefail
WEFT_BUILD=${WEFT_BUILD:-${1:?usage: $0 BUILD_DIR}}
WEFT_SRC=${WEFT_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../../scripts/lib.sh
. "$WEFT_SRC/scripts/lib.sh"
weft_need_cmd fi_pingpong
weft_need_cmd ss

pingpong() { weft_pingpong "$@"; } # NAME ARGS...: scripts/lib.sh

pingpong msg -p tcp -e msg -m msg -c -S all
pingpong tagged -p tcp -e msg -m tagged -c -S all
# More iterations at one size: a longer run of the same path.
pingpong many -p tcp -e msg -c -S 64 -I 2000
# IPv6 (FI_SOCKADDR_IN6) on ::1, where the host has it.
if grep -qs '^0\{31\}1 ' /proc/net/if_inet6; then
	PP_HOST=::1 pingpong ipv6 -p tcp -e msg -6 -c -S all
else
	echo "no ::1 on this host: IPv6 run skipped"
fi

echo "PASS: fi_pingpong -p tcp -e msg on weft ($WEFT_LIB)"
