#!/bin/sh
# Shared-memory footprint of the shm provider, weft vs Debian's libfabric:
# runs bench_shm_mem (a hub and N peers; every peer exchanges messages of
# 8 B, 4 KiB, 64 KiB and 1 MiB with the hub, then all stop and /dev/shm
# and /proc/PID/smaps are measured) for each N given, on both libraries,
# and prints one markdown table. Usage:
#   bench/shm_mem.sh BUILD_DIR [N ...]        (default N: 2 64)
# Env: WEFT_DEBIAN_LIBDIR (default /usr/lib/x86_64-linux-gnu), SIZES, MSGS.
set -eu
build=${1:?usage: bench/shm_mem.sh BUILD_DIR [N ...]}
shift
[ $# -gt 0 ] || set -- 2 64
exe=$build/bench/bench_shm_mem
deb=${WEFT_DEBIAN_LIBDIR:-/usr/lib/x86_64-linux-gnu}
sizes=${SIZES:-8,4096,65536,1048576}
msgs=${MSGS:-2}
[ -x "$exe" ] || { echo "no $exe: build first" >&2; exit 1; }

field() { # field NAME LINE
	echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $exe -S $sizes -k $msgs -n N"
echo
echo "| peers | library | /dev/shm per endpoint: apparent | allocated (du) | hub: mapped | hub Rss | hub Pss | peer: mapped | peer Rss | peer Pss |"
echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in "$@"; do
	for lib in weft libfabric; do
		if [ $lib = weft ]; then
			line=$("$exe" -n "$n" -S "$sizes" -k "$msgs" | grep '^RESULT')
		else
			line=$(LD_LIBRARY_PATH=$deb "$exe" -n "$n" -S "$sizes" \
				-k "$msgs" | grep '^RESULT')
		fi
		loaded=$(field lib "$line")
		# The library each run loaded must be the one meant.
		case $loaded in
		"$deb"/*) [ $lib = libfabric ] ||
			{ echo "weft run loaded $loaded" >&2; exit 1; } ;;
		*) [ $lib = weft ] ||
			{ echo "libfabric run loaded $loaded" >&2; exit 1; } ;;
		esac
		printf '| %s | %s | %s KiB | %s KiB | %s KiB | %s KiB | %s KiB | %s KiB | %s KiB | %s KiB |\n' \
			"$n" "$lib" "$(field per_ep_apparent_kib "$line")" \
			"$(field per_ep_alloc_kib "$line")" \
			"$(field hub_map_kib "$line")" "$(field hub_rss_kib "$line")" \
			"$(field hub_pss_kib "$line")" "$(field peer_map_kib "$line")" \
			"$(field peer_rss_kib "$line")" "$(field peer_pss_kib "$line")"
	done
done
