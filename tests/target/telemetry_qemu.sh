#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end test of the board telemetry firmware in QEMU:
#
#   telemetry_qemu.sh QEMU MACHINE ELF PAHO_PEER PKIDIR MODE DEVICE_ID READINGS
#
# MODE psk or mtls: the run must succeed, as described below.
# MODE psk-restart: as psk, but the broker restarts (stop, start on the same
# ports, persistence kept) once the checker has 3 readings: the firmware must
# report the lost connection, connect again by itself, get every reading
# acknowledged and exit 0; the checker (a persistent session that also
# reconnects) must see readings 0..N without a gap, N >= READINGS + 2. Here
# the board's connections go through tests/target/guestfwd_relay.py (one host
# connection per board connection), so that it can connect again. The refusal
# modes check that the firmware refuses a broker it must not talk to, with
# the documented status, and exits 1:
#   psk-wrongkey    the broker knows another key for the identity: IOT_ERR_TLS_PSK_REJECTED
#   mtls-otherca    server certificate from an unrelated CA: IOT_ERR_TLS_CERT_UNTRUSTED
#   mtls-wronghost  server certificate for another host name: IOT_ERR_TLS_HOSTNAME
#
# Starts a private mosquitto on 127.0.0.1 (tests/integration/broker.sh) with
# the test PKI whose credentials the firmware has compiled in, and an
# independent Paho subscriber on the plain listener. Boots the firmware with
# QEMU's user-mode network restricted to one forwarded address: the board
# reaches 10.0.2.100:8883, which is the broker's TLS-PSK (psk) or mutual TLS
# (mtls) port on 127.0.0.1, and nothing else. Once the subscriber has READINGS readings, the Paho peer
# publishes a command; the firmware must print it, get every reading
# acknowledged and exit 0 (semihosting exit status). Every process it starts
# is stopped by PID.
set -uo pipefail

if [ $# -ne 8 ]; then
  echo "usage: telemetry_qemu.sh QEMU MACHINE ELF PAHO_PEER PKIDIR MODE DEVICE_ID READINGS" >&2
  exit 2
fi
qemu=$1 machine=$2 elf=$3 peer=$4 pki=$5 mode=$6 device=$7 readings=$8
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
broker="$root/tests/integration/broker.sh"
command='{"led":"on"}'

state=$(mktemp -d "${TMPDIR:-/tmp}/iot-board-telemetry.XXXXXX") || exit 2
qemu_pid="" sub_pid="" rc=1

finish() {
  trap - EXIT INT TERM HUP
  for pid in $sub_pid $qemu_pid; do
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  bash "$broker" stop "$state" >/dev/null 2>&1 || true
  if [ "$rc" -eq 0 ]; then
    rm -rf "$state"
  else
    echo "telemetry_qemu: FAILED; state kept in $state" >&2
    for f in qemu.txt sub.txt pub.txt; do
      [ -f "$state/$f" ] && { echo "--- $f" >&2; tail -n 40 "$state/$f" >&2; }
    done
    [ -f "$state/mosquitto.log" ] && { echo "--- mosquitto.log" >&2; tail -n 20 "$state/mosquitto.log" >&2; }
  fi
  exit "$rc"
}
trap finish EXIT
trap 'rc=1; finish' INT TERM HUP

fail() { echo "telemetry_qemu: $*" >&2; rc=1; exit 1; }

[ -f "$pki/ca.crt" ] && [ -f "$pki/psk.hex" ] || fail "no test PKI in $pki"
if [ "$mode" = psk-wrongkey ]; then
  # The same PKI, but the broker holds a different key for device-1.
  cp -r "$pki" "$state/pki"
  pki=$state/pki
  psk=$(cat "$pki/psk.hex")
  printf '%s' "$(printf '%s' "$psk" | tr '0-9a-f' '1-9a-f0')" >"$pki/psk.hex"
fi
bash "$broker" start "$state" "$pki" >/dev/null || fail "broker did not start"
# shellcheck disable=SC1091
. "$state/broker.env"
refusal=""
case "$mode" in
  psk | psk-restart) tls_port=$IOT_TEST_PORT_PSK ;;
  mtls) tls_port=$IOT_TEST_PORT_MTLS ;;
  psk-wrongkey) tls_port=$IOT_TEST_PORT_PSK refusal=IOT_ERR_TLS_PSK_REJECTED ;;
  mtls-otherca) tls_port=$IOT_TEST_PORT_OTHERCA refusal=IOT_ERR_TLS_CERT_UNTRUSTED ;;
  mtls-wronghost) tls_port=$IOT_TEST_PORT_WRONGHOST refusal=IOT_ERR_TLS_HOSTNAME ;;
  *) fail "unknown mode $mode" ;;
