#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The board OTA sample over the semihost flash file, with real reboots:
#
#   ota_qemu_reboot.sh QEMU MACHINE ELF IOT_OTA_SERVE IOT_IMGSIGN PYTHON3 PKIDIR KEY DEVICE_ID PAYLOAD MODE
#
# ELF is an image with IOT_BOARD_STORAGE=semihost storage (keys, firmware
# images and update state in the file iot-board-flash.bin in QEMU's working
# directory, a private folder here). Like ota_qemu.sh it starts a private
# mosquitto on 127.0.0.1, signs a fresh 2.0.0 image (PAYLOAD random bytes)
# and serves it with iot-ota-serve; QEMU reaches only the broker.
#
# MODE reboot:
#   run 1  blank flash file: factory programming of 1.0.0, the key imported,
#          download, verify, activate; the reboot request ends the run with
#          exit status 4.
#   run 2  same file: programmed already, the key found in the key store,
#          the boot step puts 2.0.0 on trial, self-test, confirm, success
#          reported (exit 0; the server reports state=succeeded).
#   run 3  same file: 2.0.0 still active (normal boot), the key still
#          there, the job known as finished (exit 0).
# MODE power_cut:
#   run 1  killed (SIGKILL, by PID) once it has printed a download progress
#          mark (at least 16 KiB written).
#   run 2  same file: the download resumes from the stored resume point (not
#          0, and not before the last mark run 1 printed), completes,
#          verifies, activates; reboot request (exit 4).
#   run 3  same file: 2.0.0 on trial, confirmed, success reported (exit 0).
# Prints the time of each run. Every process it starts is stopped by PID.
set -uo pipefail

if [ $# -ne 11 ]; then
  echo "usage: ota_qemu_reboot.sh QEMU MACHINE ELF IOT_OTA_SERVE IOT_IMGSIGN PYTHON3 PKIDIR KEY DEVICE_ID PAYLOAD MODE" >&2
  exit 2
fi
qemu=$1 machine=$2 elf=$3 serve=$4 imgsign=$5 python=$6 pki=$7 key=$8 device=$9 payload=${10} mode=${11}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
broker="$root/tests/integration/broker.sh"
relay="$here/guestfwd_relay.py"
REBOOT_EXIT=4 # IOT_BOARD_EXIT_REBOOT (ports/common/storage/iot_flash.h)

state=$(mktemp -d "${TMPDIR:-/tmp}/iot-board-ota-reboot.XXXXXX") || exit 2
qemu_pid="" serve_pid="" rc=1

finish() {
  trap - EXIT INT TERM HUP
  for pid in $serve_pid $qemu_pid; do
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  bash "$broker" stop "$state" >/dev/null 2>&1 || true
  if [ "$rc" -eq 0 ]; then
    rm -rf "$state"
  else
    echo "ota_qemu_reboot: FAILED; state kept in $state" >&2
    for f in qemu1.txt qemu2.txt qemu3.txt serve.txt; do
      [ -f "$state/$f" ] && { echo "--- $f" >&2; tail -n 40 "$state/$f" >&2; }
    done
    [ -f "$state/mosquitto.log" ] && { echo "--- mosquitto.log" >&2; tail -n 20 "$state/mosquitto.log" >&2; }
  fi
  exit "$rc"
}
trap finish EXIT
trap 'rc=1; finish' INT TERM HUP

fail() { echo "ota_qemu_reboot: $*" >&2; rc=1; exit 1; }
now_ms() { date +%s%3N; }

case "$mode" in reboot|power_cut) ;; *) fail "unknown mode $mode" ;; esac
[ -f "$pki/psk.hex" ] || fail "no test PKI in $pki"
python=$("$python" -c 'import sys; print(sys.executable)') || fail "python3 does not run"
case "$python$relay" in *[[:space:],]*) fail "no spaces or commas allowed in $python and $relay" ;; esac

head -c "$payload" /dev/urandom >"$state/app.bin"
"$imgsign" sign --key "$key" --version 2.0.0 --header-size 0x400 --pad-header \
  "$state/app.bin" "$state/v2.img" >/dev/null || fail "signing the image failed"
size=$(stat -c %s "$state/v2.img")
echo "image: $size bytes (2.0.0, payload $payload bytes), mode $mode"

bash "$broker" start "$state" "$pki" >/dev/null || fail "broker did not start"
# shellcheck disable=SC1091
. "$state/broker.env"

mkdir -p "$state/board" # QEMU's working directory: the flash file lands here
flash="$state/board/iot-board-flash.bin"

# start_qemu N: boot the firmware on the flash file, console to qemuN.txt.
start_qemu() {
  (cd "$state/board" && exec "$qemu" -M "$machine" -nographic \
    -semihosting-config enable=on,target=native -icount shift=5 \
    -nic "user,restrict=on,guestfwd=tcp:10.0.2.100:8883-cmd:$python $relay 127.0.0.1 $IOT_TEST_PORT_PSK" \
    -kernel "$elf" </dev/null >"$state/qemu$1.txt" 2>&1) &
  qemu_pid=$!
  t_start=$(now_ms)
}

# wait_qemu N SECONDS: the run's exit status in qemu_rc, its time in run_ms.
wait_qemu() {
  local i
  for i in $(seq 1 $(($2 * 10))); do
    kill -0 "$qemu_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$qemu_pid" 2>/dev/null && fail "run $1: firmware still running after $2 s"
  wait "$qemu_pid"
  qemu_rc=$?
  qemu_pid=""
  run_ms=$(($(now_ms) - t_start))
  echo "run $1: exit status $qemu_rc after $run_ms ms"
}

expect() { # expect N REGEX WHAT
  grep -Eq "$2" "$state/qemu$1.txt" || fail "run $1: $3"
}

