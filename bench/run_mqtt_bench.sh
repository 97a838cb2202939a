#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Side-by-side MQTT publish throughput over TLS 1.2: this SDK, Eclipse Paho MQTT C
# (MQTTAsync, libpaho-mqtt3as) and libmosquitto, against one private mosquitto
# broker on 127.0.0.1.
#
#   bench/run_mqtt_bench.sh [--markdown FILE] [--runs R] [--count N] [--size BYTES]
#                           [--small N] [--callgrind-qos "0 1"] [--no-callgrind]
#                           [--no-syscalls] [--listener TLS12|MTLS] [--keep] [--tune]
#
# 1. Builds the SDK (cmake --preset posix-release; cmake --build --preset
#    posix-release) and the three programs (cc -O2 -g, into a temporary
#    directory; nothing is written to the source tree but the build preset).
# 2. Starts one broker with tests/integration/broker.sh and uses its TLS12
#    listener (TLS 1.2 only, enforced by the broker; a TLS 1.3 offer is
#    refused, so no client can be measured on another protocol version).
#    That listener verifies no client certificate: all three clients are
#    configured with the client certificate and key, but the broker never asks
#    for it, so the handshake is server-authenticated. --listener MTLS uses the
#    MTLS listener instead, which requires the client certificate; the broker
#    accepts TLS 1.3 there, so the clients are capped at TLS 1.2 on their side
#    (the SDK is TLS 1.2 only; Paho and libmosquitto through OPENSSL_CONF, and
#    libmosquitto's tls_version "tlsv1.2" too). broker.sh is used unchanged.
#    Either way the broker chooses ECDHE-ECDSA-AES256-GCM-SHA384 for all three
#    (server preference), and the handshake is outside the measured interval.
# 3. For QoS 0 and QoS 1, runs each client R times interleaved (sdk, paho,
#    mosquitto, sdk, ...) with N messages of BYTES bytes, and reports every
#    run, the median rate per client and the ratios sdk/paho, sdk/mosquitto and
#    sdk/(the faster peer). Next to the rate: client CPU (user + system, all
#    threads, during the measured interval) and broker CPU per message; the
#    broker is single-threaded, so at ~100 % of a core it is the bottleneck.
# 4. Instructions per message: each client once under callgrind with N and
#    with --small messages; (Ir(N) - Ir(small)) / (N - small) is the client's
#    user-space instruction count per message, without the connect and TLS
#    handshake. Only the client runs under valgrind. Plus, with strace, the
#    system calls per message measured the same way, and the SDK's
#    per-message profile by function.
# 5. Stops the broker by its PID (broker.sh stop), at the end and on any
#    error or interrupt.
#
# The markdown summary goes to stdout (and to FILE with --markdown); progress
# goes to stderr. --tune instead sweeps the peers' settings (Paho maxInflight
# and window; libmosquitto loop mode, TCP_NODELAY and in-flight limit) and
# prints median rates, which is how the defaults below were chosen.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)

# Peer settings per QoS, chosen with --tune (medians of interleaved runs on a
# 2-core machine): each peer's fastest configuration, with the same in-flight
# window as the SDK (32) where a larger one did not help.
#   Paho QoS 1: maxInflight 32 and at most 32 sends handed over (30.3k msgs/s;
#     100/64 and 1000/64 the same within noise; queueing all 10,000 at once,
#     window 0, was slower: 26-28k). Paho QoS 0: window 0, every send queued at
#     once (61k against 46-53k with a window).
#   libmosquitto: mosquitto_loop_start() thread and TCP_NODELAY on (QoS 0 171k
#     msgs/s against 86-93k for a manual loop; QoS 1 67k, manual loops 58-68k).
PAHO_ARGS_0=(--inflight 32 --window 0)
PAHO_ARGS_1=(--inflight 32 --window 32)
MOSQ_ARGS_0=(--loop threaded --nodelay 1 --inflight 32)
MOSQ_ARGS_1=(--loop threaded --nodelay 1 --inflight 32)

