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

# A 60 s bound for the client.
pingpong() { PP_TIMEOUT=60 weft_pingpong "$@"; } # NAME ARGS...: scripts/lib.sh

pingpong all -p udp -e dgram -c
# More iterations at one size: a longer run of the same path.
pingpong many -p udp -e dgram -c -S 64 -I 1000

echo "PASS: fi_pingpong on weft ($WEFT_LIB)"
