#!/usr/bin/env bash
# OTA module footprint: Cortex-M code size and RAM, and RAM versus image size.
#   bench/ota_ram_size.sh [--check] [--cortex-m-only] [BUILD_DIR]
#     BUILD_DIR: a posix build (default build/posix-release, built first).
#     --check: exit 1 when the Cortex-M numbers miss the targets (flash
#     <= 6 KiB; RAM <= 8 KiB + one block buffer). --cortex-m-only: skip 2.
#
# 1. Cortex-M55 (Corstone-300), arm-none-eabi-gcc -Os: text, data and bss of
#    the OTA module (src/ota/ota.c, the state machine, and src/ota/ota_image.c,
#    the MCUboot verifier) and its worst-case stack: the deepest call chain
#    inside the module (-fcallgraph-info), frames from -fstack-usage. Calls
#    that leave the module (PSA Crypto, key store, port) are listed with the
#    chain; their stack depends on the platform's crypto and is not included.
#    PSA headers come from the host's Mbed TLS (the module only needs the
#    declarations to compile).
# 2. Host (x86-64): iot_ota_begin / write / finalize of signed 64 KiB, 1 MiB
#    and 16 MiB images on a painted thread stack; the peak stack of the whole
#    sequence (OTA + PSA + key store + port) for each size.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
check=0
cm_only=0
while [ $# -gt 0 ]; do
  case $1 in
    --check) check=1; shift ;;
    --cortex-m-only) cm_only=1; shift ;;
    *) break ;;
  esac
done
build=${1:-build/posix-release}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# ---- 1. Cortex-M55 ------------------------------------------------------------
mkdir -p "$work/inc/corstone_iot" "$work/psa"
ln -s /usr/include/psa "$work/psa/psa"
ln -s /usr/include/mbedtls "$work/psa/mbedtls"
version=$(sed -n 's/^project(corstone_iot VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
IFS=. read -r major minor patch <<< "$version"
sed -e "s/@PROJECT_VERSION_MAJOR@/$major/" -e "s/@PROJECT_VERSION_MINOR@/$minor/" \
    -e "s/@PROJECT_VERSION_PATCH@/$patch/" -e "s/@PROJECT_VERSION@/$version/" \
    include/corstone_iot/version.h.in > "$work/inc/corstone_iot/version.h"
m55=(-mcpu=cortex-m55 -mthumb -mfloat-abi=hard -fno-branch-count-reg -fno-short-enums)
for f in ota ota_image; do
  arm-none-eabi-gcc -std=c11 -Os "${m55[@]}" -ffunction-sections -fdata-sections \
    -fstack-usage -fcallgraph-info=su -Wall -Wextra -Werror \
    -Iinclude -I"$work/inc" -Isrc -Isrc/common -idirafter "$work/psa" \
    -c "src/ota/$f.c" -o "$work/$f.o"
done
block=$(sed -n 's/^#define IOT_CONFIG_OTA_BLOCK_SIZE \([0-9]*\)$/\1/p' include/corstone_iot/config.h)

echo "== OTA module, Cortex-M55 (arm-none-eabi-gcc $(arm-none-eabi-gcc -dumpversion), -Os)"
echo
printf '%-34s %8s %8s %8s %12s\n' object text data bss "text+data"
arm-none-eabi-size "$work/ota.o" "$work/ota_image.o" | awk -v w="$work/" 'NR > 1 {
  name = $6; sub(w, "", name)
  printf "%-34s %8d %8d %8d %12d\n", name, $1, $2, $3, $1 + $2
  t += $1; d += $2; b += $3 }
  END { printf "%-34s %8d %8d %8d %12d\n", "OTA module (with verifier)", t, d, b, t + d
        print t + d > "'"$work"'/flash"; print d + b > "'"$work"'/static" }'