markdown=""
runs=5
count=10000
size=256
small=1000
cg_qos="0 1"
do_callgrind=1
do_syscalls=1
listener=TLS12
keep=0
tune=0

die() { echo "run_mqtt_bench.sh: $*" >&2; exit 1; }
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2; exit 2; }
posint() { [[ $2 =~ ^[1-9][0-9]*$ ]] || die "$1: '$2' is not a positive number"; }

while [ $# -gt 0 ]; do
  case $1 in
    --markdown) [ $# -ge 2 ] || usage; markdown=$2; shift 2 ;;
    --runs) [ $# -ge 2 ] || usage; posint "$1" "$2"; runs=$2; shift 2 ;;
    --count) [ $# -ge 2 ] || usage; posint "$1" "$2"; count=$2; shift 2 ;;
    --size) [ $# -ge 2 ] || usage; [[ $2 =~ ^[0-9]+$ ]] || die "--size: '$2'"; size=$2; shift 2 ;;
    --small) [ $# -ge 2 ] || usage; posint "$1" "$2"; small=$2; shift 2 ;;
    --callgrind-qos) [ $# -ge 2 ] || usage; cg_qos=$2; shift 2 ;;
    --no-callgrind) do_callgrind=0; shift ;;
    --no-syscalls) do_syscalls=0; shift ;;
    --listener) [ $# -ge 2 ] || usage; listener=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --tune) tune=1; shift ;;
    -h|--help) usage ;;
    *) echo "run_mqtt_bench.sh: unknown option $1" >&2; usage ;;
  esac
done
case $listener in TLS12|MTLS) ;; *) die "--listener TLS12|MTLS" ;; esac
(( small < count )) || die "--small ($small) must be below --count ($count)"
for q in $cg_qos; do [[ $q == 0 || $q == 1 ]] || die "--callgrind-qos: QoS 0 and/or 1"; done
if [ -n "$markdown" ]; then
  : > "$markdown" || die "cannot write $markdown"
  markdown=$(cd "$(dirname "$markdown")" && pwd)/$(basename "$markdown")
fi