esac
forward="tcp:127.0.0.1:$tls_port"
if [ "$mode" = psk-restart ]; then
  # QEMU starts the relay itself (no shell, no PATH lookup): the interpreter
  # by its real path; the command is one -nic value, split at spaces and commas.
  python=$(python3 -c 'import sys; print(sys.executable)') || fail "python3 does not run"
  forward="cmd:$python $here/guestfwd_relay.py 127.0.0.1 $tls_port"
  case "$python$here" in *[[:space:],]*) fail "no spaces or commas allowed in $python and $here" ;; esac
fi
qemu_args=(-M "$machine" -nographic -semihosting-config enable=on,target=native -icount shift=5
  -nic "user,restrict=on,guestfwd=tcp:10.0.2.100:8883-$forward" -kernel "$elf")

if [ -n "$refusal" ]; then
  "$qemu" "${qemu_args[@]}" </dev/null >"$state/qemu.txt" 2>&1 &
  qemu_pid=$!
  wait "$qemu_pid"
  qemu_rc=$?
  qemu_pid=""
  [ "$qemu_rc" -eq 1 ] || fail "firmware exit status $qemu_rc, expected 1 (refused)"
  grep -q "^connect failed: .*($refusal)" "$state/qemu.txt" || fail "the firmware did not report $refusal"
  cat "$state/qemu.txt"
  rc=0
  exit 0
fi

# Sequence numbers of the readings the checker printed, one per line.
seqs() {
  sed -n "s/^devices\/$device\/telemetry\t1\t0\t{\"seq\":\([0-9]*\),.*/\1/p" "$state/sub.txt"
}
# wait_for WHAT SECONDS COMMAND...: until COMMAND succeeds; the firmware must
# stay up meanwhile.
wait_for() {
  local what=$1 secs=$2
  shift 2
  for _ in $(seq 1 $((secs * 5))); do
    "$@" && return 0
    if [ -n "$qemu_pid" ] && ! kill -0 "$qemu_pid" 2>/dev/null; then
      wait "$qemu_pid"
      local qrc=$?
      qemu_pid=""
      fail "firmware stopped (exit status $qrc) while waiting for $what"
    fi
    sleep 0.2
  done
  fail "timed out waiting for $what"
}
at_least_readings() { [ "$(seqs | sort -un | wc -l)" -ge "$1" ]; }
reconnected() { [ "$(grep -c '^connected$' "$state/qemu.txt")" -ge 2 ]; }

