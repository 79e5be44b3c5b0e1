#!/usr/bin/env bash
# weft's main job in one command (make run): two processes exchange
# messages over weft -- udp datagram endpoints on loopback -- and print what
# they measured, then which libfabric.so.1 each of them actually loaded.
#
# The processes are weft's benchmarks (bench/bench_lat, bench/bench_bw), a
# server and a client started separately; if they are not built, Debian's
# unchanged fi_pingpong (libfabric-bin) on both sides. Either way weft's
# build directory is first on LD_LIBRARY_PATH, and the library each process
# loaded is read from the dynamic loader's own log of that process (see
# scripts/lib.sh).
#
# Usage: scripts/demo.sh [BUILD_DIR]   (default: build)
#        WEFT_DEMO=pingpong scripts/demo.sh   (fi_pingpong even if bench/ is built)
set -euo pipefail
WEFT_SRC=$(cd "$(dirname "$0")/.." && pwd)
WEFT_BUILD=${1:-$WEFT_SRC/build} # read by lib.sh
# shellcheck source=lib.sh
. "$WEFT_SRC/scripts/lib.sh"
weft_need_cmd fi_pingpong
weft_need_cmd ss

# run_pair NAME SERVER_ARGS -- CLIENT_ARGS: start the server on a free
# port (@PORT@ in its arguments), run the client against 127.0.0.1, and
# fail with both outputs if either side fails.
run_pair() {
	local name=$1 server_args=() client_args=()
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do server_args+=("$1"); shift; done
	shift
	client_args=("$@")
	weft_listen_on "$name.server" "${server_args[@]}"
	local server=$WEFT_PID
	weft_run "$name.client" 300 "${client_args[@]//@PORT@/$WEFT_PORT}"
	local client_rc=$WEFT_RC
	weft_wait "$name.server" "$server"
	if [ "$client_rc" -ne 0 ] || [ "$WEFT_RC" -ne 0 ]; then
		weft_show "$name.server"
		weft_show "$name.client"
		echo "demo failed: $name client exited $client_rc, server $WEFT_RC (124: timed out)" >&2
		exit 1
	fi
}

# field KEY: the value of KEY=... on a RESULT line (awk helper).
fields='function field(k,   i, a) { for (i = 1; i <= NF; i++) { split($i, a, "="); if (a[1] == k) return a[2] } return "" }'

echo "weft: $WEFT_LIB"
names=()
if [ "${WEFT_DEMO:-}" != pingpong ] && [ -x "$WEFT_LIBDIR/bench/bench_lat" ] && [ -x "$WEFT_LIBDIR/bench/bench_bw" ]; then
	# weft's own benchmarks (bench/), server and client started separately.
	lat=$WEFT_LIBDIR/bench/bench_lat
	bw=$WEFT_LIBDIR/bench/bench_bw
	common=(-p udp -e dgram)
	echo "latency: bench_lat ${common[*]} (ping-pong, one message each way)"
	run_pair lat "$lat" -P @PORT@ -D -- \
		"$lat" "${common[@]}" -S 8-8192 -I "${WEFT_DEMO_ITERS:-1000}" -P @PORT@ -D 127.0.0.1
	echo "bandwidth: bench_bw ${common[*]} (windows of 64 datagrams, then an ack)"
	run_pair bw "$bw" -P @PORT@ -D -- \
		"$bw" "${common[@]}" -S 64-16384 -I "${WEFT_DEMO_WINDOWS:-100}" -P @PORT@ -D 127.0.0.1
	echo
	sed -n '/^# client provider=/{s//provider=/p;q}' "$WEFT_TMP/lat.client.out"
	echo
	echo "one-way latency (half round trip), microseconds:"
	awk "$fields"'
		BEGIN { printf "%10s %10s %10s %10s\n", "bytes", "median", "p99", "min" }
		$1 == "RESULT" { printf "%10s %10s %10s %10s\n", field("size"),
			field("lat_us_median"), field("lat_us_p99"), field("lat_us_min") }' \
		"$WEFT_TMP/lat.client.out"
	echo
	echo "streaming bandwidth (datagrams may be lost: loss is reported, not retried):"
	awk "$fields"'
		BEGIN { printf "%10s %10s %12s %8s\n", "bytes", "MB/s", "msgs/s", "loss%" }
		$1 == "RESULT" { printf "%10s %10s %12s %8s\n", field("size"),
			field("mbytes_s"), field("msgs_s"), field("loss_pct") }' \
		"$WEFT_TMP/bw.client.out"
	names=(lat.server lat.client bw.server bw.client)
else
	# No benchmarks built: Debian's unchanged fi_pingpong on both sides.
	args=(-p udp -e dgram -S all -I "${WEFT_DEMO_ITERS:-1000}" -c)
	echo "running: fi_pingpong ${args[*]}   (server and client)"
	run_pair pingpong fi_pingpong "${args[@]}" -B @PORT@ -- \
		fi_pingpong "${args[@]}" -P @PORT@ 127.0.0.1
	echo
	echo "client's measurements (round trips of one message each way):"
	cat "$WEFT_TMP/pingpong.client.out"
	names=(pingpong.server pingpong.client)
fi

echo
for name in "${names[@]}"; do
	printf '%-16s loaded %s\n' "$name" "$(weft_loaded_libs "$name" | tr '\n' ' ')"
	# The same proof the compat tests require: fail if that was not weft.
	weft_assert_loaded "$name"
done
echo "every process ran on weft's libfabric.so.1"
