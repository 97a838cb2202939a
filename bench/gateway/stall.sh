#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Recovery from a stall under forwarding load, all on 127.0.0.1, every
# process stopped by its PID:
#
#   bench/gateway/stall.sh [--build DIR] [--rate R] [--seconds S] [--stall-s T] [--devices D]
#                          [--mode stop|cpu] [--hogs H]
#
# D devices publish QoS 1 at R msg/s aggregate for S seconds; 3 s in, the
# server is stopped (SIGSTOP) for T seconds and continued (SIGCONT), as a
# busy machine does to it on a smaller scale; or (--mode cpu) H busy loops
# compete for the CPU for T seconds. The backlog (R x T messages,
# held in the devices' sockets) then arrives at once. A server that keeps up
# drains it and latency falls back; one whose per-message cost grows with its
# backlog does not. Run once against iot-gateway and once against mosquitto
# configured as a PSK listener bridged to the same upstream, in the same run;
# the gateway's log says how many messages waited behind its send window.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$root/build/posix-release
rate=5000
seconds=12
stall=2
devices=10
mode=stop
hogs=3
while [ $# -gt 0 ]; do
  case $1 in
    --build) build=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --stall-s) stall=$2; shift 2 ;;
    --devices) devices=$2; shift 2 ;;
    --mode) mode=$2; shift 2 ;;
    --hogs) hogs=$2; shift 2 ;;
    *) echo "usage: stall.sh [--build DIR] [--rate R] [--seconds S] [--stall-s T] [--devices D] [--mode stop|cpu] [--hogs H]" >&2; exit 2 ;;
  esac
done
gateway=$build/tools/gateway/iot-gateway
load=$build/tools/gateway/bench/gw_load
[ -x "$gateway" ] && [ -x "$load" ] || { echo "stall.sh: $gateway or $load missing" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/iot-gw-stall.XXXXXX")
broker_sh=$root/tests/integration/broker.sh
gw_pid="" bridge_pid="" load_pid=""
cleanup() {
  [ -n "$load_pid" ] && kill "$load_pid" 2>/dev/null && wait "$load_pid" 2>/dev/null
  [ -n "$gw_pid" ] && kill -CONT "$gw_pid" 2>/dev/null && kill "$gw_pid" 2>/dev/null && wait "$gw_pid" 2>/dev/null
  [ -n "$bridge_pid" ] && kill -CONT "$bridge_pid" 2>/dev/null && kill "$bridge_pid" 2>/dev/null && wait "$bridge_pid" 2>/dev/null
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
common=(--psk-hex "$psk" --attest-key-hex "$akey" --store "$work/store")
sub=(--sub-port "$IOT_TEST_PORT_MTLS" --ca "$pki/ca.crt" --cert "$pki/client.crt" --key "$pki/client.key")

# run_stalled PID PORT OUT [load args]: the load in the background, the stall, the result.
run_stalled() {
  local pid=$1 port=$2 out=$3
  shift 3
  "$load" --port "$port" --count "$devices" --rate "$rate" --seconds "$seconds" --payload 64 \
    "${common[@]}" "${sub[@]}" "$@" > "$out" 2>&1 &
  load_pid=$!
  sleep 4 # connections (about 1 s) and 3 s of load
  if [ "$mode" = stop ]; then
    kill -STOP "$pid"
    sleep "$stall"
    kill -CONT "$pid"
  else
    # CPU contention: busy loops on every core for the stall time.
    local h hp=()
    for ((h = 0; h < hogs; h++)); do
      timeout "$stall" bash -c 'while :; do :; done' &
      hp+=($!)
    done
    for h in "${hp[@]}"; do wait "$h"; done
  fi
  wait "$load_pid"
  load_pid=""
  grep "^forward:" "$out"
}

awk -v n="$devices" -v p="$psk" -v a="$akey" 'BEGIN { for (i = 0; i < n; i++) printf "bench-%d %s hmac:%s\n", i, p, a }' > "$work/devices.txt"
cat > "$work/gw.conf" <<EOF
listen = 127.0.0.1:0
key_store = $work/gw-store
upstream_host = 127.0.0.1
upstream_port = $IOT_TEST_PORT_MTLS
upstream_ca = $pki/ca.crt
upstream_cert = $pki/client.crt
upstream_key = $pki/client.key
upstream_client_id = stall-gateway
upstream_buffer = 200000
allow = $(sha256sum "$load" | cut -d' ' -f1)
log_level = info
EOF
"$gateway" -c "$work/gw.conf" import "$work/devices.txt" > /dev/null 2>&1 || { echo "stall.sh: import failed" >&2; exit 1; }
"$gateway" -c "$work/gw.conf" --port-file "$work/gw.port" > "$work/gw.log" 2>&1 &
gw_pid=$!
for _ in $(seq 300); do [ -s "$work/gw.port" ] && break; sleep 0.1; done
echo "== iot-gateway: $rate msg/s for $seconds s, $mode for $stall s"
run_stalled "$gw_pid" "$(cat "$work/gw.port")" "$work/gw.txt" --prefix bench-
kill "$gw_pid"; wait "$gw_pid"; gw_pid=""
grep -E "send window" "$work/gw.log"

bport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
awk -v n="$devices" -v p="$psk" 'BEGIN { for (i = 0; i < n; i++) printf "bench-%d:%s\n", i, p }' > "$work/psk.txt"
cat > "$work/bridge.conf" <<EOF
per_listener_settings false
user $(id -un)
allow_anonymous true
persistence false
log_dest stderr
log_type error
max_queued_messages 200000
listener $bport 127.0.0.1
psk_hint bench
psk_file $work/psk.txt
use_identity_as_username true
connection upstream
address 127.0.0.1:$IOT_TEST_PORT_MTLS
bridge_cafile $pki/ca.crt
bridge_certfile $pki/client.crt
bridge_keyfile $pki/client.key
remote_clientid stall-bridge
cleansession false
topic devices/# out 1
EOF
mosquitto -c "$work/bridge.conf" > "$work/bridge.log" 2>&1 &
bridge_pid=$!
sleep 2
echo "== mosquitto PSK listener bridged upstream: the same"
run_stalled "$bridge_pid" "$bport" "$work/mq.txt"

field() { grep -oE "$2 [0-9.]+" "$1" | head -n1 | awk '{print $NF}'; }
echo
echo "== Side by side (same run; ratio = gateway / mosquitto bridge)"
printf "%-36s %12s %12s %8s\n" "" "iot-gateway" "mosquitto" "ratio"
for f in "received," "p50" "p99" "max"; do
  g=$(field "$work/gw.txt" "$f"); m=$(field "$work/mq.txt" "$f")
  printf "%-36s %12s %12s %8s\n" "$f (msg/s or ms)" "$g" "$m" "$(awk -v g="$g" -v m="$m" 'BEGIN { if (m > 0) printf "%.2f", g / m; else print "-" }')"
done
