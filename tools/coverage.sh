#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Line and branch coverage of the portable core (src/) by the unit and
# integration tests: gcc --coverage, then lcov.
#
#   tools/coverage.sh            build/coverage; HTML in build/coverage/html/
#
# Prints the summary and writes build/coverage/summary.txt. Fails if a test
# fails, or if coverage is below IOT_COVERAGE_MIN_LINES / _BRANCHES (percent;
# defaults 90 and 80).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=$root/build/coverage
min_lines=${IOT_COVERAGE_MIN_LINES:-90}
min_branches=${IOT_COVERAGE_MIN_BRANCHES:-80}
jobs=$(nproc 2>/dev/null || echo 2)

cmake --preset posix-release -B "$build" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=gcc \
      -DCMAKE_C_FLAGS="--coverage -O0 -fprofile-update=atomic" -DCMAKE_EXE_LINKER_FLAGS=--coverage \
      -DIOT_BUILD_SHARED=OFF -DIOT_BUILD_SAMPLES=ON -DIOT_BUILD_DOCS=OFF >/dev/null
cmake --build "$build" -j "$jobs" >/dev/null
find "$build" -name '*.gcda' -delete
(cd "$build" && ctest -L "unit|integration" -j "$jobs" --output-on-failure)

lcov_rc=(--rc lcov_branch_coverage=1)
lcov --quiet "${lcov_rc[@]}" --capture --directory "$build" --base-directory "$root" \
     --output-file "$build/all.info" 2>/dev/null
lcov --quiet "${lcov_rc[@]}" --extract "$build/all.info" "$root/src/*" \
     --output-file "$build/src.info"
lcov "${lcov_rc[@]}" --list "$build/src.info" | tee "$build/files.txt" | tail -n +1 >/dev/null
lcov "${lcov_rc[@]}" --summary "$build/src.info" 2>&1 | grep -E "lines|branches|functions" |
  tee "$build/summary.txt"
genhtml --quiet "${lcov_rc[@]}" --prefix "$root" --output-directory "$build/html" "$build/src.info" \
  >/dev/null 2>&1 || echo "coverage: genhtml failed; the summary above stands" >&2

lines=$(sed -n 's/.*lines\.*: \([0-9.]*\)%.*/\1/p' "$build/summary.txt")
branches=$(sed -n 's/.*branches\.*: \([0-9.]*\)%.*/\1/p' "$build/summary.txt")
echo "src/ coverage: lines ${lines}% (target ${min_lines}%), branches ${branches}% (target ${min_branches}%)"
awk -v l="$lines" -v b="$branches" -v ml="$min_lines" -v mb="$min_branches" \
  'BEGIN { exit !(l >= ml && b >= mb) }' || { echo "coverage: below target" >&2; exit 1; }
