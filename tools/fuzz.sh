#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fuzzing runs of every libFuzzer target (doc/testing.md).
#
#   tools/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   long runs: default 3600 s each, one at a time
#   tools/fuzz.sh --smoke [TARGET...]                 the CI smoke run: IOT_FUZZ_SECONDS (20) each,
#                                                     two at a time (IOT_FUZZ_JOBS)
#
# Builds the posix-fuzz preset (clang, libFuzzer, ASan + UBSan) and runs the
# targets the build registered (build/posix-fuzz/tests/fuzz/targets.txt,
# written by iot_fuzz_target() in tests/fuzz/CMakeLists.txt with each
# target's largest input), so a new target is run here, and in CI, without
# editing this script. Each starts from its committed corpus; new inputs
# collect in build/posix-fuzz/fuzz-long/<target>/ (fuzz-smoke/ for --smoke),
# outside the source tree. At the end it prints executions and time per
# target. A crash leaves crash-* (or oom-*, timeout-*) in that directory and
# makes the script fail: copy the input to tests/fuzz/corpus/<target>/ as
# crash-<hash> so every later run replays it, fix the bug and add a unit test.
#
# To fold the new coverage back into the committed corpus, keeping it small:
#   build/posix-fuzz/tests/fuzz/fuzz_<t> -merge=1 tests/fuzz/corpus/<t> build/posix-fuzz/fuzz-long/<t>
set -euo pipefail
cd "$(dirname "$0")/.."
smoke=0
if [ "${1:-}" = "--smoke" ]; then
  smoke=1
  shift
  seconds=${IOT_FUZZ_SECONDS:-20}
  jobs=${IOT_FUZZ_JOBS:-2}
  area=fuzz-smoke
else
  seconds=${1:-3600}
  shift || true
  jobs=${IOT_FUZZ_JOBS:-1}
  area=fuzz-long
fi
case $seconds in ''|*[!0-9]*) echo "usage: tools/fuzz.sh [--smoke] [SECONDS] [TARGET...]" >&2; exit 2 ;; esac
build=build/posix-fuzz
cmake --preset posix-fuzz >/dev/null
cmake --build "$build" --target fuzz -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
list=$build/tests/fuzz/targets.txt
[ -s "$list" ] || { echo "no fuzz targets registered ($list missing)" >&2; exit 1; }

declare -A max_len=()
registered=()
while read -r name len; do
  [ -n "$name" ] || continue
  registered+=("$name")
  max_len[$name]=$len
done <"$list"
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${registered[@]}")
for t in "${targets[@]}"; do
  [ -n "${max_len[$t]:-}" ] || { echo "unknown fuzz target '$t' (registered: ${registered[*]})" >&2; exit 2; }
  [ -x "$build/tests/fuzz/fuzz_$t" ] || { echo "fuzz_$t was not built" >&2; exit 1; }
done

run_one() {
  local t=$1 work=$build/$area/$1
  mkdir -p "$work"
  "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -max_len="${max_len[$t]}" -timeout=10 \
    -rss_limit_mb=1024 -print_final_stats=1 -artifact_prefix="$work/" \
    "$work" "tests/fuzz/corpus/$t" >"$work/fuzz.log" 2>&1
}

# Up to $jobs targets at once; each one's exit status is kept beside its directory.
mkdir -p "$build/$area"
running=0
for t in "${targets[@]}"; do
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
  (if run_one "$t"; then echo 0; else echo 1; fi >"$build/$area/$t.rc") &
  running=$((running + 1))
done
wait

rc=0
total=0
[ "$smoke" -eq 1 ] && echo "smoke run: ${seconds} s per target, ${jobs} at a time"
printf '%-18s %12s %8s %10s\n' target executions seconds exec/s
for t in "${targets[@]}"; do
  log=$build/$area/$t/fuzz.log
  if [ "$(cat "$build/$area/$t.rc" 2>/dev/null || echo 1)" != 0 ]; then
    echo "fuzz_$t FAILED; see $log and $build/$area/$t/crash-*" >&2
    rc=1
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
  secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n1)
  rate=$(awk -v e="${execs:-0}" -v s="${secs:-0}" 'BEGIN { printf "%d", (s > 0) ? e / s : 0 }')
  total=$((total + ${execs:-0}))
  printf '%-18s %12s %8s %10s\n' "$t" "${execs:-?}" "${secs:-?}" "$rate"
done
printf '%-18s %12s\n' total "$total"
exit "$rc"
