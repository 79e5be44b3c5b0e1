#!/usr/bin/env bash
# Debian's unchanged fi_info (libfabric-bin) on weft: it lists weft's
# providers, prints weft's fi_info structures for udp, lists weft's
# parameters, and fails cleanly for a provider that does not exist.
# Every run is checked to have loaded weft's libfabric.so.1 (scripts/lib.sh,
# "proving that weft was loaded").
set -euo pipefail
WEFT_BUILD=${WEFT_BUILD:-${1:?usage: $0 BUILD_DIR}}
WEFT_SRC=${WEFT_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../../scripts/lib.sh
. "$WEFT_SRC/scripts/lib.sh"
weft_need_cmd fi_info

# weft's providers are its prov/* folders (a provider is named after its
# folder, see docs/architecture.md).
weft_provs=$(find "$WEFT_SRC/prov" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort)

# --- fi_info -l: the provider list --------------------------------------
weft_run list 30 fi_info -l
weft_expect_rc list 0
weft_assert_loaded list
listed=$(sed -n 's/^\([A-Za-z0-9_;]*\):$/\1/p' "$WEFT_TMP/list.out" | sort -u)
grep -qx udp <<<"$listed" || { weft_show list; weft_fail "fi_info -l does not list udp"; }
# A weft-only behaviour: every listed provider is one of weft's folders
# (Debian's library would also list ofi_rxm, sockets, psm2, ...).
extra=$(comm -23 <(echo "$listed") <(echo "$weft_provs"))
[ -z "$extra" ] || weft_proof_fail "fi_info -l lists providers weft does not have: ${extra//$'\n'/ }"
grep -q '^    version: ' "$WEFT_TMP/list.out" || { weft_show list; weft_fail "fi_info -l prints no provider version"; }

# --- fi_info -p udp -v: weft's infos ------------------------------------
weft_run udp 30 fi_info -p udp -v
weft_expect_rc udp 0
weft_assert_loaded udp
# Each info is one "---"-separated block in verbose mode. Require one whose
# provider is exactly udp with a datagram endpoint, and that every block
# belongs to udp (-p filters by provider) and reports API 1.17.
awk '
	/^---$/ { next }
	/^fi_info:$/ { n++ }
	/^ *prov_name: / { prov[n] = $2 }
	/^ *type: FI_EP_/ && !(n in type) { type[n] = $2 }
	/^ *api_version: / { api[n] = $2 }
	END {
		if (n == 0) { print "no fi_info blocks"; exit 1 }
		for (i = 1; i <= n; i++) {
			if (prov[i] !~ /^udp(;|$)/) { print "info " i ": prov_name " prov[i]; bad = 1 }
			if (api[i] != "1.17") { print "info " i ": api_version " api[i]; bad = 1 }
			if (prov[i] == "udp" && type[i] == "FI_EP_DGRAM") dgram = 1
		}
		if (!dgram) { print "no info with prov_name udp and type FI_EP_DGRAM"; bad = 1 }
		exit bad
	}' "$WEFT_TMP/udp.out" >"$WEFT_TMP/udp.check" ||
	{ weft_show udp; cat "$WEFT_TMP/udp.check" >&2; weft_fail "fi_info -p udp -v: unexpected infos"; }
for field in caps: addr_format: fi_tx_attr: fi_rx_attr: fi_ep_attr: fi_domain_attr: fi_fabric_attr: \
	max_msg_size: threading: data_progress: mr_mode: prov_version:; do
	grep -q "^ *$field" "$WEFT_TMP/udp.out" || { weft_show udp; weft_fail "fi_info -p udp -v prints no $field"; }
done

# The short form and an endpoint-type filter agree with it.
weft_run udp_dgram 30 fi_info -p udp -t FI_EP_DGRAM
weft_expect_rc udp_dgram 0
weft_assert_loaded udp_dgram
grep -qx 'provider: udp' "$WEFT_TMP/udp_dgram.out" &&
	grep -q '^ *type: FI_EP_DGRAM$' "$WEFT_TMP/udp_dgram.out" &&
	! grep '^ *type: ' "$WEFT_TMP/udp_dgram.out" | grep -vq 'FI_EP_DGRAM$' ||
	{ weft_show udp_dgram; weft_fail "fi_info -p udp -t FI_EP_DGRAM"; }

# --- fi_info -e: the parameters -----------------------------------------
weft_run env 30 fi_info -e
weft_expect_rc env 0
weft_assert_loaded env
for want in FI_LOG_LEVEL FI_LOG_PROV FI_PROVIDER 'FI_UDP_[A-Z0-9_]*'; do
	grep -q "^# $want: " "$WEFT_TMP/env.out" || { weft_show env; weft_fail "fi_info -e does not list $want"; }
done
# Each parameter has a type and a help line after it.
awk '/^# FI_[A-Z0-9_]*: / { if ($3 == "") bad = 1 } END { exit bad }' "$WEFT_TMP/env.out" ||
	{ weft_show env; weft_fail "fi_info -e: a parameter without a type"; }
# fi_info -g filters by substring.
weft_run getenv 30 fi_info -g UDP
weft_expect_rc getenv 0
weft_assert_loaded getenv
grep -q '^# FI_UDP_' "$WEFT_TMP/getenv.out" && ! grep '^# FI_' "$WEFT_TMP/getenv.out" | grep -vq UDP ||
	{ weft_show getenv; weft_fail "fi_info -g UDP"; }

# --- fi_info -p nosuch: a clean failure ---------------------------------
# fi_info prints "fi_getinfo: -61" and exits with FI_ENODATA (61): no
# crash, no signal, no sanitizer report, nothing on stdout.
weft_run nosuch 30 fi_info -p nosuch
weft_expect_rc nosuch 61
weft_assert_loaded nosuch
grep -q 'fi_getinfo: -61' "$WEFT_TMP/nosuch.err" || { weft_show nosuch; weft_fail "fi_info -p nosuch: unexpected message"; }
! grep -q . "$WEFT_TMP/nosuch.out" || { weft_show nosuch; weft_fail "fi_info -p nosuch printed infos"; }
! grep -q 'Sanitizer' "$WEFT_TMP/nosuch.err" || { weft_show nosuch; weft_fail "sanitizer report"; }

echo "PASS: fi_info on weft ($WEFT_LIB)"
