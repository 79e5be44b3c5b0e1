#!/usr/bin/env bash
# udp FI_EP_RDM over a lossy link: two network namespaces joined by a veth
# pair (MTU 1500, so 1392-byte packets and no loopback shortcut), with
# impairments on both ends (tc netem, or nftables + HTB where the kernel
# lacks netem): no impairment, then 1% loss, then 10% loss with
# reordering and duplication. In each, weft's udp_rdm_stream test program
# (tests/api/udp_rdm_stream.c) streams tagged messages from one namespace
# to the other and checks every byte, the order and exactly-once delivery.
# Prints one RESULT line per condition (throughput), which bench/udp_loss
# turns into the table in docs/benchmarks.md.
#
# Skipped, with the reason, where namespaces or veth cannot be created (no
# root / CAP_NET_ADMIN) or neither netem nor nft is there to drop packets.
#
# Environment: WEFT_NETEM_MB="0:16 1:8 10:1" (loss %:MiB streamed per
# condition), WEFT_NETEM_SIZE (message size, default 262144).
set -euo pipefail
# A failing command under set -e says nothing by itself: name it.
trap 'echo "udp_netem.sh: line $LINENO: \"$BASH_COMMAND\" failed" >&2' ERR
WEFT_BUILD=${WEFT_BUILD:-${1:?usage: $0 BUILD_DIR}}
WEFT_SRC=${WEFT_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../../scripts/lib.sh
. "$WEFT_SRC/scripts/lib.sh"
weft_need_cmd ip
weft_need_cmd tc

STREAM=$WEFT_LIBDIR/tests/api_udp_rdm_stream
[ -x "$STREAM" ] || weft_fail "$STREAM missing (build the tests first)"
SIZE=${WEFT_NETEM_SIZE:-262144}
PLAN=${WEFT_NETEM_MB:-"0:16 1:8 10:1"}

tag="$$$((RANDOM % 100))"
NS_A="weft_ua_$tag"
NS_B="weft_ub_$tag"
VETH_A="wua$tag"
VETH_B="wub$tag"
VETH_A=${VETH_A:0:15}
VETH_B=${VETH_B:0:15}
IP_A=10.78.0.1
IP_B=10.78.0.2

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
ip -n "$NS_A" addr add $IP_A/24 dev "$VETH_A"
ip -n "$NS_B" addr add $IP_B/24 dev "$VETH_B"
for ns in "$NS_A" "$NS_B"; do
	ip -n "$ns" link set lo up
done
ip -n "$NS_A" link set "$VETH_A" up
ip -n "$NS_B" link set "$VETH_B" up
# The impairment: `tc netem` where the kernel has it; otherwise the same
# effects from nftables and HTB (this machine's kernel is built without
# sch_netem): random drops on ingress (nft numgen), duplicates on egress
# (nft dup), and reordering by sending a random few packets through a slow
# HTB class (20 Mbit/s), where they queue behind each other while the rest
# overtake them.
if ip netns exec "$NS_A" tc qdisc add dev "$VETH_A" root netem delay 0ms 2>/dev/null; then
	ip netns exec "$NS_A" tc qdisc del dev "$VETH_A" root
	IMPAIR=netem
elif command -v nft >/dev/null 2>&1 &&
	ip netns exec "$NS_A" nft add table netdev weft_probe 2>/dev/null; then
	ip netns exec "$NS_A" nft delete table netdev weft_probe
	IMPAIR=nft
else
	weft_skip "neither tc netem (sch_netem) nor nftables (nft) is available to drop packets"
fi

impair_dev() { # NS DEV LOSS_PCT REORDER_PCT DUP_PCT
	local ns=$1 dev=$2 loss=$3 reorder=$4 dup=$5 args=() rules=""
	ip netns exec "$ns" tc qdisc del dev "$dev" root 2>/dev/null || true
	ip netns exec "$ns" nft delete table netdev weft 2>/dev/null || true
	if [ "$IMPAIR" = netem ]; then
		[ "$loss" = 0 ] || args+=(loss "$loss%")
		[ "$reorder" = 0 ] || args+=(delay 200us reorder "$reorder%" 50%)
		[ "$dup" = 0 ] || args+=(duplicate "$dup%")
		[ ${#args[@]} -eq 0 ] || ip netns exec "$ns" tc qdisc add dev "$dev" root netem "${args[@]}"
		return 0
	fi
	[ "$loss$reorder$dup" != 000 ] || return 0
	# Thresholds per mille (numgen ... mod 1000).
	[ "$loss" = 0 ] || rules+="chain in { type filter hook ingress device \"$dev\" priority 0; policy accept; meta l4proto udp numgen random mod 1000 < $((loss * 10)) drop; }
"
	if [ "$reorder" != 0 ] || [ "$dup" != 0 ]; then
		rules+="chain out { type filter hook egress device \"$dev\" priority 0; policy accept;"
		[ "$dup" = 0 ] || rules+=" meta l4proto udp numgen random mod 1000 < $((dup * 10)) dup to \"$dev\";"
		[ "$reorder" = 0 ] || rules+=" meta l4proto udp numgen random mod 1000 < $((reorder * 10)) meta priority set \"1:20\";"
		rules+=" }
"
	fi
	if [ "$reorder" != 0 ]; then
		ip netns exec "$ns" tc qdisc add dev "$dev" root handle 1: htb default 10
		ip netns exec "$ns" tc class add dev "$dev" parent 1: classid 1:10 htb rate 10gbit 2>/dev/null
		ip netns exec "$ns" tc class add dev "$dev" parent 1: classid 1:20 htb rate 20mbit 2>/dev/null
	fi
	printf 'table netdev weft {\n%s}\n' "$rules" | ip netns exec "$ns" nft -f - ||
		weft_fail "nft rejected the impairment rules"
}

# Both ends: data and acks both suffer.
impair() { # LOSS_PCT REORDER_PCT DUP_PCT
	impair_dev "$NS_A" "$VETH_A" "$@"
	impair_dev "$NS_B" "$VETH_B" "$@"
}

PORT=47710
run() { # NAME MIB LOSS_PCT REORDER_PCT DUP_PCT
	local name=$1 mib=$2 count rc_r
	shift 2
	impair "$@"
	count=$(( (mib << 20) / SIZE ))
	[ "$count" -ge 1 ] || count=1
	PORT=$((PORT + 2))
	weft_start "$name.recv" ip netns exec "$NS_A" "$STREAM" recv $IP_A $PORT $IP_B $((PORT + 1)) "$count" "$SIZE"
	local recv=$WEFT_PID
	weft_run "$name.send" 150 ip netns exec "$NS_B" "$STREAM" send $IP_B $((PORT + 1)) $IP_A $PORT "$count" "$SIZE"
	local send_rc=$WEFT_RC
	[ "$send_rc" -eq 0 ] || kill "$recv" 2>/dev/null || true
	weft_wait "$name.recv" "$recv"
	rc_r=$WEFT_RC
	if [ "$send_rc" -ne 0 ] || [ "$rc_r" -ne 0 ]; then
		weft_show "$name.recv"
		weft_show "$name.send"
		weft_fail "$name (loss/reorder/dup % $*): sender $send_rc, receiver $rc_r"
	fi
	weft_assert_loaded "$name.recv"
	weft_assert_loaded "$name.send"
	grep -q "every byte checked" "$WEFT_TMP/$name.recv.out" ||
		weft_fail "$name: the receiver did not confirm its checks"
	local res
	res=$(grep '^RESULT ' "$WEFT_TMP/$name.send.out") ||
		weft_fail "$name: no RESULT line"
	echo "${res/RESULT /RESULT loss_pct=$1 reorder_pct=$2 dup_pct=$3 impair=$IMPAIR }"
}

for step in $PLAN; do
	loss=${step%%:*}
	mib=${step##*:}
	case $loss in
	10) run loss10 "$mib" 10 5 1 ;; # with reordering and duplication
	*) run "loss$loss" "$mib" "$loss" 0 0 ;;
	esac
done

echo "PASS: udp RDM across two namespaces with $IMPAIR loss/reorder/duplication, every message intact ($WEFT_LIB)"
