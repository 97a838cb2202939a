#!/usr/bin/env bash
# Compiles the portable PKCS#11 module (src/pkcs11) for Cortex-M55 with
# arm-none-eabi-gcc -Os, as board firmware would, and prints its size.
# The key store is not built for the boards yet, so this checks the
# module's own objects only (PSA and Mbed TLS declarations come from the
# host's Mbed TLS 2.28 headers, which are target-independent).
# Usage: tools/pkcs11-board-size.sh [build dir with include/corstone_iot/version.h]
set -euo pipefail
cd "$(dirname "$0")/.."
gen=${1:-build/posix-release}
out=$(mktemp -d "${TMPDIR:-/tmp}/iot-p11-m55-XXXXXX")
trap 'rm -rf "$out"' EXIT
[ -f "$gen/include/corstone_iot/version.h" ] || { echo "no $gen/include/corstone_iot/version.h: configure a posix build first"; exit 1; }
for f in src/pkcs11/*.c; do
  arm-none-eabi-gcc -mcpu=cortex-m55 -mthumb -mfloat-abi=hard -fno-short-enums -Os -std=c11 \
    -Wall -Wextra -Werror -ffunction-sections -fdata-sections -DIOT_BUILDING_LIBRARY=1 \
    -I include -I "$gen/include" -I src -I src/common -I src/pkcs11 \
    -isystem "$(pkg-config --variable=includedir p11-kit-1 2>/dev/null || echo /usr/include)/p11-kit-1" \
    -idirafter /usr/include -c "$f" -o "$out/$(basename "$f" .c).o"
done
arm-none-eabi-size -t "$out"/*.o | sed "s|$out/||"
