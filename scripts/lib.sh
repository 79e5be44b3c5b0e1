# shellcheck shell=bash
# Helpers shared by scripts/demo.sh and tests/compat/*.sh: run an unchanged
# program on weft's libfabric.so.1, prove that it really was weft's library
# that the program loaded, and pick free ports.
#
# Source it after setting WEFT_BUILD (weft's build tree). It defines
# WEFT_LIBDIR (canonical WEFT_BUILD) and WEFT_TMP (a private scratch dir,
# removed on exit). Nothing here exits on its own except weft_fail/weft_skip.

WEFT_SKIP=77 # ctest's SKIP_RETURN_CODE

weft_fail() { echo "FAIL: $*" >&2; exit 1; }
weft_skip() { echo "SKIP: $*"; exit "$WEFT_SKIP"; }
weft_need_cmd() { command -v "$1" >/dev/null 2>&1 || weft_skip "$1 not installed (scripts/setup.sh installs it)"; }

[ -n "${WEFT_BUILD:-}" ] || weft_fail "WEFT_BUILD is not set (weft's build directory)"
[ -d "$WEFT_BUILD" ] || weft_fail "WEFT_BUILD=$WEFT_BUILD is not a directory"
# The dynamic loader reports the path it built from LD_LIBRARY_PATH, so use
# the canonical spelling of the directory everywhere we compare paths.
WEFT_LIBDIR=$(cd "$WEFT_BUILD" && pwd -P)
WEFT_LIB=$WEFT_LIBDIR/libfabric.so.1
[ -e "$WEFT_LIB" ] || weft_fail "$WEFT_LIB does not exist (build weft first)"

# Debian's library, which weft replaces. Only ever inspected or compared
# with, never loaded by anything weft runs.
WEFT_MULTIARCH=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
DEBIAN_LIB=/usr/lib/$WEFT_MULTIARCH/libfabric.so.1

WEFT_TMP=$(mktemp -d "${TMPDIR:-/tmp}/weft.XXXXXX")
WEFT_PIDS=()
weft_cleanup() {
	local pid
	for pid in "${WEFT_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${WEFT_PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	if [ -n "${WEFT_KEEP_TMP:-}" ]; then
		echo "scratch files kept in $WEFT_TMP" >&2
	else
		rm -rf "$WEFT_TMP"
	fi
}
trap weft_cleanup EXIT
# A signal (ctest's timeout, ^C) exits through the EXIT trap too, so
# background servers do not outlive the script.
trap 'exit 143' TERM
trap 'exit 130' INT

# --- running programs on weft -------------------------------------------
#
# Sanitizer builds: an executable that was not built with ASan (every Debian
# binary) can only load an ASan-instrumented libfabric.so.1 if the ASan
# runtime is the first library in the process, so we LD_PRELOAD it. Leak
# checking stays as the caller set it (make test-asan turns it on): a leak
# reported in a Debian program run on weft is memory weft handed out and
# did not take back, or the program's own; WEFT_DETECT_LEAKS=0 turns it off
# for one test if a program's own leaks get in the way.
WEFT_PRELOAD=
# awk reads to the end rather than exit at the first match: an early exit
# would kill objdump/ldconfig with SIGPIPE, and under a caller's
# `set -eo pipefail` that fails the whole script, silently.
_asan_needed=$(objdump -p "$WEFT_LIB" 2>/dev/null | awk '$1 == "NEEDED" && $2 ~ /asan/ && !f {print $2; f = 1}')
if [ -n "$_asan_needed" ]; then
	WEFT_PRELOAD=$(ldconfig -p | awk -v n="$_asan_needed" '$1 == n && !f {print $NF; f = 1}')
	[ -n "$WEFT_PRELOAD" ] || WEFT_PRELOAD=$(gcc -print-file-name="$_asan_needed")
	[ -e "$WEFT_PRELOAD" ] || weft_fail "weft is built with ASan but $_asan_needed was not found"
	if [ -n "${WEFT_DETECT_LEAKS:-}" ]; then
		export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=$WEFT_DETECT_LEAKS"
	fi
fi
unset _asan_needed

# weft_env: the environment that puts weft first, as NAME=VALUE words for env(1).
weft_env() {
	printf '%s\n' "LD_LIBRARY_PATH=$WEFT_LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
	[ -z "$WEFT_PRELOAD" ] || printf '%s\n' "LD_PRELOAD=$WEFT_PRELOAD"
}

# weft_cmd NAME CMD...: print the argv that runs CMD on weft with the dynamic
# loader's log (LD_DEBUG=libs) written to $WEFT_TMP/ld.NAME.<pid>, for
# weft_assert_loaded NAME. Use it as: mapfile -t argv < <(weft_cmd ...).
weft_cmd() {
	local name=$1
	shift
	printf '%s\n' env
	weft_env
	printf '%s\n' LD_DEBUG=libs "LD_DEBUG_OUTPUT=$WEFT_TMP/ld.$name" "$@"
}

