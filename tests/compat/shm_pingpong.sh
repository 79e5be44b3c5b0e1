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

pingpong() { weft_pingpong "$@"; } # NAME ARGS...: scripts/lib.sh

pingpong msg -p shm -e rdm -m msg -c -S all
pingpong tagged -p shm -e rdm -m tagged -c -S all
pingpong small -p shm -e rdm -m tagged -c -S 8 -I 2000
export FI_SHM_CMA=0
pingpong msg-nocma -p shm -e rdm -m msg -c -S all
pingpong tagged-nocma -p shm -e rdm -m tagged -c -S all
unset FI_SHM_CMA

echo "PASS: fi_pingpong over shm on weft ($WEFT_LIB)"