log() { echo "[bench] $*" >&2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/mqtt-bench.XXXXXX")
state="$work/broker"
broker_started=0
client_pid=""

cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  if [ -n "$client_pid" ]; then
    kill "$client_pid" 2>/dev/null || true
    wait "$client_pid" 2>/dev/null || true
  fi
  if [ "$broker_started" = 1 ]; then
    bash "$root/tests/integration/broker.sh" stop "$state" || rc=1
  fi
  if [ "$keep" = 1 ] || [ "$rc" != 0 ]; then
    echo "run_mqtt_bench.sh: work directory kept: $work" >&2
  else
    rm -rf "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ---------------------------------------------------------------- build
command -v cmake > /dev/null || die "cmake not found"
command -v cc > /dev/null || die "cc not found"
log "building the SDK (posix-release)"
( cd "$root" && cmake --preset posix-release && cmake --build --preset posix-release ) \
  > "$work/build.log" 2>&1 || { tail -n 40 "$work/build.log" >&2; die "SDK build failed"; }
lib="$root/build/posix-release/src/libcorstone_iot.a"
[ -f "$lib" ] || die "$lib not built"

cflags=(-O2 -g -std=c11 -Wall -Wextra)
log "building the benchmark clients"
cc "${cflags[@]}" -I"$root/include" -I"$root/build/posix-release/include" \
  "$here/pub_sdk.c" "$lib" -lmbedtls -lmbedx509 -lmbedcrypto -lpthread -o "$work/pub_sdk"
cc "${cflags[@]}" "$here/pub_paho.c" -lpaho-mqtt3as -lpthread -o "$work/pub_paho"
cc "${cflags[@]}" "$here/pub_mosquitto.c" -lmosquitto -lpthread -o "$work/pub_mosquitto"

# ---------------------------------------------------------------- broker
log "starting the broker"
broker_started=1
bash "$root/tests/integration/broker.sh" start "$state" > "$work/broker-start.log" 2>&1 ||
  { cat "$work/broker-start.log" >&2; die "the broker did not start"; }
set -a
# shellcheck source=/dev/null
. "$state/broker.env"
set +a
broker_pid=$(<"$state/broker.pid")
port_var="IOT_TEST_PORT_$listener"
port=${!port_var}
# Caps OpenSSL (Paho, libmosquitto) at TLS 1.2; Mbed TLS in the SDK is TLS 1.2 anyway.
export OPENSSL_CONF="$IOT_TEST_BROKER_STATE/openssl-tls12-client.cnf"
# Broker CPU time in ns: schedstat (ns resolution; mosquitto has one thread),
# else utime + stime from stat (clock ticks).
clk_tck=$(getconf CLK_TCK)
broker_cpu_ns() {
  local s
  if [ -r "/proc/$broker_pid/schedstat" ]; then
    read -r s _ < "/proc/$broker_pid/schedstat"
    echo "$s"
  else
    read -r s < "/proc/$broker_pid/stat"
    s=${s##*) }
    set -- $s
    echo $(( (${12} + ${13}) * 1000000000 / clk_tck ))
  fi
}

clients=(sdk paho mosquitto)
tuning=0
client_cmd() { # name qos -> the command line prefix in cmd[]
  local pa ma
  if [ "$tuning" = 1 ]; then pa=() ma=()
  elif [ "$2" = 0 ]; then pa=("${PAHO_ARGS_0[@]}") ma=("${MOSQ_ARGS_0[@]}")
  else pa=("${PAHO_ARGS_1[@]}") ma=("${MOSQ_ARGS_1[@]}")
  fi
  case $1 in
    sdk) cmd=("$work/pub_sdk") ;;
    paho) cmd=("$work/pub_paho" "${pa[@]}") ;;
    mosquitto) cmd=("$work/pub_mosquitto" "${ma[@]}") ;;
  esac
}

# run_client NAME QOS COUNT OUTFILE [EXTRA ARGS...]: one run; the result line
# and the cpu line in OUTFILE, stderr in OUTFILE.err. Fails on any error.
run_client() {
  local name=$1 qos=$2 n=$3 out=$4 rc=0
  shift 4
  client_cmd "$name" "$qos"
  timeout 300 "${cmd[@]}" "$@" --port "$port" --qos "$qos" --count "$n" --size "$size" \
    > "$out" 2> "$out.err" &
  client_pid=$!
  wait "$client_pid" || rc=$?
  client_pid=""
  if [ "$rc" != 0 ] || ! grep -q "^$name qos=$qos msgs=$n " "$out"; then
    cat "$out.err" >&2
    die "$name qos=$qos: the run failed (exit $rc); no result reported"
  fi
}

field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" "$1" | head -n 1; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "nan"; exit } if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
fmt0() { awk -v a="$1" 'BEGIN { printf "%.0f", a }'; }
fmt1() { awk -v a="$1" 'BEGIN { printf "%.1f", a }'; }

report="$work/report.md"
: > "$report"
out() { printf '%s\n' "$*" >> "$report"; }

