#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The board PSK device (samples/psk_device/main_board.c) in QEMU through the
# real iot-gateway:
#
#   mosquitto (mutual TLS) <- iot-gateway <- board in QEMU (TLS-PSK, COSE_Mac0)
#                          -> Paho subscriber (plain listener), the checker
#
#   psk_gateway_qemu.sh QEMU MACHINE ELF OBJCOPY IOT_GATEWAY PAHO_PEER PYTHON3 PKIDIR DEVICE_DB COUNT MODE
#
# Starts a private mosquitto on 127.0.0.1 (tests/integration/broker.sh) with
# the test PKI, and iot-gateway on 127.0.0.1 (port chosen by the system)
# relaying to the broker's mutual-TLS port. The gateway's device database is
# DEVICE_DB (the build's TEST credentials: "identity psk hmac:key"), imported
# into its own key store; its allow-list holds the SHA-256 of the firmware's
# load image, computed here on the host (OBJCOPY -O binary ELF). QEMU's
# user-mode network is restricted to one forwarded address: the board reaches
# 10.0.2.100:8883, and each of its connections there is relayed
# (guestfwd_relay.py) to the gateway, and nothing else.
#
# MODE ok: the gateway logs "attested ... identity=<id>", the subscriber
# receives the COUNT readings (seq 0..COUNT-1, in order) relayed upstream,
# and the firmware exits 0.
# MODE badmac: the gateway holds another attestation key for the device: it
# refuses with "attestation failed: bad MAC", the firmware exits 3.
# MODE notallowed: the allow-list lacks the image's measurement: the gateway
# refuses with "attestation failed: measurement <the host's hash> not on the
# allow-list", the firmware exits 3.
# Every process it starts is stopped by PID.
set -uo pipefail

if [ $# -ne 11 ]; then
  echo "usage: psk_gateway_qemu.sh QEMU MACHINE ELF OBJCOPY IOT_GATEWAY PAHO_PEER PYTHON3 PKIDIR DEVICE_DB COUNT MODE" >&2
  exit 2
fi
qemu=$1 machine=$2 elf=$3 objcopy=$4 gateway=$5 peer=$6 python=$7 pki=$8 db=$9 count=${10} mode=${11}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
broker="$root/tests/integration/broker.sh"
relay="$here/guestfwd_relay.py"

state=$(mktemp -d "${TMPDIR:-/tmp}/iot-board-psk-gw.XXXXXX") || exit 2
qemu_pid="" sub_pid="" gw_pid="" rc=1

finish() {
  trap - EXIT INT TERM HUP
  for pid in $sub_pid $qemu_pid $gw_pid; do
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  bash "$broker" stop "$state" >/dev/null 2>&1 || true
  if [ "$rc" -eq 0 ]; then
    rm -rf "$state"
  else
    echo "psk_gateway_qemu: FAILED; state kept in $state" >&2
    for f in qemu.txt gw.log sub.txt import.log; do
      [ -f "$state/$f" ] && { echo "--- $f" >&2; tail -n 40 "$state/$f" >&2; }
    done
    [ -f "$state/mosquitto.log" ] && { echo "--- mosquitto.log" >&2; tail -n 20 "$state/mosquitto.log" >&2; }
  fi
  exit "$rc"
}
trap finish EXIT
trap 'rc=1; finish' INT TERM HUP

fail() { echo "psk_gateway_qemu: $*" >&2; rc=1; exit 1; }

case "$mode" in ok|badmac|notallowed) ;; *) fail "unknown mode $mode" ;; esac
[ -x "$gateway" ] || fail "no iot-gateway at $gateway: build the posix preset first (cmake --preset posix-release && cmake --build --preset posix-release) or set IOT_BOARD_HOST_GATEWAY"
[ -f "$pki/ca.crt" ] || fail "no test PKI in $pki"
[ -f "$db" ] || fail "no device database $db"
identity=$(awk '!/^#/ && NF == 3 { print $1; exit }' "$db")
[ -n "$identity" ] || fail "no device in $db"
python=$("$python" -c 'import sys; print(sys.executable)') || fail "python3 does not run"
case "$python$relay" in *[[:space:],]*) fail "no spaces or commas allowed in $python and $relay" ;; esac

# The measurement a verifier expects: the SHA-256 of the load image.
"$objcopy" -O binary "$elf" "$state/image.bin" || fail "objcopy failed"
measurement=$(sha256sum "$state/image.bin" | cut -d' ' -f1)
echo "image: $(stat -c %s "$state/image.bin") bytes, SHA-256 $measurement"

case "$mode" in
  badmac)
    # Same identity and PSK, another attestation key.
    other=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
    awk -v k="$other" '!/^#/ && NF == 3 { $3 = "hmac:" k } { print }' "$db" >"$state/devices.db"
    allow=$measurement ;;
  notallowed)
    cp "$db" "$state/devices.db"
    allow=$(printf 'not this image' | sha256sum | cut -d' ' -f1) ;;
  *)
    cp "$db" "$state/devices.db"
    allow=$measurement ;;
