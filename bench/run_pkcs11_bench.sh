#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# ECDSA P-256 signatures per second through the PKCS#11 module against
# psa_sign_hash called directly, same process, runs interleaved
# (bench/pkcs11_sign.c says what is measured).
#   bench/run_pkcs11_bench.sh [signatures per run] [runs]
# Builds the SDK with the posix-release preset, the program with cc -O2 into
# a temporary directory, and uses a fresh temporary key store.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-500}
runs=${2:-15}
cmake --preset posix-release >/dev/null
cmake --build --preset posix-release -j 2 --target corstone_iot_pkcs11 >/dev/null
tmp=$(mktemp -d "${TMPDIR:-/tmp}/iot-p11-bench-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cc -O2 -o "$tmp/pkcs11_sign" bench/pkcs11_sign.c $(pkg-config --cflags p11-kit-1) -lmbedcrypto -ldl
"$tmp/pkcs11_sign" "$PWD/build/posix-release/src/pkcs11/libcorstone_iot_pkcs11.so" "$tmp/store" "$n" "$runs"