# ---------------------------------------------------------------- tune
if [ "$tune" = 1 ]; then
  reps=3
  declare -A tune_rates=()
  configs=(
    "paho|--inflight 32 --window 32" "paho|--inflight 32 --window 0"
    "paho|--inflight 100 --window 64" "paho|--inflight 1000 --window 64"
    "paho|--inflight 1000 --window 200" "paho|--inflight 1000 --window 0"
    "mosquitto|--loop manual --nodelay 1 --inflight 32" "mosquitto|--loop manual --nodelay 0 --inflight 32"
    "mosquitto|--loop threaded --nodelay 1 --inflight 32" "mosquitto|--loop threaded --nodelay 0 --inflight 32"
    "mosquitto|--loop threaded --nodelay 0 --inflight 100" "mosquitto|--loop threaded --nodelay 0 --inflight 1000"
    "mosquitto|--loop manual --nodelay 0 --inflight 1000"
  )
  for qos in 0 1; do
    for ((r = 1; r <= reps; r++)); do
      for c in "${configs[@]}"; do
        name=${c%%|*}
        args=${c#*|}
        log "tune qos=$qos run $r: $name $args"
        tuning=1
        # shellcheck disable=SC2086
        run_client "$name" "$qos" "$count" "$work/tune.out" $args
        tune_rates["$qos|$c"]+="$(field "$work/tune.out" rate) "
      done
    done
  done
  out "## Peer settings sweep ($count x $size-byte messages, $reps runs each, median msgs/s)"
  out ""
  out "| client | settings | QoS 0 | QoS 1 |"
  out "|---|---|---:|---:|"
  for c in "${configs[@]}"; do
    m0=$(tr ' ' '\n' <<< "${tune_rates["0|$c"]}" | grep . | median)
    m1=$(tr ' ' '\n' <<< "${tune_rates["1|$c"]}" | grep . | median)
    out "| ${c%%|*} | \`${c#*|}\` | $(fmt0 "$m0") | $(fmt0 "$m1") |"
  done
  cat "$report"
  [ -z "$markdown" ] || cp "$report" "$markdown"
  exit 0
fi

# ---------------------------------------------------------------- throughput
declare -A rates=() cpu_us=() broker_us=()
for qos in 0 1; do
  for ((r = 1; r <= runs; r++)); do
    for c in "${clients[@]}"; do
      log "throughput qos=$qos run $r/$runs: $c"
      b0=$(broker_cpu_ns)
      run_client "$c" "$qos" "$count" "$work/run.out"
      b1=$(broker_cpu_ns)
      rate=$(field "$work/run.out" rate)
      user=$(field "$work/run.out" user_s)
      sys=$(field "$work/run.out" sys_s)
      rates["$qos|$c"]+="$rate "
      cpu_us["$qos|$c"]+="$(awk -v u="$user" -v s="$sys" -v n="$count" 'BEGIN { print (u + s) * 1e6 / n }') "
      broker_us["$qos|$c"]+="$(awk -v t="$(( b1 - b0 ))" -v n="$count" 'BEGIN { print t / 1e3 / n }') "
      sed -n "1p" "$work/run.out" >&2
    done
  done
done

med() { tr ' ' '\n' <<< "$1" | grep . | median; }

out "# MQTT publish throughput: corstone-iot SDK vs Paho MQTT C vs libmosquitto"
out ""
out "$count messages of $size bytes per run, one connection, publish only, TLS 1.2"
out "(ECDHE-ECDSA-AES256-GCM-SHA384, chosen by the broker for all three) to mosquitto"
out "$(mosquitto -h 2>/dev/null | sed -n 's/^mosquitto version \([0-9.]*\).*/\1/p' | head -n 1) on 127.0.0.1 (listener $listener$([ "$listener" = TLS12 ] && echo ": server-authenticated, the client certificate is configured but never requested" || echo ": mutual TLS")),"
out "$runs runs per client interleaved; $(nproc) CPUs, load average at start $(cut -d' ' -f1-3 /proc/loadavg)."
out ""
out "Clients: SDK $(sed -n 's/^project(corstone_iot VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt") on Mbed TLS $(dpkg-query -W -f='${Version}' libmbedtls-dev 2>/dev/null || echo '?'),"
out "Paho MQTT C $(dpkg-query -W -f='${Version}' libpaho-mqtt-dev 2>/dev/null || echo '?') and libmosquitto $(dpkg-query -W -f='${Version}' libmosquitto-dev 2>/dev/null || echo '?') on OpenSSL $(openssl version 2>/dev/null | awk '{print $2}')."
out ""
out "- sdk: no background thread, iot_publish() in a loop, then iot_flush(); in-flight window 32 (IOT_CONFIG_MQTT_MAX_INFLIGHT default; up to 16 unacknowledged messages are sent one by one, beyond that they leave in batches, one TLS record per batch, as PUBACKs arrive), a lent 64 KiB queue (the default 8 KiB one holds only 30 such messages)."
out "- paho: MQTTAsync with onSuccess callbacks, sendWhileDisconnected off, no persistence; QoS 0 \`${PAHO_ARGS_0[*]}\`, QoS 1 \`${PAHO_ARGS_1[*]}\` (maxInflight; window: most sends handed to Paho and not completed, 0 = all queued at once); the fastest settings of \`--tune\`."
out "- mosquitto: QoS 0 \`${MOSQ_ARGS_0[*]}\`, QoS 1 \`${MOSQ_ARGS_1[*]}\` (mosquitto_loop_start network thread, MOSQ_OPT_TCP_NODELAY, in-flight via max_inflight_messages_set and MOSQ_OPT_SEND_MAXIMUM); the fastest settings of \`--tune\`."
out "- Timed from the first publish to the last PUBACK (QoS 1); QoS 0 runs end with one QoS 1 marker message whose PUBACK proves the broker processed every QoS 0 message before it (one round trip, the same for all three; not counted in the rate)."
out "- CPU: client user + system time of all its threads during the measured interval; broker: the broker's CPU time during the whole run (connect included) per message; broker busy = broker CPU per message x median rate (mosquitto runs on one thread: near 100 % it, not the client, limits the rate)."
out ""
for qos in 0 1; do
  out "## QoS $qos"
  out ""
  hdr="| client |"; sep="|---|"
  for ((r = 1; r <= runs; r++)); do hdr+=" run $r |"; sep+="---:|"; done
  out "$hdr median msgs/s | client CPU µs/msg | broker CPU µs/msg | broker busy |"
  out "$sep---:|---:|---:|---:|"
  for c in "${clients[@]}"; do
    row="| $c |"
    for v in ${rates["$qos|$c"]}; do row+=" $(fmt0 "$v") |"; done
    m=$(med "${rates["$qos|$c"]}")
    eval "med_${c}_$qos=$m"
    bu=$(med "${broker_us["$qos|$c"]}")
    row+=" **$(fmt0 "$m")** | $(fmt1 "$(med "${cpu_us["$qos|$c"]}")") | $(fmt1 "$bu") |"
    row+=" $(awk -v u="$bu" -v r="$m" 'BEGIN { printf "%.0f %%", u * r / 1e4 }') |"
    out "$row"
  done
  out ""
