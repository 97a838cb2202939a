#!/usr/bin/env bash
# Footprint of the board builds: text/data/bss per module (object code as
# compiled, before the link drops unused sections) and per firmware image
# (after the link), for corstone300 and corstone310.
# Usage: tools/size_boards.sh [--no-build]
#   Builds the two presets first unless --no-build is given.
set -euo pipefail
cd "$(dirname "$0")/.."
size=arm-none-eabi-size
build=1
[ "${1:-}" = "--no-build" ] && build=0
boards=(corstone300 corstone310)

if [ "$build" -eq 1 ]; then
  for b in "${boards[@]}"; do
    cmake --preset "$b" >/dev/null
    cmake --build --preset "$b" -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
  done
fi

# Sum text/data/bss over a set of object files.
sum_objects() {
  if [ $# -eq 0 ]; then
    echo "0 0 0"
    return
  fi
  $size -t "$@" | awk 'END { print $1, $2, $3 }'
}

# Section sizes of an image: text (code, read-only data, vectors), data,
# bss, heap and stack regions.
image_sizes() {
  $size -A "$1" | awk '
    $1 == ".heap"  { heap += $2; next }
    $1 == ".stack" { stack += $2; next }
    $1 == ".bss"   { bss += $2; next }
    $1 == ".data"  { data += $2; next }
    $1 ~ /^\.(vectors|text|rodata|ARM\.extab|ARM\.exidx|init_array)$/ { text += $2 }
    END { print text+0, data+0, bss+0, heap+0, stack+0 }'
}

for b in "${boards[@]}"; do
  dir=build/$b
  [ -d "$dir/src" ] || { echo "size_boards: $dir not built (run without --no-build)"; exit 1; }
  echo "== $b ($(grep -m1 -o '"[^"]*"' ports/$b/board.h | tr -d '"'); -Os)"
  echo
  printf '%-26s %8s %8s %8s\n' "module (objects)" text data bss
  for m in common mqtt; do
    mapfile -t objs < <(find "$dir/src/CMakeFiles/iot_core.dir/$m" -name '*.obj' | sort)
    read -r t d s < <(sum_objects "${objs[@]}")
    printf '%-26s %8s %8s %8s\n' "core: $m" "$t" "$d" "$s"
  done
  mapfile -t objs < <(find "$dir/src/CMakeFiles/iot_port.dir" -name '*.obj' | sort)
  read -r t d s < <(sum_objects "${objs[@]}")
  printf '%-26s %8s %8s %8s\n' "port: $b" "$t" "$d" "$s"
  echo
  printf '%-26s %8s %8s %8s %8s %8s %9s %9s\n' "image (linked)" text data bss heap stack flash ram
  for elf in "$dir"/samples/*/*.elf "$dir"/tests/target/*.elf; do
    [ -f "$elf" ] || continue
    read -r t d s h k < <(image_sizes "$elf")
    printf '%-26s %8s %8s %8s %8s %8s %9s %9s\n' "$(basename "$elf" .elf)" "$t" "$d" "$s" "$h" "$k" \
      "$((t + d))" "$((d + s + h + k))"
  done
  echo
done
echo "flash = text + data (initial values); ram = data + bss + heap + stack."
echo "Heap and stack are reserved regions (linker defaults: 64 KiB heap, 16 KiB stack)."
