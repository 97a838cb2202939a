#!/usr/bin/env bash
# End-to-end demo on this machine: builds the SDK, makes a test PKI, starts
# mosquitto on 127.0.0.1 with mutual TLS, runs the telemetry sample, sends it
# a command, and shows the readings arriving at an independent subscriber.
# Stops everything it started.
#
#   bash tools/demo.sh           the device's key and certificate are PEM files
#   bash tools/demo.sh --store   the device is provisioned into a key store
#                                first (iot-provision: key generated in the
#                                store, CSR certified by the test CA), and the
#                                sample signs its TLS handshake inside the store
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
use_store=0
case "${1:-}" in
  "") ;;
  --store) use_store=1 ;;
  *) echo "usage: bash tools/demo.sh [--store]" >&2; exit 2 ;;
esac
bash tools/deps.sh

echo "== building"
cmake --preset posix-release >/dev/null
cmake --build --preset posix-release --target telemetry iot-provision -j "$(nproc 2>/dev/null || echo 2)" >/dev/null

state=$(mktemp -d)
sub_pid=""
cleanup() {
  [ -n "$sub_pid" ] && kill "$sub_pid" 2>/dev/null || true
  bash tests/integration/broker.sh stop "$state" >/dev/null 2>&1 || true
  rm -rf "$state"
}
trap cleanup EXIT

echo "== starting mosquitto (mutual TLS on 127.0.0.1)"
bash tests/integration/broker.sh start "$state" >/dev/null
# shellcheck disable=SC1091
. "$state/broker.env"
pki=$IOT_TEST_PKI
port=$IOT_TEST_PORT_MTLS
tls=(--cafile "$pki/ca.crt" --cert "$pki/client.crt" --key "$pki/client.key" -h 127.0.0.1 -p "$port")

device_creds=(--cert "$pki/client.crt" --key "$pki/client.key")
if [ "$use_store" = 1 ]; then
  prov="$root/build/posix-release/tools/iot-provision"
  echo "== provisioning device-1 into a key store (key generated inside it)"
  "$prov" --store "$state/store" generate --label device-1 --subject "CN=device-1" > "$state/device-1.csr"
  openssl x509 -req -in "$state/device-1.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" \
    -CAcreateserial -days 1 -sha256 -out "$state/device-1.crt" 2>/dev/null
  "$prov" --store "$state/store" import --cert "$state/device-1.crt" --label device-1
  "$prov" --store "$state/store" list
  device_creds=(--store "$state/store" --store-label device-1)
fi

echo "== independent subscriber (mosquitto_sub) on devices/+/telemetry"
mosquitto_sub "${tls[@]}" -i demo-monitor -t 'devices/+/telemetry' -v -C 5 > "$state/monitor.txt" &
sub_pid=$!
sleep 1

( sleep 2.5; mosquitto_pub "${tls[@]}" -i demo-operator -q 1 \
    -t devices/device-1/commands -m '{"led":"on"}' ) &

echo "== telemetry sample"
"$root/build/posix-release/samples/telemetry/telemetry" --host 127.0.0.1 --port "$port" \
  --server-name localhost --ca "$pki/ca.crt" "${device_creds[@]}" \
  --id device-1 --count 5 --interval-ms 1000 | tee "$state/sample.txt"

wait "$sub_pid" || true
sub_pid=""
echo "== what the independent subscriber received"
cat "$state/monitor.txt"
lines=$(grep -c '^devices/device-1/telemetry ' "$state/monitor.txt" || true)
if [ "$lines" -ne 5 ]; then
  echo "demo: expected 5 readings at the subscriber, got $lines"
  exit 1
fi
if ! grep -q '^command on devices/device-1/commands: {"led":"on"}' "$state/sample.txt"; then
  echo "demo: the sample did not receive the command"
  exit 1
fi
if [ "$use_store" = 1 ]; then
  echo "== demo complete: 5 readings delivered over mutual TLS signed inside the key store, 1 command received"
else
  echo "== demo complete: 5 readings delivered over mutual TLS, 1 command received"
fi
