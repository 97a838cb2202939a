#!/usr/bin/env bash
# Footprint of the board builds, as Markdown tables (doc/sizes.md is this
# output), for corstone300 and corstone310:
#   1. per module: text/data/bss of the object code as compiled (before the
#      link drops unused sections);
#   2. per firmware image: text/data/bss after the link, heap and stack
#      regions, flash and RAM;
#   3. the telemetry image (SDK + Mbed TLS + lwIP + port), the key store
#      test image, the OTA test image and the OTA sample (OTA agent over
#      MQTT and TLS) by component, from their link maps: what each part
#      (SDK core modules, port, Mbed TLS, lwIP, C library, application)
#      contributes to the linked image;
#      and, for the telemetry and OTA sample images, the footprint target's
#      measure (SDK code: MQTT + TLS glue + keys + OTA module with the common
#      code, and with the OTA agent; with and without string constants);
#   4. the firmware-update region (IOT_FW_SLOTS) each board reserves for
#      the RAM stand-in's image areas, outside the images' RAM.
# Usage: tools/size_boards.sh [--no-build]
#   Builds the two presets first unless --no-build is given (after
#   tools/fetch-board-deps.sh, for the network and TLS parts).
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

row() { # name text data bss
  printf '| %s | %s | %s | %s |\n' "$1" "$2" "$3" "$4"
}

