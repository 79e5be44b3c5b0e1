#!/usr/bin/env bash
# Two "hosts": two network namespaces joined by a veth pair, each with its
# own address (no loopback shortcut between them). Debian's unchanged
# fi_pingpong runs its server in one namespace and its client in the
# other, both on weft's tcp provider (FI_EP_MSG, then FI_EP_RDM), message
# and tagged mode, every size, with data checks. Skipped, with the reason, where namespaces
# or veth links cannot be created (no root / CAP_NET_ADMIN).
set -euo pipefail
WEFT_BUILD=${WEFT_BUILD:-${1:?usage: $0 BUILD_DIR}}
WEFT_SRC=${WEFT_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../../scripts/lib.sh
. "$WEFT_SRC/scripts/lib.sh"
weft_need_cmd fi_pingpong
weft_need_cmd ip
weft_need_cmd ss

# Names unique to this run: parallel runs must not collide.
tag="$$$((RANDOM % 100))"
NS_A="weft_a_$tag"
NS_B="weft_b_$tag"
VETH_A="wfa$tag"
VETH_B="wfb$tag"
VETH_A=${VETH_A:0:15}
VETH_B=${VETH_B:0:15}

netns_cleanup() {
	ip netns del "$NS_A" 2>/dev/null || true
	ip netns del "$NS_B" 2>/dev/null || true
}
trap 'netns_cleanup; weft_cleanup' EXIT

ip netns add "$NS_A" 2>/dev/null || weft_skip "cannot create network namespaces here (needs root or CAP_NET_ADMIN)"
ip netns add "$NS_B" 2>/dev/null || weft_skip "cannot create a second network namespace"
ip link add "$VETH_A" type veth peer name "$VETH_B" 2>/dev/null || weft_skip "cannot create a veth pair"
ip link set "$VETH_A" netns "$NS_A"
ip link set "$VETH_B" netns "$NS_B"
ip -n "$NS_A" addr add 10.77.0.1/24 dev "$VETH_A"
ip -n "$NS_B" addr add 10.77.0.2/24 dev "$VETH_B"
for ns in "$NS_A" "$NS_B"; do
	ip -n "$ns" link set lo up
done
ip -n "$NS_A" link set "$VETH_A" up
ip -n "$NS_B" link set "$VETH_B" up

PORT=47600 # namespace-private: nothing else listens in NS_A
export WEFT_SERVER_TIMEOUT=100

pingpong() { # NAME ARGS...
	local name=$1 server deadline
	shift
	weft_start "$name.server" ip netns exec "$NS_A" fi_pingpong "$@" -B "$PORT"
	server=$WEFT_PID
	deadline=$((SECONDS + 20))
	until ip netns exec "$NS_A" ss -Hltn "sport = :$PORT" 2>/dev/null | grep -q .; do
		kill -0 "$server" 2>/dev/null || { weft_show "$name.server"; weft_fail "$name: server exited"; }
		[ $SECONDS -lt $deadline ] || { weft_show "$name.server"; weft_fail "$name: server never listened"; }
		sleep 0.1
	done
	weft_run "$name.client" 120 ip netns exec "$NS_B" fi_pingpong "$@" -P "$PORT" 10.77.0.1
	local client_rc=$WEFT_RC
	# A failed client leaves the server waiting: do not wait for it.
	[ "$client_rc" -eq 0 ] || kill "$server" 2>/dev/null || true
	weft_wait "$name.server" "$server"
	if [ "$client_rc" -ne 0 ] || [ "$WEFT_RC" -ne 0 ]; then
		weft_show "$name.server"
		weft_show "$name.client"
		weft_fail "fi_pingpong $* across namespaces: client $client_rc, server $WEFT_RC"
	fi
	weft_assert_loaded "$name.server"
	weft_assert_loaded "$name.client"
	echo "fi_pingpong $* between $NS_A (10.77.0.1) and $NS_B (10.77.0.2):"
	cat "$WEFT_TMP/$name.client.out"
}

pingpong msg -p tcp -e msg -m msg -c -S all
PORT=47601 pingpong tagged -p tcp -e msg -m tagged -c -S all
# FI_EP_RDM: the connection is made on demand, across the veth link.
PORT=47602 pingpong rdm -p tcp -e rdm -m tagged -c -S all

echo "PASS: fi_pingpong -p tcp -e msg and -e rdm across two network namespaces on weft ($WEFT_LIB)"