esac

bash "$broker" start "$state" "$pki" >/dev/null || fail "broker did not start"
# shellcheck disable=SC1091
. "$state/broker.env"

cat >"$state/gw.conf" <<EOF
listen = 127.0.0.1:0
key_store = $state/gw-store
upstream_host = 127.0.0.1
upstream_port = $IOT_TEST_PORT_MTLS
upstream_ca = $pki/ca.crt
upstream_cert = $pki/client.crt
upstream_key = $pki/client.key
upstream_client_id = gateway-board-test
allow = $allow
lifecycle = secured
attest_timeout_ms = 60000
EOF
"$gateway" -c "$state/gw.conf" import "$state/devices.db" >"$state/import.log" 2>&1 ||
  fail "iot-gateway import failed"
rm -f "$state/devices.db"
"$gateway" -c "$state/gw.conf" --port-file "$state/gw.port" >"$state/gw.log" 2>&1 &
gw_pid=$!
for _ in $(seq 1 100); do
  [ -s "$state/gw.port" ] && break
  kill -0 "$gw_pid" 2>/dev/null || fail "iot-gateway exited at start"
  sleep 0.1
done
[ -s "$state/gw.port" ] || fail "iot-gateway did not start"
gw_port=$(cat "$state/gw.port")
echo "iot-gateway on 127.0.0.1:$gw_port, broker (mutual TLS) on 127.0.0.1:$IOT_TEST_PORT_MTLS"

if [ "$mode" = ok ]; then
  # The checker: an independent Paho subscriber on the broker's plain listener.
  "$peer" sub --port "$IOT_TEST_PORT_PLAIN" --topic "devices/$identity/telemetry" --qos 1 \
    --count "$count" --timeout-ms 300000 --print --ready-file "$state/ready" \
    >"$state/sub.txt" 2>&1 &
  sub_pid=$!
  for _ in $(seq 1 200); do
    [ -f "$state/ready" ] && break
    kill -0 "$sub_pid" 2>/dev/null || fail "subscriber exited early"
    sleep 0.1
  done
  [ -f "$state/ready" ] || fail "subscriber did not subscribe"
fi

"$qemu" -M "$machine" -nographic -semihosting-config enable=on,target=native -icount shift=5 \
  -nic "user,restrict=on,guestfwd=tcp:10.0.2.100:8883-cmd:$python $relay 127.0.0.1 $gw_port" \
  -kernel "$elf" </dev/null >"$state/qemu.txt" 2>&1 &
qemu_pid=$!
wait "$qemu_pid"
qemu_rc=$?
qemu_pid=""

# log_has REGEX: the gateway's log has a matching line (it may log a moment later).
log_has() {
  for _ in $(seq 1 50); do
    grep -Eq "$1" "$state/gw.log" && return 0
    sleep 0.1
  done
  return 1
}

if [ "$mode" = ok ]; then
  [ "$qemu_rc" -eq 0 ] || fail "firmware exit status $qemu_rc, expected 0"
  log_has "attested [0-9.:]+ identity=$identity\$" || fail "the gateway did not log the attestation"
  wait "$sub_pid"
  sub_rc=$?
  sub_pid=""
  [ "$sub_rc" -eq 0 ] || fail "subscriber: $sub_rc (fewer than $count readings arrived upstream)"
  for ((i = 0; i < count; i++)); do
    line=$(sed -n "$((i + 1))p" "$state/sub.txt")
    case "$line" in
      "devices/$identity/telemetry"$'\t'1$'\t'0$'\t'"{\"device\":\"$identity\",\"seq\":$i,"*) ;;
      *) fail "reading $i at the subscriber: '$line'" ;;
    esac
  done
  grep -q "^psk_device $identity: $count readings sent" "$state/qemu.txt" || fail "the firmware did not finish"
  grep -q "answered the attestation challenge" "$state/qemu.txt" || fail "the firmware did not answer the challenge"
else
  [ "$qemu_rc" -eq 3 ] || fail "firmware exit status $qemu_rc, expected 3 (refused by the gateway)"
  if [ "$mode" = badmac ]; then
    reason="attestation failed: bad MAC"
  else
    reason="attestation failed: measurement $measurement not on the allow-list"
  fi
  log_has "refused [0-9.:]+ identity=$identity: $reason" || fail "the gateway did not log '$reason'"
  if grep -q "attested .* identity=$identity" "$state/gw.log"; then fail "the gateway attested the device"; fi
fi

# SIGTERM: the gateway exits cleanly with its summary line.
kill "$gw_pid"
wait "$gw_pid"
gw_rc=$?
gw_pid=""
[ "$gw_rc" -eq 0 ] || fail "iot-gateway exit status $gw_rc after SIGTERM"
cat "$state/qemu.txt"
grep -E "attested|refused" "$state/gw.log"
rc=0