# weft_run NAME TIMEOUT CMD...: run CMD on weft in the foreground, bounded
# by TIMEOUT seconds, stdout to $WEFT_TMP/NAME.out and stderr to
# $WEFT_TMP/NAME.err. Sets WEFT_RC to its exit status; never fails itself.
weft_run() {
	local name=$1 secs=$2 argv
	shift 2
	mapfile -t argv < <(weft_cmd "$name" "$@")
	WEFT_RC=0
	timeout -k 5 "$secs" "${argv[@]}" >"$WEFT_TMP/$name.out" 2>"$WEFT_TMP/$name.err" </dev/null || WEFT_RC=$?
}

# weft_show NAME: print what a weft_run/weft_start captured (for failures).
weft_show() {
	echo "---- $1: stdout" >&2
	cat "$WEFT_TMP/$1.out" >&2 2>/dev/null || true
	echo "---- $1: stderr" >&2
	cat "$WEFT_TMP/$1.err" >&2 2>/dev/null || true
	echo "----" >&2
}

# weft_expect_rc NAME RC: fail, showing the output, unless NAME exited with RC.
weft_expect_rc() {
	if [ "$WEFT_RC" -ne "$2" ]; then
		weft_show "$1"
		[ "$WEFT_RC" -ne 124 ] || weft_fail "$1 timed out"
		weft_fail "$1 exited with $WEFT_RC, expected $2"
	fi
}

# --- proving that weft was loaded ---------------------------------------
#
# Proof that a program ran on weft, not on Debian's library, has three parts:
#  1. the dynamic loader's own log of that very process (LD_DEBUG=libs)
#     says it initialised $WEFT_LIBDIR/libfabric.so.1 and no other
#     libfabric.so: this is what was mapped, not what we hoped to map;
#  2. that file is not Debian's libfabric.so.1 (neither the same inode nor
#     the same bytes, so a symlink or copy into the build tree does not count);
#  3. the directory is a weft CMake build tree (its CMakeCache.txt names
#     project weft), so pointing WEFT_BUILD at another libfabric (e.g. Debian's
#     lib dir, to check a test's functional part) runs but fails the proof.
# LD_DEBUG is robust here: it is glibc's documented interface, it is read
# for every non-setuid process, and LD_DEBUG_OUTPUT keeps it out of the
# program's own output.
weft_tree_is_weft() {
	if [ -e "$DEBIAN_LIB" ] && { [ "$WEFT_LIB" -ef "$DEBIAN_LIB" ] || cmp -s "$WEFT_LIB" "$DEBIAN_LIB"; }; then
		echo "$WEFT_LIB is (a copy of) Debian's $DEBIAN_LIB" >&2
		return 1
	fi
	if ! grep -qx 'CMAKE_PROJECT_NAME:STATIC=weft' "$WEFT_LIBDIR/CMakeCache.txt" 2>/dev/null; then
		echo "$WEFT_LIBDIR is not a weft build tree (no CMakeCache.txt of project weft)" >&2
		return 1
	fi
}

# weft_proof_fail MSG: a failed proof that weft (not another libfabric) ran.
# WEFT_PROOF=warn turns it into a warning, to check the functional part of a
# test against another library, e.g. WEFT_BUILD=/usr/lib/x86_64-linux-gnu.
weft_proof_fail() {
	if [ "${WEFT_PROOF:-}" = warn ]; then
		echo "WARNING (WEFT_PROOF=warn): not weft: $*" >&2
	else
		weft_fail "not weft: $*"
	fi
}

# weft_loaded_libs NAME: the libfabric.so files NAME's processes initialised.
weft_loaded_libs() {
	cat "$WEFT_TMP/ld.$1".* 2>/dev/null |
		sed -n 's/^[[:space:]]*[0-9]*:[[:space:]]*calling init: \(.*\/libfabric\.so[.0-9]*\)$/\1/p' |
		sort -u
}

# weft_assert_loaded NAME: fail unless NAME ran on weft (see above).
weft_assert_loaded() {
	local libs
	libs=$(weft_loaded_libs "$1")
	if [ -z "$libs" ]; then
		weft_proof_fail "$1: the loader log shows no libfabric.so at all"
	elif [ "$libs" != "$WEFT_LIB" ]; then
		weft_proof_fail "$1 loaded $(echo "$libs" | tr '\n' ' '), expected only $WEFT_LIB"
	elif ! weft_tree_is_weft; then
		weft_proof_fail "$1 did not run on weft"
	fi
}

