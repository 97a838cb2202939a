#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Long fuzzing runs (the ctest smoke runs each target for IOT_FUZZ_SECONDS).
#
#   tools/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     default: 3600 s, every target
#
# Builds the posix-fuzz preset (clang, libFuzzer, ASan + UBSan), then runs
# each target in turn from its committed corpus; new inputs collect in
# build/posix-fuzz/fuzz-long/<target>/ (outside the source tree). At the end
# it prints executions and time per target. A crash leaves crash-* in that
# directory and makes the script fail: copy the input to
# tests/fuzz/corpus/<target>/ (keep the crash- name) so every later run
# replays it, fix the bug and add a unit test (tests/unit/test_fuzz_regressions.c).
#
# To fold the new coverage back into the committed corpus, keeping it small:
#   build/posix-fuzz/tests/fuzz/fuzz_<t> -merge=1 tests/fuzz/corpus/<t> build/posix-fuzz/fuzz-long/<t>
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-3600}
shift || true
cmake --preset posix-fuzz >/dev/null
cmake --build build/posix-fuzz --target fuzz -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in build/posix-fuzz/tests/fuzz/fuzz_*; do
    [ -x "$f" ] && [ -f "$f" ] && targets+=("${f##*/fuzz_}")
  done
fi
rc=0
printf '%-18s %12s %8s %10s\n' target executions seconds exec/s
for t in "${targets[@]}"; do
  work=build/posix-fuzz/fuzz-long/$t
  mkdir -p "$work"
  log=$work/fuzz.log
  if ! "build/posix-fuzz/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
      -rss_limit_mb=1024 -print_final_stats=1 -artifact_prefix="$work/" \
      "$work" "tests/fuzz/corpus/$t" >"$log" 2>&1; then
    echo "fuzz_$t FAILED; see $log and $work/crash-*" >&2
    rc=1
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
  secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n1)
  rate=$(awk -v e="${execs:-0}" -v s="${secs:-0}" 'BEGIN { printf "%d", (s > 0) ? e / s : 0 }')
  printf '%-18s %12s %8s %10s\n' "$t" "${execs:-?}" "${secs:-?}" "$rate"
done
exit "$rc"
