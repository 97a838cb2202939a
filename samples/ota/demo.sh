#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The OTA walk-through of the README, on this machine: builds the SDK, starts
# mosquitto on 127.0.0.1 (TLS), signs images 1.0.0 and 2.0.0, runs ota_device
# on 1.0.0 and serves it 2.0.0 with iot-ota-serve; the device verifies,
# activates, restarts into 2.0.0, self-tests, confirms and reports. Then it
# starts the device once more to show it runs 2.0.0. Stops what it started.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tools/deps.sh

echo "== building"
cmake --preset posix-release >/dev/null
cmake --build --preset posix-release -j 2 --target ota_device iot-ota-serve iot-imgsign >/dev/null
b=build/posix-release

w=$(mktemp -d)
dev_pid=""
cleanup() {
  if [ -n "$dev_pid" ]; then kill "$dev_pid" 2>/dev/null || true; fi
  bash tests/integration/broker.sh stop "$w/broker" >/dev/null 2>&1 || true
  rm -rf "$w"
}
trap cleanup EXIT

echo "== starting mosquitto (TLS on 127.0.0.1)"
bash tests/integration/broker.sh start "$w/broker" >/dev/null
# shellcheck disable=SC1091
. "$w/broker/broker.env"
tls=(--port "$IOT_TEST_PORT_TLS" --ca "$IOT_TEST_PKI/ca.crt")

echo "== signing 1.0.0 and 2.0.0"
openssl ecparam -name prime256v1 -genkey -noout -out "$w/key.pem" 2>/dev/null
openssl ec -in "$w/key.pem" -pubout -out "$w/pub.pem" 2>/dev/null
head -c 100000 /dev/urandom > "$w/app.bin"
for v in 1.0.0 2.0.0; do
  "$b/tools/iot-imgsign" sign --key "$w/key.pem" --version "$v" --header-size 0x400 --pad-header \
    "$w/app.bin" "$w/v$v.img" >/dev/null
done

echo "== device-1 runs 1.0.0 and waits for a job"
"$b/samples/ota/ota_device" --dir "$w/dev" "${tls[@]}" --id device-1 --pubkey "$w/pub.pem" \
  --factory-image "$w/v1.0.0.img" --block 16384 --once &
dev_pid=$!
sleep 1

echo "== serving 2.0.0"
"$b/tools/iot-ota-serve" "${tls[@]}" --image "$w/v2.0.0.img" --device device-1 --wait done
wait "$dev_pid"
dev_pid=""

echo "== device-1 started again"
"$b/samples/ota/ota_device" --dir "$w/dev" "${tls[@]}" --id device-1 --once | grep "RUNNING"