if [ "$mode" = psk-restart ]; then
  "$peer" sub --port "$IOT_TEST_PORT_PLAIN" --topic "devices/$device/telemetry" --qos 1 \
    --client-id board-checker --clean 0 --reconnect --count 0 --timeout-ms 600000 --print \
    --ready-file "$state/ready" >"$state/sub.txt" 2>&1 &
  sub_pid=$!
  wait_for "the checker to subscribe" 20 test -f "$state/ready"
  "$qemu" "${qemu_args[@]}" </dev/null >"$state/qemu.txt" 2>&1 &
  qemu_pid=$!
  wait_for "3 readings" 300 at_least_readings 3
  rm -f "$state/ready"
  bash "$broker" restart "$state" >/dev/null || fail "the broker did not restart"
  echo "broker restarted after reading $(seqs | sort -n | tail -n 1)"
  wait_for "the checker to subscribe again" 60 test -f "$state/ready"
  wait_for "the firmware to connect again" 300 reconnected
  wait_for "$((readings + 3)) readings" 300 at_least_readings $((readings + 3))
  "$peer" pub --port "$IOT_TEST_PORT_PLAIN" --topic "devices/$device/commands" --qos 1 \
    --message "$command" >"$state/pub.txt" 2>&1 || fail "publishing the command failed"
  wait "$qemu_pid"
  qemu_rc=$?
  qemu_pid=""
  [ "$qemu_rc" -eq 0 ] || fail "firmware exit status $qemu_rc"
  sleep 1 # the last acknowledged readings reach the checker
  kill "$sub_pid" 2>/dev/null && wait "$sub_pid" 2>/dev/null
  sub_pid=""
  grep -q "^connection lost (.*), reconnecting$" "$state/qemu.txt" ||
    fail "the firmware did not report the lost connection"
  grep -qF "command on devices/$device/commands: $command" "$state/qemu.txt" ||
    fail "the firmware did not print the command"
  # Every reading from 0 to the last one arrived (duplicates allowed: QoS 1).
  last=$(seqs | sort -n | tail -n 1)
  distinct=$(seqs | sort -un | wc -l)
  [ -n "$last" ] && [ "$distinct" -eq $((last + 1)) ] ||
    fail "readings 0..$last expected without a gap, $distinct distinct arrived"
  grep -q "^done: $((last + 1)) readings, 1 commands, all acknowledged$" "$state/qemu.txt" ||
    fail "the firmware's count of readings differs from the $((last + 1)) the checker saw"
  echo "readings 0..$last all arrived ($(seqs | wc -l) deliveries); firmware reconnected by itself"
  cat "$state/qemu.txt"
  rc=0
  exit 0
fi

# The checker: an independent Paho subscriber on the plain listener.
"$peer" sub --port "$IOT_TEST_PORT_PLAIN" --topic "devices/$device/telemetry" --qos 1 \
  --count "$readings" --timeout-ms 300000 --print --ready-file "$state/ready" \
  >"$state/sub.txt" 2>&1 &
sub_pid=$!
for _ in $(seq 1 200); do
  [ -f "$state/ready" ] && break
  kill -0 "$sub_pid" 2>/dev/null || fail "subscriber exited early"
  sleep 0.1
done
[ -f "$state/ready" ] || fail "subscriber did not subscribe"

"$qemu" "${qemu_args[@]}" </dev/null >"$state/qemu.txt" 2>&1 &
qemu_pid=$!

# Until the subscriber has its readings; a firmware that stops first fails.
while kill -0 "$sub_pid" 2>/dev/null; do
  if ! kill -0 "$qemu_pid" 2>/dev/null; then
    wait "$qemu_pid"
    qemu_rc=$?
    qemu_pid=""
    fail "firmware stopped (exit status $qemu_rc) before $readings readings arrived"
  fi
  sleep 0.2
done
wait "$sub_pid"
sub_rc=$?
sub_pid=""
[ "$sub_rc" -eq 0 ] || fail "subscriber: $sub_rc (fewer than $readings readings arrived)"

"$peer" pub --port "$IOT_TEST_PORT_PLAIN" --topic "devices/$device/commands" --qos 1 \
  --message "$command" >"$state/pub.txt" 2>&1 || fail "publishing the command failed"

wait "$qemu_pid"
qemu_rc=$?
qemu_pid=""
[ "$qemu_rc" -eq 0 ] || fail "firmware exit status $qemu_rc"

# The firmware saw the command, and the checker saw readings 0..READINGS-1 in order.
grep -qF "command on devices/$device/commands: $command" "$state/qemu.txt" ||
  fail "the firmware did not print the command"
for ((i = 0; i < readings; i++)); do
  line=$(sed -n "$((i + 1))p" "$state/sub.txt")
  case "$line" in
    "devices/$device/telemetry"$'\t'1$'\t'0$'\t'"{\"seq\":$i,\"temperature\":"*) ;;
    *) fail "reading $i at the subscriber: '$line'" ;;
  esac
done
cat "$state/qemu.txt"
rc=0
