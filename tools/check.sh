#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The reliability checks, one after the other (doc/testing.md):
#   fuzz       every libFuzzer target for IOT_FUZZ_SECONDS (default 20) each,
#              from its committed corpus (preset posix-fuzz: ASan + UBSan;
#              tools/fuzz.sh --smoke)
#   asan       the whole ctest suite under ASan + UBSan (preset posix-debug-asan)
#   valgrind   the unit and integration tests under valgrind memcheck
#   analysis   cppcheck and clang-tidy, zero findings; the MISRA report
#   coverage   line and branch coverage of src/ against the targets
#   netem      the 10,000-message stream through an impaired link (root)
#
#   tools/check.sh [--after-test-sh] [STAGE...]
#
# --after-test-sh skips the asan stage's ctest run when tools/test.sh has
# just run the same suite (CI runs both). Runs every stage even after a
# failure, prints the time of each and exits non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
after_test_sh=0
stages=()
for a in "$@"; do
  case "$a" in
    --after-test-sh) after_test_sh=1 ;;
    fuzz|asan|valgrind|analysis|coverage|netem) stages+=("$a") ;;
    *) echo "usage: tools/check.sh [--after-test-sh] [fuzz|asan|valgrind|analysis|coverage|netem ...]" >&2; exit 2 ;;
  esac
done
[ ${#stages[@]} -eq 0 ] && stages=(fuzz asan valgrind analysis coverage netem)
jobs=$(nproc 2>/dev/null || echo 2)

stage_fuzz() {
  # Every target the build registers (tools/fuzz.sh reads the list from it).
  IOT_FUZZ_JOBS=$jobs bash tools/fuzz.sh --smoke
}
stage_asan() {
  cmake --preset posix-debug-asan >/dev/null &&
    cmake --build --preset posix-debug-asan -j "$jobs" >/dev/null || return 1
  if [ "$after_test_sh" -eq 1 ]; then
    echo "  suite already run by tools/test.sh in this job; build checked only"
    return 0
  fi
  ctest --preset posix-debug-asan -j "$jobs"
}
stage_valgrind() { bash tools/memcheck.sh build/posix-release; }
stage_analysis() { bash tools/analyze.sh; }
stage_coverage() { bash tools/coverage.sh; }
stage_netem() {
  local b=build/posix-release
  cmake --preset posix-release >/dev/null &&
    cmake --build "$b" --target netem_pub linkem paho_peer -j "$jobs" >/dev/null &&
    bash tests/netem/run.sh "$b/tests/netem/netem_pub" "$b/tests/integration/paho_peer" \
      "$b/tests/netem/linkem"
  local rc=$?
  [ "$rc" -eq 77 ] && return 0 # skipped, with its reason printed
  return "$rc"
}

results=()
failed=0
start_all=$SECONDS
for s in "${stages[@]}"; do
  echo "=== check: $s"
  t=$SECONDS
  if "stage_$s"; then r=ok; else r=FAILED; failed=1; fi
  results+=("$(printf '%-9s %-6s %4d s' "$s" "$r" $((SECONDS - t)))")
done
echo "=== check: summary"
printf '  %s\n' "${results[@]}"
echo "  total $((SECONDS - start_all)) s"
exit "$failed"
