#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Network fault test with real processes: the SDK (netem_pub) publishes a
# 10,000-message QoS 1 stream over TLS to mosquitto through an impaired link,
# and an independent Paho subscriber (paho_peer --seq) on the broker's side
# counts every sequence number.
#
#   run.sh NETEM_PUB PAHO_PEER LINKEM [COUNT]
#
# Topology: two network namespaces of our own, "client" (the SDK) and
# "broker" (mosquitto and the Paho checker, which talks to the broker over
# the namespace's own loopback, outside the faults). The link between them
# carries private addresses 10.200.0.2 (client) and 10.200.0.1 (broker);
# nothing touches the host's interfaces. The link is
#   - a veth pair with tc netem on both ends, when the kernel has sch_netem;
#   - otherwise two TUN devices joined by linkem (tests/netem/linkem.c), a
#     user-space emulator applying the same impairments to every packet.
# Phases, each while the stream flows: clean; 10% loss; 200 ms delay with
# 50 ms jitter; 25% reordering (on a 100 ms delay); a cut of 3 x keep-alive
# (every packet dropped); clean again until done. Passes when netem_pub had
# every message acknowledged, Paho received all 0..COUNT-1, and the client
# reconnected by itself after the cut.
#
# Needs root (namespaces). Without it, or where namespaces cannot be made,
# it prints SKIP and exits 77 (ctest SKIP_RETURN_CODE). Cleans up its
# namespaces and processes (by PID) on every exit.
set -uo pipefail

pub_bin=${1:?usage: run.sh NETEM_PUB PAHO_PEER LINKEM [COUNT]}
peer_bin=${2:?}
linkem_bin=${3:?}
count=${4:-10000}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
keepalive=4
rate=120 # messages per second: the stream spans every phase
tag=$$
ns_b=iot-nb-$tag
ns_c=iot-nc-$tag
ns_r=iot-nr-$tag
state=$(mktemp -d "${TMPDIR:-/tmp}/iot-netem.XXXXXX")
pids=()
namespaces=()
skip() { echo "SKIP: $*"; exit 77; }
log() { printf '[%6.1f s] %s\n' "$(( $(date +%s%N) / 1000000 - t0 ))e-3" "$*"; }
t0=$(( $(date +%s%N) / 1000000 ))

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  for ns in "${namespaces[@]}"; do ip netns del "$ns" 2>/dev/null; done
  if [ "$rc" -eq 0 ] || [ "$rc" -eq 77 ]; then rm -rf "$state"; else echo "state kept in $state" >&2; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[ "$(id -u)" -eq 0 ] || skip "needs root to create network namespaces"
command -v ip >/dev/null || skip "iproute2 (ip) is not installed"
ip netns add "$ns_b" 2>/dev/null || skip "cannot create network namespaces here"
namespaces+=("$ns_b")
ip netns add "$ns_c" || exit 1
namespaces+=("$ns_c")
ip -n "$ns_b" link set lo up && ip -n "$ns_c" link set lo up || exit 1

if ip netns exec "$ns_c" tc qdisc add dev lo root netem delay 1ms 2>/dev/null; then
  ip netns exec "$ns_c" tc qdisc del dev lo root
  mode=netem
  ip -n "$ns_c" link add vc type veth peer name vb netns "$ns_b" || exit 1
  ip -n "$ns_c" addr add 10.200.0.2/24 dev vc && ip -n "$ns_b" addr add 10.200.0.1/24 dev vb || exit 1
  ip -n "$ns_c" link set vc up && ip -n "$ns_b" link set vb up || exit 1
  set_link() { # loss% delay_ms jitter_ms reorder% cut
    local args="delay ${2}ms"
    [ "$3" -gt 0 ] && args="$args ${3}ms"
    [ "$4" -gt 0 ] && args="$args reorder ${4}%"
    if [ "$5" -eq 1 ]; then args="$args loss 100%"; else args="$args loss ${1}%"; fi
    # shellcheck disable=SC2086
    ip netns exec "$ns_c" tc qdisc replace dev vc root netem $args &&
      ip netns exec "$ns_b" tc qdisc replace dev vb root netem $args
  }
elif [ -c /dev/net/tun ]; then
  mode=linkem
  ip netns add "$ns_r" || exit 1
  namespaces+=("$ns_r")
  ctl=$state/link.ctl
  echo "loss=0 delay=0 jitter=0 reorder=0 cut=0" >"$ctl"
  ip netns exec "$ns_r" "$linkem_bin" tc0 tb0 "$ctl" >"$state/linkem.out" 2>"$state/linkem.log" &
  pids+=($!)
  for _ in $(seq 100); do grep -q ready "$state/linkem.out" 2>/dev/null && break; sleep 0.05; done
  grep -q ready "$state/linkem.out" || { cat "$state/linkem.log" >&2; exit 1; }
  ip -n "$ns_r" link set tc0 netns "$ns_c" && ip -n "$ns_r" link set tb0 netns "$ns_b" || exit 1
  ip -n "$ns_c" addr add 10.200.0.2 peer 10.200.0.1 dev tc0 || exit 1
  ip -n "$ns_b" addr add 10.200.0.1 peer 10.200.0.2 dev tb0 || exit 1
  ip -n "$ns_c" link set tc0 up && ip -n "$ns_b" link set tb0 up || exit 1
  set_link() { # loss% delay_ms jitter_ms reorder% cut
    echo "loss=$1 delay=$2 jitter=$3 reorder=$4 cut=$5" >"$ctl.new" && mv "$ctl.new" "$ctl"
  }