done

out "## Ratios of median rates"
out ""
out "| | sdk/paho | sdk/mosquitto | sdk/faster peer |"
out "|---|---:|---:|---:|"
for qos in 0 1; do
  s=med_sdk_$qos p=med_paho_$qos m=med_mosquitto_$qos
  best=$(awk -v a="${!p}" -v b="${!m}" 'BEGIN { print (a > b) ? a : b }')
  out "| QoS $qos | $(ratio "${!s}" "${!p}") | $(ratio "${!s}" "${!m}") | $(ratio "${!s}" "$best") |"
  [ "$qos" = 1 ] && q1_ratio=$(ratio "${!s}" "$best")
done
out ""
out "Target: SDK QoS 1 rate >= 1.5 x the faster peer: **$(awk -v r="$q1_ratio" 'BEGIN { print (r + 0 >= 1.5) ? "met" : "missed" }')** ($q1_ratio)."
out ""

# ---------------------------------------------------------------- syscalls
if [ "$do_syscalls" = 1 ] && command -v strace > /dev/null; then
  declare -A sc=()
  for qos in $cg_qos; do
    for c in "${clients[@]}"; do
      for n in "$count" "$small"; do
        log "strace qos=$qos $c $n messages"
        client_cmd "$c" "$qos"
        timeout 300 strace -f -c -o "$work/strace.$c.$qos.$n" "${cmd[@]}" --port "$port" --qos "$qos" \
          --count "$n" --size "$size" > "$work/st.out" 2> "$work/st.err" ||
          { cat "$work/st.err" >&2; die "$c under strace failed"; }
      done
      sc["$qos|$c"]=$(join <(awk '$NF ~ /^[a-z_0-9]+$/ && $NF != "total" && $4 ~ /^[0-9]+$/ { print $NF, $4 }' "$work/strace.$c.$qos.$count" | sort) \
                           <(awk '$NF ~ /^[a-z_0-9]+$/ && $NF != "total" && $4 ~ /^[0-9]+$/ { print $NF, $4 }' "$work/strace.$c.$qos.$small" | sort) -a1 -e 0 -o 0,1.2,2.2 |
        awk -v d=$(( count - small )) '{ x = ($2 - $3) / d; if (x >= 0.05) { s = s sprintf("%s %.2f, ", $1, x); t += x } } END { sub(/, $/, "", s); printf "%.2f|%s", t, s }')
    done
  done
  out "## System calls per message (all threads, strace -f; ($count - $small) messages)"
  out ""
  out "| QoS | client | syscalls/msg | of which |"
  out "|---|---|---:|---|"
  for qos in $cg_qos; do
    for c in "${clients[@]}"; do
      v=${sc["$qos|$c"]}
      out "| $qos | $c | ${v%%|*} | ${v#*|} |"
    done
  done
  out ""
