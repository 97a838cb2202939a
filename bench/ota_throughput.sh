#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# OTA throughput: a 1 MiB signed image delivered over the local mosquitto to
# one ota_device (the OTA agent: block requests, durable writes, transfer
# hash, signature check), against mosquitto_pub moving the same bytes to a
# mosquitto_sub through the same broker, in the same run.
#
#   bench/ota_throughput.sh [BUILD_DIR] [RUNS] [BLOCK_SIZES...]
#
# BUILD_DIR defaults to build/posix-release (needs ota_device, iot-ota-serve,
# iot-imgsign); RUNS defaults to 5; block sizes default to "3072 16384 65536 131072"
# (3072 fits the default 4 KiB receive buffer). Each row is the median of RUNS.
#   ota download   job published -> the device has every byte durably written
#   ota +verify    ... and the transfer SHA-256, iot_ota_finalize() (hash +
#                  ECDSA-P256) passed: the device reports "activating"
#   mosquitto_pub  one message of the image's bytes, publish start -> the
#                  subscriber has it (both clients' start-up included)
# ratio = mosquitto_pub seconds / OTA seconds (1.0: as fast as mosquitto_pub).
# The device uses its default checkpoint (256 KiB: blocks are made durable
# every 256 KiB and at the end); OTA_CHECKPOINT=BYTES sets another (1: every
# block durable before the next is taken, as before checkpoints existed);
# OTA_WINDOW=N sets the request window (default 8).
# Storage: "disk" keeps the device's slots in the work directory (bytes count
# for the resume point only once fsynced, at checkpoints); "tmpfs" keeps them
# in /dev/shm, which shows what the protocol moves when writes cost nothing.
# Plain TCP and TLS (server certificate) listeners, both on 127.0.0.1; the
# certificate names "localhost", so mosquitto_pub/sub skip only the host name
# check (--insecure), as the SDK device is told the name (server_name).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${1:-build/posix-release}
runs=${2:-5}
shift $(( $# > 2 ? 2 : $# ))
blocks=("$@")
[ ${#blocks[@]} -gt 0 ] || blocks=(3072 16384 65536 131072)

dev=$build/samples/ota/ota_device
serve=$build/tools/iot-ota-serve
sign=$build/tools/iot-imgsign
for b in "$dev" "$serve" "$sign"; do
  [ -x "$b" ] || { echo "missing $b: build first (cmake --build $build)" >&2; exit 2; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/ota-bench.XXXXXX")
state=$work/broker
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  bash "$root/tests/integration/broker.sh" stop "$state" 2>/dev/null || true
  rm -rf "$work"
  if [ -n "${shm:-}" ]; then rm -rf "$shm"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bash tests/integration/broker.sh start "$state" > /dev/null
# shellcheck source=/dev/null
. "$state/broker.env"
pki=$IOT_TEST_PKI

openssl ecparam -name prime256v1 -genkey -noout -out "$work/key.pem" 2>/dev/null
openssl ec -in "$work/key.pem" -pubout -out "$work/pub.pem" 2>/dev/null
head -c 4096 /dev/urandom > "$work/app1.bin"
# 1 MiB image: payload + 0x400 header + TLVs = 1048576 bytes give or take the signature's length.
head -c $((1048576 - 1024 - 151)) /dev/urandom > "$work/app2.bin"
"$sign" sign --key "$work/key.pem" --version 1.0.0 --header-size 0x400 --pad-header "$work/app1.bin" "$work/v1.img" >/dev/null
"$sign" sign --key "$work/key.pem" --version 2.0.0 --header-size 0x400 --pad-header "$work/app2.bin" "$work/v2.img" >/dev/null
size=$(stat -c %s "$work/v2.img")

now_s() { echo "${EPOCHREALTIME/,/.}"; }
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

shm=""
if [ -d /dev/shm ] && [ -w /dev/shm ]; then shm=$(mktemp -d /dev/shm/ota-bench.XXXXXX); fi

# ota_once MODE BLOCK RUN STORAGE: prints "download_s verify_s" for one fresh device.
ota_once() {
  local mode=$1 blk=$2 run=$3 storage=$4
  local d="$work/dev-$mode-$blk-$run-$storage" id="bench-$mode-$blk-$run-$storage" port tlsdev=() tlssrv=()
  local dir="$d"
  if [ "$storage" = tmpfs ]; then dir="$shm/${d##*/}"; fi
  if [ "$mode" = tls ]; then
    port=$IOT_TEST_PORT_TLS; tlsdev=(--ca "$pki/ca.crt"); tlssrv=(--ca "$pki/ca.crt")
  else
    port=$IOT_TEST_PORT_PLAIN
  fi
  "$dev" --dir "$dir" --port "$port" "${tlsdev[@]}" --id "$id" --pubkey "$work/pub.pem" \
    --factory-image "$work/v1.img" --block "$blk" --window "${OTA_WINDOW:-8}" \
    ${OTA_CHECKPOINT:+--checkpoint "$OTA_CHECKPOINT"} > "$d.log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  local i
  for ((i = 0; i < 500; i++)); do grep -q "READY device" "$d.log" 2>/dev/null && break; sleep 0.01; done
  "$serve" --port "$port" "${tlssrv[@]}" --image "$work/v2.img" --device "$id" --wait downloaded \
    --timeout 120 --quiet > "$d.serve" 2>&1 ||
    { echo "OTA run failed: $(cat "$d.serve")" >&2; cat "$d.log" >&2; kill -TERM "$pid"; wait "$pid"; exit 1; }
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [ "$storage" = tmpfs ]; then rm -rf "$dir"; fi
  sed -n 's/.* seconds=\([0-9.]*\) .* total_seconds=\([0-9.]*\)$/\1 \2/p' "$d.serve"
}

# pub_once MODE: seconds for mosquitto_pub -> broker -> mosquitto_sub of the same bytes.
pub_once() {
  local mode=$1 port tls=() topic t0 t1
  topic="bench/pub/$RANDOM$RANDOM"
  if [ "$mode" = tls ]; then
    port=$IOT_TEST_PORT_TLS; tls=(--cafile "$pki/ca.crt" --insecure)
  else
    port=$IOT_TEST_PORT_PLAIN
  fi
  mosquitto_sub -h 127.0.0.1 -p "$port" "${tls[@]}" -t "$topic" -C 1 -q 1 > "$work/sub.out" 2>/dev/null &
  local spid=$!
  pids+=("$spid")
  # The subscription is in place when the broker logs it.
  local i
  for ((i = 0; i < 500; i++)); do grep -q "$topic" "$state/mosquitto.log" 2>/dev/null && break; sleep 0.01; done
  t0=$(now_s)
  mosquitto_pub -h 127.0.0.1 -p "$port" "${tls[@]}" -t "$topic" -q 1 -f "$work/v2.img"
  wait "$spid"
  t1=$(now_s)
  [ "$(stat -c %s "$work/sub.out")" -ge "$size" ] || { echo "mosquitto_sub got $(stat -c %s "$work/sub.out") bytes" >&2; exit 1; }
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }'
}

echo "OTA throughput: image $size bytes, $runs runs per row (median), broker mosquitto $(mosquitto -h 2>/dev/null | sed -n 's/^mosquitto version \([0-9.]*\).*/\1/p') on 127.0.0.1"
printf "%-6s %-7s %-6s %11s %9s %11s %9s %12s %12s %12s\n" link block store "download s" "MB/s" "+verify s" "MB/s" "pub s" "ratio dl" "ratio +vfy"
storages=(disk)
if [ -n "$shm" ]; then storages+=(tmpfs); fi
for mode in plain tls; do
  : > "$work/pub.$mode"
  for ((r = 1; r <= runs; r++)); do pub_once "$mode" >> "$work/pub.$mode"; done
  pub=$(median < "$work/pub.$mode")
  for blk in "${blocks[@]}"; do
    for sto in "${storages[@]}"; do
      : > "$work/dl"; : > "$work/vf"
      for ((r = 1; r <= runs; r++)); do
        read -r dl vf < <(ota_once "$mode" "$blk" "$r" "$sto")
        echo "$dl" >> "$work/dl"; echo "$vf" >> "$work/vf"
      done
      dl=$(median < "$work/dl"); vf=$(median < "$work/vf")
      awk -v m="$mode" -v b="$blk" -v st="$sto" -v dl="$dl" -v vf="$vf" -v p="$pub" -v s="$size" 'BEGIN {
        printf "%-6s %-7s %-6s %11.3f %9.2f %11.3f %9.2f %12.3f %11.2fx %11.2fx\n",
               m, b, st, dl, s / 1e6 / dl, vf, s / 1e6 / vf, p, p / dl, p / vf }'
    done
  done
done
