#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Static analysis of src/ and ports/: cppcheck and clang-tidy with the
# checked-in configurations (.clang-tidy, tools/cppcheck-suppressions.txt and
# inline suppressions, each with its reason). Any finding fails.
#
#   tools/analyze.sh [--misra-only]
#
# The compile databases come from a posix build (src/ and ports/posix) and,
# when arm-none-eabi-gcc is installed, from the corstone300 and corstone310
# builds (ports/common and the board ports). The MISRA C 2012 addon of
# cppcheck then reports on src/ without failing (doc/misra.md lists the
# deviations); its findings go to build/analysis/misra.txt and the count per
# rule for the portable core (src/) to build/analysis/misra-summary.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out=$root/build/analysis
mkdir -p "$out"
jobs=$(nproc 2>/dev/null || echo 2)
misra_only=0
[ "${1:-}" = "--misra-only" ] && misra_only=1

# configure NAME PRESET FILTER...: a compile database of the files under the
# given source folders, in $out/NAME/cc.json (clang-tidy reads the full one).
configure() {
  local name=$1 preset=$2
  shift 2
  cmake --preset "$preset" -B "$out/$name" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
        -DIOT_BUILD_TESTS=OFF -DIOT_BUILD_SAMPLES=OFF -DIOT_BUILD_DOCS=OFF >/dev/null
  python3 - "$out/$name/compile_commands.json" "$out/$name/cc.json" "$root" "$@" <<'PY'
import json, sys
db, dst, root, dirs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
keep = [e for e in json.load(open(db)) if any(e["file"].startswith(f"{root}/{d}/") for d in dirs)]
json.dump(keep, open(dst, "w"), indent=1)
PY
}

configure posix posix-release src ports/posix
dbs=(posix)
tidy_extra=()
if command -v arm-none-eabi-gcc >/dev/null; then
  configure cs300 corstone300 ports/common ports/corstone300
  configure cs310 corstone310 ports/corstone310
  dbs+=(cs300 cs310)
  # clang reads the gcc command lines; it needs newlib's headers and
  # tolerates gcc-only options.
  tidy_extra=(--extra-arg=--sysroot=/usr/lib/arm-none-eabi
              --extra-arg=-Wno-unused-command-line-argument
              --extra-arg=-Wno-ignored-optimization-argument
              --extra-arg=-Wno-unknown-warning-option)
else
  echo "analyze: arm-none-eabi-gcc missing; ports/common and board ports not analysed" >&2
fi

fail=0
if [ "$misra_only" -eq 0 ]; then
  for db in "${dbs[@]}"; do
    echo "=== cppcheck ($db)"
    mkdir -p "$out/$db/cppcheck"
    if ! cppcheck --project="$out/$db/cc.json" --enable=warning,style,performance,portability \
        --std=c11 --inline-suppr --suppressions-list=tools/cppcheck-suppressions.txt \
        --cppcheck-build-dir="$out/$db/cppcheck" -j "$jobs" --quiet --error-exitcode=1 \
        --template='{file}:{line}: {severity}: {message} [{id}]'; then
      fail=1
    fi
  done
  for db in "${dbs[@]}"; do
    echo "=== clang-tidy ($db)"
    extra=()
    [ "$db" != posix ] && extra=("${tidy_extra[@]}")
    if ! python3 -c 'import json,sys; print("\n".join(e["file"] for e in json.load(open(sys.argv[1]))))' \
        "$out/$db/cc.json" | sort -u |
        xargs -P "$jobs" -n 4 clang-tidy -p "$out/$db" --quiet "${extra[@]}" 2>/dev/null; then
      fail=1
    fi
  done
fi

echo "=== MISRA C 2012 (cppcheck addon; reported, not gating)"
mkdir -p "$out/misra-build"
cppcheck --project="$out/posix/cc.json" --addon=misra --std=c11 --quiet -j 1 \
    --cppcheck-build-dir="$out/misra-build" \
    --suppressions-list=tools/cppcheck-suppressions.txt \
    --template='{file}:{line}: {id}' 2>"$out/misra.raw" || true
sed "s|^$root/||" "$out/misra.raw" >"$out/misra.txt"
grep "^src/" "$out/misra.txt" | sed -n 's/.*: misra-c2012-\([0-9.]*\)$/\1/p' | sort -t. -k1,1n -k2,2n | uniq -c |
  awk '{ printf "Rule %-6s %5d\n", $2, $1 }' >"$out/misra-summary.txt"
echo "src/: $(grep -c "^src/" "$out/misra.txt" || true) findings over $(wc -l <"$out/misra-summary.txt") rules;" \
     "per rule: build/analysis/misra-summary.txt"

if [ "$fail" -ne 0 ]; then
  echo "analyze: findings above" >&2
  exit 1
fi
[ "$misra_only" -eq 0 ] && echo "=== analyze: no findings from cppcheck or clang-tidy"
exit 0