"$serve" --host 127.0.0.1 --port "$IOT_TEST_PORT_PLAIN" --image "$state/v2.img" --device "$device" \
  --wait done --timeout 400 --quiet >"$state/serve.txt" 2>&1 &
serve_pid=$!

t_all=$(now_ms)
if [ "$mode" = reboot ]; then
  [ -e "$flash" ] && fail "the flash file exists before the first run"
  start_qemu 1
  wait_qemu 1 300
  [ "$qemu_rc" -eq "$REBOOT_EXIT" ] || fail "run 1: exit status $qemu_rc, expected $REBOOT_EXIT (reboot requested)"
  expect 1 "^ota: storage: semihost flash file" "not on the semihost storage"
  expect 1 "^ota: FACTORY programming 1\.0\.0" "no factory programming on a blank flash file"
  expect 1 "^ota: KEY ota-verify imported" "the verification key was not imported"
  expect 1 "^ota: BOOT normal; RUNNING 1\.0\.0" "did not start on 1.0.0"
  expect 1 "^ota: REBOOT" "no reboot request"
  if grep -q "^ota: BOOT trial" "$state/qemu1.txt"; then fail "run 1: test-booted without a reboot"; fi
  grep "^ota: FLASH " "$state/qemu1.txt" || true
  [ -s "$flash" ] || fail "no flash file after run 1"
  echo "flash file: $(stat -c %s "$flash") bytes"
  run=2
else
  start_qemu 1
  mark=""
  for _ in $(seq 1 3000); do
    mark=$(sed -n 's/^ota: PROGRESS \([0-9]*\)\/.*/\1/p' "$state/qemu1.txt" | tail -n 1)
    [ -n "$mark" ] && break
    kill -0 "$qemu_pid" 2>/dev/null || break
    sleep 0.02
  done
  [ -n "$mark" ] || fail "run 1: no download progress"
  kill -KILL "$qemu_pid" 2>/dev/null
  wait "$qemu_pid" 2>/dev/null
  qemu_pid=""
  # The last mark printed before the kill landed (the kill may land later).
  mark=$(sed -n 's/^ota: PROGRESS \([0-9]*\)\/.*/\1/p' "$state/qemu1.txt" | tail -n 1)
  echo "run 1: killed (SIGKILL) after $(($(now_ms) - t_start)) ms, last progress mark $mark of $size bytes"
  if grep -Eq "^ota: (PHASE verifying|REBOOT)" "$state/qemu1.txt"; then
    fail "run 1: the download had finished before the kill (use a larger payload)"
  fi
  start_qemu 2
  wait_qemu 2 300
  [ "$qemu_rc" -eq "$REBOOT_EXIT" ] || fail "run 2: exit status $qemu_rc, expected $REBOOT_EXIT (reboot requested)"
  expect 2 "^ota: FACTORY already programmed \(active 1\.0\.0\)" "the factory image was programmed again"
  expect 2 "^ota: KEY ota-verify found in the key store" "the key did not survive the power cut"
  resumed=$(sed -n 's/^ota: PHASE downloading \([0-9]*\)\/.*/\1/p' "$state/qemu2.txt" | head -n 1)
  [ -n "$resumed" ] || fail "run 2: the download did not start again"
  echo "run 2: download resumed at $resumed of $size bytes"
  [ "$resumed" -gt 0 ] || fail "run 2: the download started again from 0"
  [ "$resumed" -ge "$mark" ] || fail "run 2: resumed at $resumed, before the durable mark $mark"
  [ "$resumed" -lt "$size" ] || fail "run 2: resumed at $resumed, not inside the image"
  expect 2 "^ota: REBOOT" "no reboot request"
  grep "^ota: FLASH " "$state/qemu2.txt" || true
  run=3
fi

# The trial boot, the self-test, the confirmation.
start_qemu $run
wait_qemu $run 300
[ "$qemu_rc" -eq 0 ] || fail "run $run: exit status $qemu_rc, expected 0"
expect $run "^ota: FACTORY already programmed \(active 1\.0\.0\)" "the factory image was programmed again"
expect $run "^ota: KEY ota-verify found in the key store" "the key did not survive the reboot"
expect $run "^ota: BOOT trial; RUNNING 2\.0\.0" "no trial boot of 2.0.0 after the reboot"
expect $run "^ota: self-test: connected to the broker" "no self-test"
expect $run "^ota: END; RUNNING 2\.0\.0.* \(last failure NONE\)" "not running 2.0.0 at the end"
echo "reboot sequence: $(($(now_ms) - t_all)) ms from the first boot to the confirmed update"

wait "$serve_pid"
serve_rc=$?
serve_pid=""
result=$(grep "^RESULT device=$device " "$state/serve.txt")
[ -n "$result" ] || fail "no RESULT line from the server"
[ "$serve_rc" -eq 0 ] || fail "server exit status $serve_rc, expected 0"
[[ $result == *" state=succeeded "* ]] || fail "server: $result"
echo "$result"

if [ "$mode" = reboot ]; then
  # Run 3: the confirmed 2.0.0 is still active, the key still stored.
  start_qemu 3
  wait_qemu 3 120
  [ "$qemu_rc" -eq 0 ] || fail "run 3: exit status $qemu_rc, expected 0"
  expect 3 "^ota: FACTORY already programmed \(active 2\.0\.0\)" "2.0.0 is not the active image"
  expect 3 "^ota: KEY ota-verify found in the key store" "the key is gone"
  expect 3 "^ota: BOOT normal; RUNNING 2\.0\.0" "did not boot 2.0.0 normally"
  expect 3 "^ota: DONE job [0-9]* succeeded" "the finished job was not remembered"
fi
for f in "$state"/qemu*.txt; do echo "--- $(basename "$f")"; cat "$f"; done
rc=0
