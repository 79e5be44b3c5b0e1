#!/usr/bin/env bash
# Install what building, testing and benchmarking weft needs on Debian 12.
#
# Idempotent and quiet: it asks dpkg which packages are already installed
# and, when none is missing, exits at once without printing anything (CI
# runs it every time). Otherwise it runs apt-get update and installs only
# the missing ones, as root or through sudo.
set -euo pipefail

packages=(
	# build: compiler, C library headers, CMake, make
	gcc libc6-dev make cmake pkg-config
	# sanitizer runtimes for gcc's -fsanitize=address,undefined
	# (make test-asan); libgcc-12-dev pulls them in, named here to be sure
	libasan8 libubsan1
	# clang and its runtimes: libFuzzer targets (WEFT_FUZZ=ON) and clang
	# sanitizer builds
	clang libclang-rt-14-dev
	# the libfabric 1.17 API headers and man pages weft implements
	libfabric-dev
	# Debian's fi_info, fi_pingpong, fi_strerror: run unchanged on weft by
	# tests/compat and scripts/demo.sh (brings libfabric1, which is only
	# inspected and used for side-by-side benchmarks, never linked)
	libfabric-bin libfabric1
	# objdump, nm: the ABI export test
	binutils
	# ss: free ports for tests and the demo; ip, tc (network namespaces
	# and veth for the two-host tests)
	iproute2
	# nft: tests/compat/udp_netem.sh drops, duplicates and delays packets
	# with nftables where the kernel has no netem qdisc
	nftables
	# benchmarks: bench/compare is Python 3 (standard library only),
	# ucx_perftest is the other peer, gnuplot draws the plots
	python3 ucx-utils gnuplot-nox
)

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$status" = installed ] || missing+=("$p")
done
[ ${#missing[@]} -gt 0 ] || exit 0

if ! command -v apt-get >/dev/null 2>&1; then
	echo "setup: apt-get not found; install these packages by hand: ${missing[*]}" >&2
	exit 1
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null 2>&1 || {
		echo "setup: need root (or sudo) to install: ${missing[*]}" >&2
		exit 1
	}
	sudo=(sudo)
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	--no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
