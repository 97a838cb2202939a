#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Gateway bench, all on 127.0.0.1, every process stopped by its PID:
#
#   bench/gateway/run.sh [--build DIR] [--sessions N] [--rate R] [--seconds S]
#                        [--devices D] [--payload BYTES] [--mq-sessions M]
#
# 1. Starts the upstream broker (tests/integration/broker.sh: mosquitto, MTLS
#    listener) and iot-gateway with N device identities imported into its key
#    store (one shared PSK and attestation key: the load generator holds one
#    key store); times the import, and with gw_lookup the store's start-up and
#    what a handshake asks of it at N devices (identity index, PSK into the
#    handshake, attestation HMAC) next to the earlier in-memory file database.
# 2. Sessions: gw_load opens N TLS-PSK sessions (TLS + CONNECT + attestation
#    challenge and token), reports the rate, holds them idle and reads the
#    gateway's RSS from /proc. The fd limit is raised to the hard limit.
# 3. Forwarding: D devices publish QoS 1 at R msg/s aggregate for S seconds
#    through the gateway; a Paho subscriber at the upstream broker measures
#    throughput and p50/p99 latency. Then at 5 x R, to find the ceiling.
# 4. The same loads through a second mosquitto configured as a PSK listener
#    bridged to the same upstream (what one would set up without
#    attestation), in the same run, and the ratios gateway / mosquitto.
#    mosquitto's session phase uses M sessions (default 1000): it negotiates
#    DHE-PSK with OpenSSL and sets up far fewer sessions per second, so N
#    would take most of an hour on a small machine; its RSS is then scaled
#    per session in the table.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$root/build/posix-release
sessions=10000
rate=1000
seconds=10
devices=10
payload=64
mq_sessions=1000
while [ $# -gt 0 ]; do
  case $1 in
    --build) build=$2; shift 2 ;;
    --sessions) sessions=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --devices) devices=$2; shift 2 ;;
    --payload) payload=$2; shift 2 ;;
    --mq-sessions) mq_sessions=$2; shift 2 ;;
    *) echo "usage: run.sh [--build DIR] [--sessions N] [--rate R] [--seconds S] [--devices D] [--payload B]" >&2; exit 2 ;;
  esac
done

if [ "$build" = "$root/build/posix-release" ]; then
  (cd "$root" && cmake --preset posix-release > /dev/null && cmake --build --preset posix-release -j2 > /dev/null) ||
    { echo "run.sh: build failed" >&2; exit 1; }
fi
gateway=$build/tools/gateway/iot-gateway
load=$build/tools/gateway/bench/gw_load
[ -x "$gateway" ] && [ -x "$load" ] || { echo "run.sh: $gateway or $load missing" >&2; exit 1; }