else
  skip "the kernel has no sch_netem and /dev/net/tun is missing"
fi
set_link 0 0 0 0 0 || exit 1
log "link: $mode; namespaces $ns_c (10.200.0.2) <-> $ns_b (10.200.0.1)"

# The broker: TLS for the SDK on the link, plain TCP on the namespace's
# loopback for the checker.
bash "$root/tools/gen-certs.sh" "$state/pki" >/dev/null || exit 1
cat >"$state/mosquitto.conf" <<CONF
$( [ "$(id -u)" -eq 0 ] && echo "user root" )
per_listener_settings false
allow_anonymous true
persistence false
max_queued_messages 20000
max_queued_bytes 0
set_tcp_nodelay true
log_dest file $state/mosquitto.log
log_type error
log_type warning
log_type notice
listener 8883 10.200.0.1
cafile $state/pki/ca.crt
certfile $state/pki/server.crt
keyfile $state/pki/server.key
listener 1883 127.0.0.1
CONF
ip netns exec "$ns_b" mosquitto -c "$state/mosquitto.conf" &
pids+=($!)
for _ in $(seq 100); do
  ip netns exec "$ns_b" bash -c 'exec 3<>/dev/tcp/127.0.0.1/1883' 2>/dev/null && break
  sleep 0.1
done

topic=netem/stream
rm -f "$state/ready"
ip netns exec "$ns_b" "$peer_bin" sub --port 1883 --topic "$topic" --qos 1 --count "$count" --seq \
  --client-id netem-checker --timeout-ms 600000 --ready-file "$state/ready" >"$state/paho.out" 2>&1 &
sub_pid=$!
pids+=("$sub_pid")
for _ in $(seq 200); do [ -f "$state/ready" ] && break; sleep 0.05; done
[ -f "$state/ready" ] || { echo "the Paho subscriber did not subscribe" >&2; cat "$state/paho.out" >&2; exit 1; }

ip netns exec "$ns_c" "$pub_bin" --host 10.200.0.1 --port 8883 --ca "$state/pki/ca.crt" --topic "$topic" \
  --count "$count" --rate "$rate" --keepalive "$keepalive" >"$state/pub.out" 2>&1 &
pub_pid=$!
pids+=("$pub_pid")
log "stream of $count QoS 1 messages started at $rate/s (keep-alive ${keepalive} s)"

phase() { # seconds loss delay jitter reorder cut description
  local secs=$1
  shift
  set_link "$1" "$2" "$3" "$4" "$5" || exit 1
  log "phase: $6 for ${secs} s"
  sleep "$secs"
}
phase 5 0 0 0 0 0 "clean"
phase 15 10 0 0 0 0 "10% loss"
phase 15 0 200 50 0 0 "200 ms delay, 50 ms jitter"
phase 15 0 100 0 25 0 "25% reordering on a 100 ms delay"
phase $((3 * keepalive)) 0 0 0 0 1 "link cut ($((3 * keepalive)) s = 3 x keep-alive)"
set_link 0 0 0 0 0
log "phase: clean until the stream is done"

wait "$pub_pid"
pub_rc=$?
wait "$sub_pid"
sub_rc=$?
log "netem_pub exit $pub_rc, paho_peer exit $sub_rc"
sed 's/^/  /' "$state/pub.out"
grep '^seq:' "$state/paho.out" | sed 's/^/  paho: /'
[ "$mode" = linkem ] && { kill "${pids[0]}" && wait "${pids[0]}"; sed 's/^/  /' "$state/linkem.out" | grep forwarded; }

connects=$(sed -n 's/.*connects \([0-9]*\), disconnects.*/\1/p' "$state/pub.out")
fail=0
[ "$pub_rc" -eq 0 ] || { echo "FAIL: the SDK did not get every message acknowledged" >&2; fail=1; }
[ "$sub_rc" -eq 0 ] || { echo "FAIL: Paho did not receive every sequence number" >&2; cat "$state/paho.out" >&2; fail=1; }
[ "${connects:-0}" -ge 2 ] || { echo "FAIL: the client did not reconnect after the cut (connects=${connects:-?})" >&2; fail=1; }
[ "$fail" -eq 0 ] || exit 1
log "PASS: $count/$count delivered, $((connects - 1)) reconnect(s), link: $mode"
