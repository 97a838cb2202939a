#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Key store benchmarks, each side by side in one run:
#
#   bench/run_key_bench.sh [--ops N] [--count N]
#
# 1. Builds the SDK (posix-release preset) and bench/key_bench.c (cc -O2,
#    into a temporary directory).
# 2. Sign operations per second: iot_key_sign_hash() against a direct
#    psa_sign_hash() on the same private key (EC P-256, then P-384): N
#    signatures per side, interleaved one by one and each timed alone; the
#    rates from the median time per signature, and their ratio.
# 3. Starts a broker (tests/integration/broker.sh) and times N full TLS 1.2
#    mutual-auth handshakes against its MTLS listener with the client key in
#    the key store, and N with the same key as a PEM file loaded into Mbed TLS,
#    alternating; medians and their ratio. Stops the broker by its PID.
#
# Prints the result lines and a markdown table on stdout.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
ops=3000
count=41
while [ $# -gt 0 ]; do
  case $1 in
    --ops) ops=$2; shift 2 ;;
    --count) count=$2; shift 2 ;;
    *) echo "usage: $0 [--ops N] [--count N]" >&2; exit 2 ;;
  esac
done

work=$(mktemp -d "${TMPDIR:-/tmp}/iot-key-bench.XXXXXX")
state=$work/broker
mkdir -p "$state"
broker_started=0
cleanup() {
  local rc=$?
  if [ "$broker_started" = 1 ]; then
    bash "$root/tests/integration/broker.sh" stop "$state" > /dev/null 2>&1 || rc=1
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "run_key_bench: building" >&2
( cd "$root" && cmake --preset posix-release && cmake --build --preset posix-release ) \
  > "$work/build.log" 2>&1 || { tail -n 40 "$work/build.log" >&2; exit 1; }
lib="$root/build/posix-release/src/libcorstone_iot.a"
cc -O2 -g -std=c11 -Wall -Wextra -I"$root/include" -I"$root/build/posix-release/include" \
  -I"$root/src/net" -I"$root/src/common" -I"$root/src" \
  "$here/key_bench.c" "$lib" -lmbedtls -lmbedx509 -lmbedcrypto -lpthread -o "$work/key_bench"

echo "run_key_bench: starting the broker" >&2
broker_started=1
bash "$root/tests/integration/broker.sh" start "$state" > "$work/broker.log" 2>&1 ||
  { cat "$work/broker.log" >&2; exit 1; }
set -a
# shellcheck source=/dev/null
. "$state/broker.env"
set +a
pki=$IOT_TEST_PKI

# A P-384 key next to the PKI's P-256 client key.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$work/p384.key" 2>/dev/null

echo "run_key_bench: signing" >&2
mkdir -m 700 "$work/store"
sign256=$("$work/key_bench" sign --store "$work/store" --key "$pki/client.key" --ops "$ops")
sign384=$("$work/key_bench" sign --store "$work/store" --key "$work/p384.key" --ops "$((ops / 2))")
echo "run_key_bench: handshakes" >&2
hs=$("$work/key_bench" handshake --store "$work/store" --pki "$pki" --port "$IOT_TEST_PORT_MTLS" --count "$count")

echo "$sign256"
echo "$sign384"
echo "$hs"
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<< "$1"; }
echo
echo "| Measurement | SDK (key store) | direct | SDK / direct |"
echo "|---|---:|---:|---:|"
for s in "$sign256" "$sign384"; do
  echo "| $(field "$s" curve) sign, ops/s (1 / median of $(field "$s" ops) timed signatures) | $(field "$s" sdk_ops_s) | $(field "$s" psa_ops_s) (psa_sign_hash) | $(field "$s" ratio_sdk_over_psa) |"
done
echo "| mutual-TLS handshake, ms (median of $count) | $(field "$hs" store_median_ms) | $(field "$hs" pem_median_ms) (PEM key in Mbed TLS) | $(field "$hs" ratio_store_over_pem) |"
