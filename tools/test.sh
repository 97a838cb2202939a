#!/usr/bin/env bash
# Runs every test: installs what is missing, then
#   1. posix-release (gcc): unit, integration, header, install/consumer, docs, ABI tests
#   2. posix-debug-asan (clang): the same suite under AddressSanitizer + UBSan
#   3. corstone300 / corstone310: the core, blinky and the portable unit tests
#      cross-built for each board; on corstone300 they run in QEMU (mps3-an547),
#      with the telemetry firmware talking TLS to a private mosquitto
#      (board.telemetry_qemu, board.telemetry_qemu_mtls) and the OTA sample
#      updated over MQTT by iot-ota-serve (board.ota_qemu)
# Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/deps.sh

jobs=$(nproc 2>/dev/null || echo 2)
run_preset() {
  local preset=$1
  echo "=== $preset"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
}

run_preset posix-release
ctest --preset posix-release -j "$jobs"
run_preset posix-debug-asan
ctest --preset posix-debug-asan -j "$jobs"
bash tools/fetch-board-deps.sh
for board in corstone300 corstone310; do
  run_preset "$board"
done
ctest --preset corstone300 -j "$jobs"
echo "=== all tests passed"
