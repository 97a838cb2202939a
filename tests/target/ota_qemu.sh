#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The board OTA sample (samples/ota/main_board.c) in QEMU, updated over MQTT
# by iot-ota-serve:
#
#   ota_qemu.sh QEMU MACHINE ELF IOT_OTA_SERVE IOT_IMGSIGN PYTHON3 PKIDIR KEY DEVICE_ID PAYLOAD MODE
#
# Starts a private mosquitto on 127.0.0.1 (tests/integration/broker.sh) with
# the test PKI whose TLS-PSK key the firmware has compiled in, signs a fresh
# 2.0.0 image (PAYLOAD random bytes) with KEY (iot-imgsign), boots the
# firmware in QEMU and serves it the image with iot-ota-serve on the
# broker's plain listener. QEMU's user-mode network is restricted to one
# forwarded address: the board reaches 10.0.2.100:8883, and each of its
# connections there is relayed (guestfwd_relay.py) to the broker's TLS-PSK
# port on 127.0.0.1, and nothing else.
#
# MODE update: passes only when the server reports the device succeeded,
# the firmware exits 0, booted 2.0.0 on trial and ran 2.0.0 at the end.
# MODE corrupted: one payload byte of the signed image is changed; passes
# only when the server reports the device failed with HASH_MISMATCH or
# BAD_SIGNATURE, the firmware exits 3 and still runs 1.0.0.
# Every process it starts is stopped by PID.
set -uo pipefail

if [ $# -ne 11 ]; then
  echo "usage: ota_qemu.sh QEMU MACHINE ELF IOT_OTA_SERVE IOT_IMGSIGN PYTHON3 PKIDIR KEY DEVICE_ID PAYLOAD MODE" >&2
  exit 2
fi
qemu=$1 machine=$2 elf=$3 serve=$4 imgsign=$5 python=$6 pki=$7 key=$8 device=$9 payload=${10} mode=${11}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
broker="$root/tests/integration/broker.sh"
relay="$here/guestfwd_relay.py"

state=$(mktemp -d "${TMPDIR:-/tmp}/iot-board-ota.XXXXXX") || exit 2
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
    echo "ota_qemu: FAILED; state kept in $state" >&2
    for f in qemu.txt serve.txt; do
      [ -f "$state/$f" ] && { echo "--- $f" >&2; tail -n 60 "$state/$f" >&2; }
    done
    [ -f "$state/mosquitto.log" ] && { echo "--- mosquitto.log" >&2; tail -n 30 "$state/mosquitto.log" >&2; }
  fi
  exit "$rc"
}
trap finish EXIT
trap 'rc=1; finish' INT TERM HUP

fail() { echo "ota_qemu: $*" >&2; rc=1; exit 1; }

case "$mode" in update|corrupted) ;; *) fail "unknown mode $mode" ;; esac
[ -f "$pki/psk.hex" ] || fail "no test PKI in $pki"
# QEMU starts the relay itself (no shell, no PATH lookup): the interpreter by its real path.
python=$("$python" -c 'import sys; print(sys.executable)') || fail "python3 does not run"
# The command is one -nic option value, split by QEMU at spaces and commas.
case "$python$relay" in *[[:space:],]*) fail "no spaces or commas allowed in $python and $relay" ;; esac

# The 2.0.0 image; in MODE corrupted one payload byte changes after signing.
head -c "$payload" /dev/urandom >"$state/app.bin"
"$imgsign" sign --key "$key" --version 2.0.0 --header-size 0x400 --pad-header \
  "$state/app.bin" "$state/v2.img" >/dev/null || fail "signing the image failed"
if [ "$mode" = corrupted ]; then
  at=$((0x400 + payload / 2))
  byte=$(od -An -tu1 -j "$at" -N1 "$state/v2.img" | tr -d ' ')
  printf "$(printf '\\%03o' $(( (byte ^ 1) & 255 )))" |
    dd of="$state/v2.img" bs=1 seek="$at" conv=notrunc status=none || fail "corrupting the image failed"
fi
echo "image: $(stat -c %s "$state/v2.img") bytes (2.0.0, payload $payload bytes, $mode)"

bash "$broker" start "$state" "$pki" >/dev/null || fail "broker did not start"
# shellcheck disable=SC1091
. "$state/broker.env"

# In the private folder: a semihost flash file (IOT_BOARD_STORAGE=semihost) starts erased.
(cd "$state" && exec "$qemu" -M "$machine" -nographic -semihosting-config enable=on,target=native -icount shift=5 \
  -nic "user,restrict=on,guestfwd=tcp:10.0.2.100:8883-cmd:$python $relay 127.0.0.1 $IOT_TEST_PORT_PSK" \
  -kernel "$elf" </dev/null >"$state/qemu.txt" 2>&1) &
qemu_pid=$!

"$serve" --host 127.0.0.1 --port "$IOT_TEST_PORT_PLAIN" --image "$state/v2.img" --device "$device" \
  --wait done --timeout 400 --quiet >"$state/serve.txt" 2>&1 &
serve_pid=$!
wait "$serve_pid"
serve_rc=$?
serve_pid=""

# The firmware exits once its final report is out; give it a minute.
for _ in $(seq 1 600); do
  kill -0 "$qemu_pid" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$qemu_pid" 2>/dev/null && fail "firmware still running after the server finished (server exit $serve_rc)"
wait "$qemu_pid"
qemu_rc=$?
qemu_pid=""

result=$(grep "^RESULT device=$device " "$state/serve.txt")
[ -n "$result" ] || fail "no RESULT line from the server"
if [ "$mode" = update ]; then
  [ "$serve_rc" -eq 0 ] || fail "server exit status $serve_rc, expected 0"
  [[ $result == *" state=succeeded "* ]] || fail "server: $result"
  [ "$qemu_rc" -eq 0 ] || fail "firmware exit status $qemu_rc, expected 0"
  grep -q "^ota: BOOT normal; RUNNING 1\.0\.0" "$state/qemu.txt" || fail "did not start on 1.0.0"
  grep -q "^ota: BOOT trial; RUNNING 2\.0\.0" "$state/qemu.txt" || fail "no trial boot of 2.0.0"
  grep -q "^ota: self-test: connected to the broker" "$state/qemu.txt" || fail "no self-test"
  grep -q "^ota: END; RUNNING 2\.0\.0.* (last failure NONE)" "$state/qemu.txt" || fail "not running 2.0.0 at the end"
else
  [ "$serve_rc" -eq 1 ] || fail "server exit status $serve_rc, expected 1 (the device failed)"
  [[ $result =~ \ state=failed\ reason=(HASH_MISMATCH|BAD_SIGNATURE)\  ]] || fail "server: $result"
  [ "$qemu_rc" -eq 3 ] || fail "firmware exit status $qemu_rc, expected 3 (job failed)"
  grep -q "^ota: END; RUNNING 1\.0\.0" "$state/qemu.txt" || fail "not running 1.0.0 at the end"
  if grep -q "^ota: BOOT trial" "$state/qemu.txt"; then fail "the corrupted image was booted"; fi
fi
cat "$state/qemu.txt"
echo "$result"
rc=0