# Linked size per component, from a GNU ld map file. Input sections are
# attributed by the object or archive member they come from; members of
# libcorstone_iot.a by their source file's folder (src/<module>, ports/...).
map_components() {
  local map=$1
  local core_files port_net_files port_fwu_files
  # The OTA agent (delivery over MQTT) is a row of its own, apart from the
  # OTA module (state machine and verifier).
  core_files=$(for m in src/*/; do m=${m%/}; m=${m#src/}; for f in src/$m/*.c; do
    [ -f "$f" ] || continue
    if [ "$f" = src/ota/ota_agent.c ]; then printf '%s=%s ' ota_agent.c.obj ota_agent
    else printf '%s=%s ' "$(basename "$f").obj" "$m"; fi; done; done)
  port_net_files="lan9118.c.obj lan9118_netif.c.obj port_tcp_lwip.c.obj iot_mbedtls_platform.c.obj"
  port_fwu_files="port_fw_fwu.c.obj fwu_service.c.obj fwu_ram.c.obj board_ota_boot.c.obj"
  awk -v core="$core_files" -v portnet="$port_net_files" -v portfwu="$port_fwu_files" '
    function hex(s,   i, v, ch) {
      v = 0; s = tolower(s); sub(/^0x/, "", s)
      for (i = 1; i <= length(s); i++) { ch = index("0123456789abcdef", substr(s, i, 1)) - 1; v = v * 16 + ch }
      return v
    }
    BEGIN {
      n = split(core, kv, " ")
      for (i = 1; i <= n; i++) { split(kv[i], p, "="); mod[p[1]] = (p[2] == "ota_agent") ? "ota agent" : p[2] }
      n = split(portnet, pn, " ")
      for (i = 1; i <= n; i++) net[pn[i]] = 1
      n = split(portfwu, pf, " ")
      for (i = 1; i <= n; i++) fwu[pf[i]] = 1
    }
    /^Linker script and memory map/ { on = 1; next }
    !on { next }
    # An input section line: name, then address, size and origin (the name
    # may stand on the line before).
    /^ \.[^ ]+$/ { pending = $1; next }
    {
      if (/^ \./ && $2 ~ /^0x/ && $3 ~ /^0x/ && NF >= 4) { sec = $1; sz = $3; obj = $4 }
      else if (pending != "" && $1 ~ /^0x/ && $2 ~ /^0x/ && NF >= 3) { sec = pending; sz = $2; obj = $3 }
      else { pending = ""; next }
      pending = ""
      bytes = hex(sz)
      if (bytes == 0) next
      # String constants are merged across objects by the linker; the map
      # lists them before merging: a column of their own (an upper bound),
      # and the merged total as a row.
      if (sec ~ /\.str[0-9]+\.[0-9]+$/) kind = "str"
      else if (sec ~ /^\.(text|rodata|vectors|ARM\.(exidx|extab)|init_array|fini_array|glue|vfp11|v4_bx|init|fini)/) kind = "text"
      else if (sec ~ /^\.data/) kind = "data"
      else if (sec ~ /^\.(bss|COMMON)/ || sec == "COMMON") kind = "bss"
      else next
      member = obj; sub(/^.*\(/, "", member); sub(/\)$/, "", member)
      if (obj ~ /libiot_board_mbedtls\.a/) c = "Mbed TLS 2.28.3"
      else if (obj ~ /libiot_board_lwip\.a/) c = "lwIP 2.1.3"
      else if (obj ~ /libcorstone_iot\.a/) {
        if (member in mod) c = "SDK core: " mod[member]
        else if (member in net) c = "port: Ethernet, lwIP and Mbed TLS glue"
        else if (member in fwu) c = "port: firmware slots (PSA FWU adapter, RAM stand-in, boot step)"
        else c = "port: Cortex-M start-up, clock, console, entropy, RAM object store"
      }
      else if (obj ~ /lib(c|g|m|gcc|c_nano|g_nano|nosys)\.a|crt|arm-none-eabi/) c = "C library and compiler runtime"
      else if (obj ~ /ram_report|port_entropy_insecure/) c = "test-only port code"
      else c = "application (the image code)"
      size[c, kind] += bytes; names[c] = 1
    }
    END { for (c in names) printf "%s\t%d\t%d\t%d\t%d\n", c, size[c, "text"], size[c, "data"], size[c, "bss"], size[c, "str"] }
  ' "$map" | sort
}

for b in "${boards[@]}"; do
  dir=build/$b
  [ -d "$dir/src" ] || { echo "size_boards: $dir not built (run without --no-build)"; exit 1; }
  echo "## $b ($(grep -m1 -o '"[^"]*"' ports/$b/board.h | tr -d '"'); -Os)"
  echo
  echo "Modules (object code as compiled, before the link drops unused sections):"
  echo
  echo "| module (objects) | text | data | bss |"
  echo "|---|---:|---:|---:|"
  for m in common mqtt net keys ota; do
    [ -d "$dir/src/CMakeFiles/iot_core.dir/$m" ] || continue
    mapfile -t objs < <(find "$dir/src/CMakeFiles/iot_core.dir/$m" -name '*.obj' ! -name 'ota_agent.c.obj' | sort)
    read -r t d s < <(sum_objects "${objs[@]}")
    row "SDK core: $m" "$t" "$d" "$s"
  done
  # The OTA agent apart from the OTA module, as in the tables by component.
  mapfile -t objs < <(find "$dir/src/CMakeFiles/iot_core.dir/ota" -name 'ota_agent.c.obj' 2>/dev/null)
  if [ "${#objs[@]}" -gt 0 ]; then
    read -r t d s < <(sum_objects "${objs[@]}")
    row "SDK core: ota agent" "$t" "$d" "$s"
  fi
  mapfile -t objs < <(find "$dir/src/CMakeFiles/iot_port.dir" -name '*.obj' | sort)
  read -r t d s < <(sum_objects "${objs[@]}")
  row "port: $b" "$t" "$d" "$s"
  echo
  echo "Images (linked; flash = text + data, ram = data + bss + heap + stack):"
  echo
  echo "| image | text | data | bss | heap | stack | flash | ram |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  for elf in "$dir"/samples/*/*.elf "$dir"/tests/target/*.elf; do
    [ -f "$elf" ] || continue
    read -r t d s h k < <(image_sizes "$elf")
    printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$(basename "$elf" .elf)" "$t" "$d" "$s" "$h" "$k" \
      "$((t + d))" "$((d + s + h + k))"
  done
  echo
  for map in "$dir/samples/telemetry/telemetry.map" "$dir/tests/target/target_keys_board.map" \
             "$dir/tests/target/target_ota_board.map" "$dir/samples/ota/ota_device.map"; do
    [ -f "$map" ] || continue
    echo "The $(basename "$map" .map) image by component (linked, from its link map):"
    echo
    echo "| component | text (without strings) | data | bss | strings before merging |"
    echo "|---|---:|---:|---:|---:|"
    sdk_text=0 sdk_str=0 sum_text=0 goal_text=0 goal_str=0 agent_text=0 agent_str=0
    while IFS=$'\t' read -r c t d s k; do
      printf '| %s | %s | %s | %s | %s |\n' "$c" "$t" "$d" "$s" "$k"
      sum_text=$((sum_text + t))
      case "$c" in "SDK core: "*) sdk_text=$((sdk_text + t + d)) sdk_str=$((sdk_str + k)) ;; esac
      case "$c" in
        "SDK core: "common|"SDK core: "mqtt|"SDK core: "net|"SDK core: "keys|"SDK core: "ota)
          goal_text=$((goal_text + t + d)) goal_str=$((goal_str + k)) ;;
        "SDK core: ota agent") agent_text=$((agent_text + t + d)) agent_str=$((agent_str + k)) ;;
      esac
    done < <(map_components "$map")
    read -r t _ < <(image_sizes "${map%.map}.elf")
    printf '| %s | %s | 0 | 0 | |\n' "string constants of all components, merged" "$((t - sum_text))"
    echo
    kib() { awk -v n="$1" 'BEGIN { printf "%.1f", n / 1024 }'; }
    echo "SDK code alone (the SDK core modules this image links; text + data): $sdk_text bytes ($(kib "$sdk_text") KiB);" \
         "with their string constants (before merging): $((sdk_text + sdk_str)) bytes ($(kib $((sdk_text + sdk_str))) KiB)."
    echo
    # The footprint target's measure, for the product images (the telemetry
    # firmware and the OTA sample): MQTT + TLS glue + keys + OTA module, with
    # the shared code they call (common: status texts, logging, formatting,
    # back-off); the OTA agent separately.
    case "$(basename "$map" .map)" in telemetry|ota_device) ;; *) continue ;; esac
    printf '%s' "Footprint target (SDK code <= 20 KiB: MQTT + TLS glue + keys + OTA module, with common):" \
         " $goal_text bytes ($(kib "$goal_text") KiB), $((goal_text + goal_str)) with their strings"
    if [ "$agent_text" -gt 0 ]; then
      printf '%s' "; with the OTA agent: $((goal_text + agent_text)) bytes ($(kib $((goal_text + agent_text))) KiB)," \
           " $((goal_text + agent_text + goal_str + agent_str)) with their strings"
    fi
    echo "."
    echo
  done
  # The firmware-update region of the board's linker script (not part of
  # any image's RAM above: no output section is placed there).
  read -r fw_origin fw_length < <(awk '/IOT_FW_SLOTS *\(/ {
      for (i = 1; i <= NF; i++) { if ($i == "ORIGIN") o = $(i + 2); if ($i == "LENGTH") l = $(i + 2) }
      sub(/,$/, "", o); print o, l }' "ports/$b/"*.ld)
  echo "Firmware-update region IOT_FW_SLOTS (RAM stand-in's image areas, two per component, two components): $fw_length at $fw_origin."
  echo
done
echo "Heap and stack are reserved regions: linker defaults 64 KiB heap and 16 KiB stack;"
echo "the telemetry and OTA sample images set 20 KiB of heap (Mbed TLS, PSA Crypto and stdio) and 8 KiB of stack."