fi

# ---------------------------------------------------------------- callgrind
if [ "$do_callgrind" = 1 ]; then
  command -v valgrind > /dev/null || die "valgrind not found"
  declare -A ir=()
  total_ir() { sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$1" | head -n 1; }
  for qos in $cg_qos; do
    for c in "${clients[@]}"; do
      for n in "$count" "$small"; do
        log "callgrind qos=$qos $c $n messages"
        client_cmd "$c" "$qos"
        f="$work/callgrind.$c.q$qos.$n.out"
        timeout 600 valgrind --tool=callgrind --fair-sched=yes --callgrind-out-file="$f" \
          "${cmd[@]}" --port "$port" --qos "$qos" --count "$n" --size "$size" \
          > "$work/cg.out" 2> "$work/cg.err" ||
          { tail -n 20 "$work/cg.err" >&2; die "$c under callgrind failed"; }
        grep -q "^$c qos=$qos msgs=$n " "$work/cg.out" || { tail -n 20 "$work/cg.err" >&2; die "$c under callgrind: no result"; }
        ir["$qos|$c|$n"]=$(total_ir "$f")
      done
      ir["$qos|$c"]=$(awk -v a="${ir["$qos|$c|$count"]}" -v b="${ir["$qos|$c|$small"]}" -v d=$(( count - small )) 'BEGIN { print (a - b) / d }')
    done
  done
  out "## Client instructions per message (callgrind, user space, all threads)"
  out ""
  out "(Ir($count messages) - Ir($small messages)) / $(( count - small )): connect and TLS handshake cancel out."
  out "Under valgrind the threads of Paho and libmosquitto run one at a time, so their idle"
  out "polling is counted for however long the run lasts."
  out ""
  out "| QoS | sdk | paho | mosquitto | sdk/paho | sdk/mosquitto | sdk/lower peer |"
  out "|---|---:|---:|---:|---:|---:|---:|"
  for qos in $cg_qos; do
    s=${ir["$qos|sdk"]} p=${ir["$qos|paho"]} m=${ir["$qos|mosquitto"]}
    low=$(awk -v a="$p" -v b="$m" 'BEGIN { print (a < b) ? a : b }')
    out "| $qos | $(fmt0 "$s") | $(fmt0 "$p") | $(fmt0 "$m") | $(ratio "$s" "$p") | $(ratio "$s" "$m") | $(ratio "$s" "$low") |"
    ir_ratio=$(ratio "$s" "$low")
  done
  out ""
  out "Target: SDK instructions/message <= 0.5 x the peer's (the lower one, QoS $(tr ' ' '\n' <<< "$cg_qos" | grep . | tail -n 1)): **$(awk -v r="$ir_ratio" 'BEGIN { print (r + 0 <= 0.5) ? "met" : "missed" }')** ($ir_ratio)."
  out ""

  # Where the SDK's instructions go, per message, by function (self cost).
  prof_qos=$(tr ' ' '\n' <<< "$cg_qos" | grep . | tail -n 1)
  if command -v callgrind_annotate > /dev/null; then
    ann() {
      callgrind_annotate --auto=no --inclusive=no --threshold=100 "$1" 2> /dev/null |
        sed -nE 's/^ *([0-9,]+) +\( *[0-9.]+%\) +(.*)$/\1\t\2/p' | grep -v "PROGRAM TOTALS" |
        awk -F'\t' '{ v = $1; gsub(",", "", v); f = $2; lib = "?"
                      if (match(f, / \[[^]]*\]$/)) { lib = substr(f, RSTART + 2, RLENGTH - 3); sub(/.*\//, "", lib); f = substr(f, 1, RSTART - 1) }
                      sub(/^.*:/, "", f); print f "|" lib "\t" v }' | sort -t $'\t' -k1,1
    }
    ann "$work/callgrind.sdk.q$prof_qos.$count.out" > "$work/ann.big"
    ann "$work/callgrind.sdk.q$prof_qos.$small.out" > "$work/ann.small"
    join -t $'\t' -a1 -a2 -e 0 -o 0,1.2,2.2 "$work/ann.big" "$work/ann.small" |
      awk -F'\t' -v d=$(( count - small )) '{ x = ($2 - $3) / d; if (x > 0) printf "%.0f\t%s\n", x, $1 }' |
      sort -g -r > "$work/sdk-profile.tsv"
    tot=${ir["$prof_qos|sdk"]}
    out "## SDK profile, QoS $prof_qos: instructions per message by function (self, $count - $small messages)"
    out ""
    out "| group | Ir/msg | share |"
    out "|---|---:|---:|"
    awk -F'\t' -v tot="$tot" '
      { split($2, a, "|"); f = a[1]; lib = a[2]
        if (lib ~ /^libmbedcrypto/ && f ~ /(gcm|aes|cipher|^0x)/) g = "Mbed TLS AES-GCM (record encryption/decryption)"
        else if (lib ~ /^libmbed/ && f ~ /debug/) g = "Mbed TLS debug hooks (compiled in, no callback set)"
        else if (lib ~ /^libmbed/) g = "Mbed TLS record layer and other"
        else if (lib ~ /^pub_sdk/ && f !~ /^(main|bench_)/) g = "SDK (MQTT client, codec, session, transport, port)"
        else if (lib ~ /^libc/) g = "libc (memcpy, clock_gettime, mutex, malloc)"
        else g = "other (benchmark program, loader)"
        s[g] += $1 }
      END { for (g in s) printf "%s\t%.0f\t%.1f%%\n", g, s[g], 100 * s[g] / tot }' "$work/sdk-profile.tsv" |
      sort -t $'\t' -k2,2 -g -r | awk -F'\t' '{ printf "| %s | %s | %s |\n", $1, $2, $3 }' >> "$report"
    out ""
    out "Top functions (an address instead of a name is a static function of a stripped"
    out "library; in Debian's libmbedcrypto 2.28.3, 0x34500 is gcm.c's gcm_mult, which calls"
    out "mbedtls_aesni_has_support and mbedtls_aesni_gcm_mult for every 16-byte block):"
    out ""
    out "| function | library | Ir/msg | share |"
    out "|---|---|---:|---:|"
    head -n 25 "$work/sdk-profile.tsv" | awk -F'\t' -v tot="$tot" '{ split($2, a, "|"); printf "| %s | %s | %s | %.1f%% |\n", a[1], a[2], $1, 100 * $1 / tot }' >> "$report"
    out ""
  fi
fi

log "stopping the broker"
bash "$root/tests/integration/broker.sh" stop "$state"
broker_started=0
cat "$report"
[ -z "$markdown" ] || cp "$report" "$markdown"