# --- background servers and ports ---------------------------------------

# weft_start NAME CMD...: like weft_run, in the background, bounded by
# WEFT_SERVER_TIMEOUT seconds (default 120); killed when the script exits.
# Sets WEFT_PID.
weft_start() {
	local name=$1 argv
	shift
	mapfile -t argv < <(weft_cmd "$name" "$@")
	timeout -k 5 "${WEFT_SERVER_TIMEOUT:-120}" "${argv[@]}" \
		>"$WEFT_TMP/$name.out" 2>"$WEFT_TMP/$name.err" </dev/null &
	WEFT_PID=$!
	WEFT_PIDS+=("$WEFT_PID")
}

# weft_wait NAME PID: wait for a weft_start'ed process; sets WEFT_RC.
weft_wait() {
	WEFT_RC=0
	wait "$2" || WEFT_RC=$?
}

# weft_pick_port: set WEFT_PORT to a TCP and UDP port nobody uses now.
# Ports come from 20000-31999, below Linux's ephemeral range (32768+), so the kernel does
# not hand them out to other sockets meanwhile; the choice is random so that
# tests running in parallel (ctest -j) do not collide. Another process can
# still take the port before we bind it: callers retry (weft_listen_on).
# (It sets a variable rather than printing: RANDOM must advance in this
# shell, not in a command substitution.)
weft_pick_port() {
	local used port
	used=" $(ss -Htuan 2>/dev/null | awk '{n = split($5, a, ":"); print a[n]}' | sort -u | tr '\n' ' ') "
	for _ in $(seq 1 200); do
		port=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
		case $used in *" $port "*) continue ;; esac
		WEFT_PORT=$port
		return 0
	done
	return 1
}

# weft_wait_listen PID PORT SECS: wait until a TCP socket listens on PORT
# while PID is alive. Returns 1 if PID died or SECS passed.
weft_wait_listen() {
	local pid=$1 port=$2 deadline=$((SECONDS + $3))
	while [ $SECONDS -lt "$deadline" ]; do
		kill -0 "$pid" 2>/dev/null || return 1
		if ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# weft_listen_on NAME CMD...: start a server whose command line contains
# the word @PORT@ (replaced by a free port) and wait until it listens on that
# TCP port; retry with another port if it could not bind. Sets WEFT_PORT
# and WEFT_PID; fails, showing the server's output, after 5 attempts.
weft_listen_on() {
	local name=$1 attempt a argv
	shift
	for attempt in 1 2 3 4 5; do
		weft_pick_port || weft_fail "no free port"
		argv=()
		for a in "$@"; do argv+=("${a//@PORT@/$WEFT_PORT}"); done
		weft_start "$name" "${argv[@]}"
		if weft_wait_listen "$WEFT_PID" "$WEFT_PORT" 20; then
			return 0
		fi
		kill "$WEFT_PID" 2>/dev/null || true
		weft_wait "$name" "$WEFT_PID"
		# Retry only if the port was taken meanwhile (EADDRINUSE, 98).
		if ! grep -qiE "address already in use|-98|\b98\b" "$WEFT_TMP/$name.err" "$WEFT_TMP/$name.out"; then
			break
		fi
		echo "$name: port $WEFT_PORT was taken (attempt $attempt), retrying" >&2
	done
	weft_show "$name"
	weft_fail "$name never started listening (exit status $WEFT_RC)"
}

# weft_pingpong NAME ARGS...: one run of Debian's fi_pingpong ARGS, server
# and client, both of which must exit 0 and must have loaded weft; the
# client's results must list at least one message size. The out-of-band
# control port (-B/-P) is a free TCP port picked here, so parallel tests do
# not collide. PP_HOST: the server's address (127.0.0.1); PP_TIMEOUT: the
# client's time bound in seconds (120).
weft_pingpong() {
	local name=$1
	shift
	weft_listen_on "$name.server" fi_pingpong "$@" -B @PORT@
	local server=$WEFT_PID
	weft_run "$name.client" "${PP_TIMEOUT:-120}" fi_pingpong "$@" -P "$WEFT_PORT" "${PP_HOST:-127.0.0.1}"
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
	# One result line per size: "bytes #sent #ack total time MB/sec ...",
	# bytes as 64, 1.5k, 6m.
	local sizes
	sizes=$(awk '$1 ~ /^[0-9]+(\.[0-9]+)?[kmg]?$/ && $3 ~ /^=/ {print $1}' "$WEFT_TMP/$name.client.out" | tr '\n' ' ')
	[ -n "$sizes" ] || { weft_show "$name.client"; weft_fail "fi_pingpong $*: no results"; }
	echo "fi_pingpong $*: sizes $sizes"
	cat "$WEFT_TMP/$name.client.out"
}