echo
python3 - "$work" <<'PY'
import re, sys, os
work = sys.argv[1]
frames, edges, names = {}, {}, set()
for ci in ("ota.ci", "ota_image.ci"):
    text = open(os.path.join(work, ci)).read()
    for m in re.finditer(r'node: \{ title: "([^"]+)" label: "([^"]*)"', text):
        title, label = m.group(1), m.group(2)
        s = re.search(r'(\d+) bytes \((static|dynamic[^)]*)\)', label)
        if s:
            frames[title] = int(s.group(1))
            names.add(title)
    for m in re.finditer(r'edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"', text):
        edges.setdefault(m.group(1), set()).add(m.group(2))
memo = {}
def deepest(f, seen=()):
    if f not in frames:
        return 0, [f + " (outside the module)"]
    if f in seen:
        return 0, [f + " (recursion)"]
    best, path = 0, []
    for g in sorted(edges.get(f, ())):
        d, p = deepest(g, seen + (f,))
        if d > best or not path:
            best, path = d, p
    return frames[f] + best, [f"{f} ({frames[f]})"] + path
entries = sorted(n for n in names if n.startswith("iot_ota_") or n.startswith("ota_image_verify"))
worst = max((deepest(n) for n in entries), key=lambda r: r[0])
print(f"worst-case stack inside the module: {worst[0]} bytes")
print("  chain: " + " -> ".join(worst[1]))
open(os.path.join(work, "stack"), "w").write(str(worst[0]))
PY
flash=$(cat "$work/flash"); static=$(cat "$work/static"); stack=$(cat "$work/stack")
echo "static RAM (data+bss): $static bytes, of which the block buffer IOT_CONFIG_OTA_BLOCK_SIZE = $block"
echo "RAM = static + stack = $((static + stack)) bytes = $((static + stack - block)) + one block buffer ($block)"
echo "flash (text+data): $flash bytes ($(awk -v f="$flash" 'BEGIN { printf "%.2f", f / 1024 }') KiB)"
echo
if [ "$check" -eq 1 ]; then
  ok=1
  [ "$flash" -le 6144 ] || { echo "FAIL: OTA flash $flash > 6144 bytes"; ok=0; }
  [ $((static + stack - block)) -le 8192 ] || { echo "FAIL: OTA RAM $((static + stack - block)) + block > 8 KiB + block"; ok=0; }
  [ "$ok" -eq 1 ] || exit 1
  echo "targets met: flash <= 6 KiB, RAM <= 8 KiB + one block buffer"
fi
[ "$cm_only" -eq 1 ] && exit 0

# ---- 2. Host: RAM versus image size ------------------------------------------------
if [ "$build" = build/posix-release ]; then
  cmake --preset posix-release > /dev/null
  cmake --build --preset posix-release -j 2 --target corstone_iot_static iot-imgsign > /dev/null
fi
lib="$build/src/libcorstone_iot.a"
sign="$build/tools/iot-imgsign"
cc -std=c11 -O2 -g -Wall -Wextra -Werror -Iinclude -I"$build/include" bench/ota_ram.c "$lib" \
  -lmbedtls -lmbedx509 -lmbedcrypto -lpthread -o "$work/ota_ram"
imgs=()
for spec in 64K:65536 1M:1048576 16M:16777216; do
  name=${spec%%:*}; bytes=${spec#*:}
  # Payload sized so that the signed image is close to the nominal size.
  head -c $((bytes - 0x400 - 128)) /dev/urandom > "$work/payload-$name"
  "$sign" sign --key tests/ota/test-key-p256.pem --version 2.0.0 --header-size 0x400 \
    --pad-header --security-counter 1 "$work/payload-$name" "$work/$name.img"
  rm -f "$work/payload-$name"
  imgs+=("$work/$name.img")
done
mkdir -m 700 "$work/fw" "$work/store"
echo "== host (x86-64): begin + write + finalize, peak stack of the whole sequence"
echo
host_static=$(size "$build/src/CMakeFiles/iot_core.dir/ota/ota.c.o" \
  "$build/src/CMakeFiles/iot_core.dir/ota/ota_image.c.o" | awk 'NR > 1 { s += $2 + $3 } END { print s }')
echo "OTA module static RAM on the host (data+bss): $host_static bytes for every image"
"$work/ota_ram" "$work/fw" "$work/store" tests/ota/test-key-p256.pub.pem "${imgs[@]}"