ulimit -n "$(ulimit -Hn)"
work=$(mktemp -d "${TMPDIR:-/tmp}/iot-gw-bench.XXXXXX")
broker_sh=$root/tests/integration/broker.sh
gw_pid="" bridge_pid=""
cleanup() {
  [ -n "$gw_pid" ] && kill "$gw_pid" 2>/dev/null && wait "$gw_pid" 2>/dev/null
  [ -n "$bridge_pid" ] && kill "$bridge_pid" 2>/dev/null && wait "$bridge_pid" 2>/dev/null
  bash "$broker_sh" stop "$work/broker" > /dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

bash "$broker_sh" start "$work/broker" > "$work/broker.log" 2>&1 || { cat "$work/broker.log"; exit 1; }
# shellcheck disable=SC1091
source "$work/broker/broker.env"
pki=$IOT_TEST_PKI

psk=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
akey=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
awk -v n="$sessions" -v p="$psk" -v a="$akey" 'BEGIN { for (i = 0; i < n; i++) printf "bench-%d %s hmac:%s\n", i, p, a }' > "$work/devices.db"
cat > "$work/gw.conf" <<EOF
listen = 127.0.0.1:0
key_store = $work/gw-store
upstream_host = 127.0.0.1
upstream_port = $IOT_TEST_PORT_MTLS
upstream_ca = $pki/ca.crt
upstream_cert = $pki/client.crt
upstream_key = $pki/client.key
upstream_client_id = bench-gateway
upstream_buffer = 100000
allow = $(sha256sum "$load" | cut -d' ' -f1)
max_sessions = $((sessions + 100))
attest_timeout_ms = 60000
log_level = warn
EOF
echo "== iot-gateway: importing $sessions devices into its key store"
t0=$(date +%s.%N)
"$gateway" -c "$work/gw.conf" import "$work/devices.db" 2>&1 | tail -n 1
t1=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" -v n="$sessions" 'BEGIN { printf "import: %.1f s for %d devices (%.2f ms each: two objects, each written and fsynced)\n", b - a, n, (b - a) * 1000 / n }'
rm -f "$work/devices.db"
"$build/tools/gateway/bench/gw_lookup" --store "$work/gw-store" --lookups 3000 | tee "$work/gw-lookup.txt"
"$gateway" -c "$work/gw.conf" --port-file "$work/gw.port" > "$work/gw.log" 2>&1 &
gw_pid=$!
for _ in $(seq 600); do [ -s "$work/gw.port" ] && break; sleep 0.1; done
gw_port=$(cat "$work/gw.port")
sleep 1

common=(--psk-hex "$psk" --attest-key-hex "$akey" --store "$work/store")
sub=(--sub-port "$IOT_TEST_PORT_MTLS" --ca "$pki/ca.crt" --cert "$pki/client.crt" --key "$pki/client.key")

echo "== iot-gateway: $sessions idle sessions"
"$load" --port "$gw_port" --count "$sessions" --hold-seconds 5 --pid "$gw_pid" "${common[@]}" | tee "$work/gw-sessions.txt"
echo "== iot-gateway: forwarding, $devices devices"
"$load" --port "$gw_port" --count "$devices" --prefix bench- --rate "$rate" --seconds "$seconds" \
  --payload "$payload" "${common[@]}" "${sub[@]}" | tee "$work/gw-fwd.txt"
"$load" --port "$gw_port" --count "$devices" --prefix bench- --rate $((rate * 5)) --seconds "$seconds" \
  --payload "$payload" "${common[@]}" "${sub[@]}" | tee "$work/gw-fwd5.txt"
kill "$gw_pid"; wait "$gw_pid"; gw_pid=""

# mosquitto as a PSK listener bridged to the same upstream, no attestation.
bport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
awk -v n="$sessions" -v p="$psk" 'BEGIN { for (i = 0; i < n; i++) printf "bench-%d:%s\n", i, p }' > "$work/psk.txt"
cat > "$work/bridge.conf" <<EOF
per_listener_settings false
user $(id -un)
allow_anonymous true
persistence false
log_dest stderr
log_type error
log_type warning
max_queued_messages 100000
listener $bport 127.0.0.1
psk_hint bench
psk_file $work/psk.txt
use_identity_as_username true
connection upstream
address 127.0.0.1:$IOT_TEST_PORT_MTLS
bridge_cafile $pki/ca.crt
bridge_certfile $pki/client.crt
bridge_keyfile $pki/client.key
remote_clientid bench-bridge
cleansession false
topic devices/# out 1
EOF
mosquitto -c "$work/bridge.conf" > "$work/bridge.log" 2>&1 &
bridge_pid=$!
sleep 2
echo "== mosquitto PSK listener bridged upstream: $mq_sessions idle sessions"
"$load" --port "$bport" --count "$mq_sessions" --hold-seconds 5 --pid "$bridge_pid" "${common[@]}" | tee "$work/mq-sessions.txt"
grep -v "^$" "$work/bridge.log" | tail -n 5
echo "== mosquitto bridge: forwarding, $devices devices"
"$load" --port "$bport" --count "$devices" --rate "$rate" --seconds "$seconds" --payload "$payload" \
  "${common[@]}" "${sub[@]}" | tee "$work/mq-fwd.txt"
"$load" --port "$bport" --count "$devices" --rate $((rate * 5)) --seconds "$seconds" --payload "$payload" \
  "${common[@]}" "${sub[@]}" | tee "$work/mq-fwd5.txt"

field() { # file regex -> first number after it
  grep -oE "$2 [0-9.]+" "$1" | head -n1 | awk '{print $NF}'
}
echo
echo "== Side by side (same run; ratio = gateway / mosquitto bridge)"
printf "%-44s %14s %14s %8s\n" "" "iot-gateway" "mosquitto" "ratio"
row() { # label gwfile mqfile regex
  local g m
  g=$(field "$2" "$4"); m=$(field "$3" "$4")
  printf "%-44s %14s %14s %8s\n" "$1" "$g" "$m" "$(awk -v g="$g" -v m="$m" 'BEGIN { if (m > 0) printf "%.2f", g / m; else print "-" }')"
}
row "sessions/s (gateway: + attestation)" "$work/gw-sessions.txt" "$work/mq-sessions.txt" "s,"
row "RSS KiB total, $sessions gw / $mq_sessions mosquitto" "$work/gw-sessions.txt" "$work/mq-sessions.txt" "RSS"
row "RSS KiB per idle session" "$work/gw-sessions.txt" "$work/mq-sessions.txt" "per-session"
row "msg/s received at $rate msg/s offered" "$work/gw-fwd.txt" "$work/mq-fwd.txt" "received,"
row "p50 latency ms at $rate msg/s" "$work/gw-fwd.txt" "$work/mq-fwd.txt" "p50"
row "p99 latency ms at $rate msg/s" "$work/gw-fwd.txt" "$work/mq-fwd.txt" "p99"
row "msg/s received at $((rate * 5)) msg/s offered" "$work/gw-fwd5.txt" "$work/mq-fwd5.txt" "received,"
row "p50 latency ms at $((rate * 5)) msg/s" "$work/gw-fwd5.txt" "$work/mq-fwd5.txt" "p50"
row "p99 latency ms at $((rate * 5)) msg/s" "$work/gw-fwd5.txt" "$work/mq-fwd5.txt" "p99"
