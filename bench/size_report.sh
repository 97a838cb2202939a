#!/usr/bin/env bash
# Code size of each portable module for Cortex-M (text + data, bytes), measured
# the way coreMQTT publishes its table: arm-none-eabi-gcc, one object per file.
#   bench/size_report.sh [--markdown] [--log-level N] [--switches]
# Columns: Cortex-M4 (-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16)
# at -O1 and -Os, and Cortex-M55 (Corstone-300) at -Os, all with every MQTT
# feature built in (the defaults); the last column is Cortex-M4 -Os with
# every MQTT feature switch off (QoS 2, will, unsubscribe, subscription
# restore, background thread: the configuration of tests/config/mqtt_minimal.h).
# --log-level N builds with IOT_CONFIG_LOG_LEVEL N (-1: every log line
# compiled out, as coreMQTT's table is built); default: config.h's (info).
# --switches adds what each feature switch saves alone (Cortex-M4 -Os).
set -euo pipefail
cd "$(dirname "$0")/.."
markdown=0
switches=0
log_level=()
while [ $# -gt 0 ]; do
  case $1 in
    --markdown) markdown=1; shift ;;
    --switches) switches=1; shift ;;
    --log-level)
      [[ ${2:-} =~ ^-?[0-9]+$ ]] || { echo "size_report.sh: --log-level N" >&2; exit 2; }
      log_level=(-DIOT_CONFIG_LOG_LEVEL="$2"); shift 2 ;;
    *) echo "usage: size_report.sh [--markdown] [--log-level N] [--switches]" >&2; exit 2 ;;
  esac
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/include/corstone_iot"
version=$(sed -n 's/^project(corstone_iot VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
IFS=. read -r major minor patch <<< "$version"
sed -e "s/@PROJECT_VERSION_MAJOR@/$major/" -e "s/@PROJECT_VERSION_MINOR@/$minor/" \
    -e "s/@PROJECT_VERSION_PATCH@/$patch/" -e "s/@PROJECT_VERSION@/$version/" \
    include/corstone_iot/version.h.in > "$work/include/corstone_iot/version.h"

# mqtt_client.c embeds the transport struct but never looks inside the Mbed TLS
# part, so its code does not depend on it: a stand-in of similar size lets the
# client be measured without cross-built Mbed TLS headers.
mkdir -p "$work/impl"
echo 'struct iot_transport_impl { unsigned char opaque[1024]; };' > "$work/impl/iot_transport_impl.h"
cp src/net/iot_transport.h "$work/impl/"

m4=(-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16)
m55=(-mcpu=cortex-m55 -mthumb -mfloat-abi=hard -fno-branch-count-reg)
# Device firmware leaves out the server half of the codec (gateways keep it).
common=(-DIOT_CONFIG_MQTT_SERVER_CODEC=0 "${log_level[@]}" -std=c11 -ffunction-sections -fdata-sections -Iinclude -I"$work/include" -Isrc/common -Isrc/mqtt -I"$work/impl")

feature_switches=(QOS2 WILL UNSUBSCRIBE RESTORE_SUBSCRIPTIONS BACKGROUND_THREAD)
minimal=()
for sw in "${feature_switches[@]}"; do minimal+=(-DIOT_CONFIG_MQTT_$sw=0); done

size_of() { # size_of FILE FLAGS... -> text+data of the object
  local src=$1; shift
  rm -f "$work/o.o"
  arm-none-eabi-gcc "${common[@]}" "$@" -c "$src" -o "$work/o.o" || return 1
  arm-none-eabi-size "$work/o.o" | awk 'NR==2 {print $1 + $2}'
}

files=(src/mqtt/mqtt_codec.c src/mqtt/mqtt_session.c src/mqtt/mqtt_client.c src/common/backoff.c
       src/common/format.c src/common/log.c src/common/status.c src/common/version.c)
is_mqtt() { case $1 in src/mqtt/*|src/common/backoff.c) return 0;; esac; return 1; }
declare -A tot=([m4o1]=0 [m4os]=0 [m55os]=0 [min]=0)
declare -A mqtt=([m4o1]=0 [m4os]=0 [m55os]=0 [min]=0)
rows=()
for f in "${files[@]}"; do
  a=$(size_of "$f" "${m4[@]}" -O1) || exit 1
  b=$(size_of "$f" "${m4[@]}" -Os) || exit 1
  c=$(size_of "$f" "${m55[@]}" -Os) || exit 1
  d=$(size_of "$f" "${m4[@]}" -Os "${minimal[@]}") || exit 1
  rows+=("$f|$a|$b|$c|$d")
  tot[m4o1]=$((tot[m4o1] + a)); tot[m4os]=$((tot[m4os] + b)); tot[m55os]=$((tot[m55os] + c))
  tot[min]=$((tot[min] + d))
  if is_mqtt "$f"; then
    mqtt[m4o1]=$((mqtt[m4o1] + a)); mqtt[m4os]=$((mqtt[m4os] + b)); mqtt[m55os]=$((mqtt[m55os] + c))
    mqtt[min]=$((mqtt[min] + d))
  fi
done
kib() { awk -v b="$1" 'BEGIN {printf "%.1f", b / 1024}'; }

# What each switch saves on its own: the MQTT files at Cortex-M4 -Os.
saved=()
if [ $switches = 1 ]; then
  for sw in "${feature_switches[@]}"; do
    n=0
    for f in "${files[@]}"; do
      is_mqtt "$f" || continue
      s=$(size_of "$f" "${m4[@]}" -Os -DIOT_CONFIG_MQTT_$sw=0) || exit 1
      n=$((n + s))
    done
    saved+=("IOT_CONFIG_MQTT_$sw|$((mqtt[m4os] - n))")
  done
fi

if [ $markdown = 1 ]; then
  echo "| File | Cortex-M4 -O1 | Cortex-M4 -Os | Cortex-M55 -Os | Cortex-M4 -Os, minimal |"
  echo "|---|---:|---:|---:|---:|"
  for r in "${rows[@]}"; do IFS='|' read -r f a b c d <<< "$r"; echo "| $f | $a | $b | $c | $d |"; done
  echo "| **MQTT client** (codec + session + client + back-off) | **$(kib "${mqtt[m4o1]}") KiB** | **$(kib "${mqtt[m4os]}") KiB** (${mqtt[m4os]} bytes) | **$(kib "${mqtt[m55os]}") KiB** | **$(kib "${mqtt[min]}") KiB** (${mqtt[min]} bytes) |"
  echo "| **All of the above** | $(kib "${tot[m4o1]}") KiB | $(kib "${tot[m4os]}") KiB | $(kib "${tot[m55os]}") KiB | $(kib "${tot[min]}") KiB |"
  if [ $switches = 1 ]; then
    echo
    echo "| Switch set to 0 alone | Saves (Cortex-M4 -Os, bytes) |"
    echo "|---|---:|"
    for r in "${saved[@]}"; do IFS='|' read -r n v <<< "$r"; echo "| \`$n\` | $v |"; done
  fi
else
  printf '%-28s %10s %10s %10s %14s\n' "file (text+data, bytes)" "M4 -O1" "M4 -Os" "M55 -Os" "M4 -Os minimal"
  for r in "${rows[@]}"; do IFS='|' read -r f a b c d <<< "$r"; printf '%-28s %10s %10s %10s %14s\n' "$f" "$a" "$b" "$c" "$d"; done
  printf '%-28s %10s %10s %10s %14s\n' "MQTT client (bytes)" "${mqtt[m4o1]}" "${mqtt[m4os]}" "${mqtt[m55os]}" "${mqtt[min]}"
  printf '%-28s %6s KiB %6s KiB %6s KiB %10s KiB\n' "MQTT client" "$(kib "${mqtt[m4o1]}")" "$(kib "${mqtt[m4os]}")" "$(kib "${mqtt[m55os]}")" "$(kib "${mqtt[min]}")"
  printf '%-28s %6s KiB %6s KiB %6s KiB %10s KiB\n' "total" "$(kib "${tot[m4o1]}")" "$(kib "${tot[m4os]}")" "$(kib "${tot[m55os]}")" "$(kib "${tot[min]}")"
  for r in "${saved[@]}"; do IFS='|' read -r n v <<< "$r"; printf '%-44s saves %5s bytes (M4 -Os)\n' "$n=0" "$v"; done
fi
