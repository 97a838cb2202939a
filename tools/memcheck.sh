#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The ctest suite under valgrind memcheck: any memory error or definite leak
# fails the run.
#
#   tools/memcheck.sh [BUILD_DIR]          default: build/posix-release (gcc)
#
# Unit tests run through ctest -T memcheck. Integration tests run their SDK
# program under valgrind through with_broker.sh (IOT_TEST_WRAPPER): the
# broker (mosquitto) and the Paho peer are not ours and run normally. Tests
# that run no SDK code (headers, docs, install, ABI) and the broker fixture's
# self-test are left out. Valgrind's logs: BUILD_DIR/Testing/Temporary/
# (unit) and BUILD_DIR/memcheck/ (integration).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/posix-release}
if [ ! -f "$build/CTestTestfile.cmake" ]; then
  cmake --preset posix-release -B "$build" >/dev/null
fi
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
build=$(cd "$build" && pwd)

opts="--error-exitcode=97 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite"
opts="$opts --track-origins=yes --num-callers=30 --trace-children=no"

echo "=== memcheck: unit tests"
(cd "$build" && ctest -T memcheck -L unit -j 2 --output-on-failure \
   --overwrite MemoryCheckCommand="$(command -v valgrind)" \
   --overwrite "MemoryCheckCommandOptions=$opts")

echo "=== memcheck: integration tests (SDK side)"
mkdir -p "$build/memcheck"
rm -f "$build"/memcheck/vg.*.log
(cd "$build" && IOT_TEST_WRAPPER="valgrind $opts --log-file=$build/memcheck/vg.%p.log" \
   ctest -L integration -E broker_selftest -j 2 --output-on-failure --timeout 1500)
# A failing run prints where valgrind complained.
if grep -l "ERROR SUMMARY: [1-9]\|definitely lost: [1-9]" "$build"/memcheck/vg.*.log 2>/dev/null; then
  echo "memcheck: errors above" >&2
  exit 1
fi
echo "=== memcheck: no errors, no definite leaks"
