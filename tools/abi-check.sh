#!/usr/bin/env bash
# ABI guard: compares the built shared library with the baseline of the last
# release (abi/). An incompatible change fails unless the major version grew.
#   tools/abi-check.sh LIB VERSION          check
#   tools/abi-check.sh --update LIB VERSION record LIB as the new baseline (at a release)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
baseline=$root/abi/libcorstone_iot.abi
baseline_version_file=$root/abi/BASELINE_VERSION

update=0
if [ "${1:-}" = "--update" ]; then update=1; shift; fi
lib=${1:?usage: abi-check.sh [--update] LIB VERSION}
version=${2:?usage: abi-check.sh [--update] LIB VERSION}

for tool in abidw abidiff; do
  command -v "$tool" >/dev/null || { echo "abi-check: $tool not found (install abigail-tools)"; exit 1; }
done

if [ $update = 1 ]; then
  abidw --no-corpus-path --no-comp-dir-path --no-show-locs --headers-dir "$root/include/corstone_iot" \
        --out-file "$baseline" "$lib"
  echo "$version" > "$baseline_version_file"
  echo "abi-check: baseline recorded for $version"
  exit 0
fi

[ -f "$baseline" ] || { echo "abi-check: no baseline in abi/"; exit 1; }
base_version=$(cat "$baseline_version_file")
if [ "${version%%.*}" != "${base_version%%.*}" ]; then
  echo "abi-check: major version changed ($base_version -> $version): incompatible changes allowed"
  exit 0
fi

set +e
abidiff --no-show-locs --headers-dir2 "$root/include/corstone_iot" "$baseline" "$lib" > /tmp/abidiff.$$ 2>&1
rc=$?
set -e
cat /tmp/abidiff.$$; rm -f /tmp/abidiff.$$
if [ $((rc & 1)) -ne 0 ] || [ $((rc & 2)) -ne 0 ]; then
  echo "abi-check: abidiff failed to run (exit $rc)"; exit 1
fi
if [ $((rc & 8)) -ne 0 ]; then
  echo "abi-check: INCOMPATIBLE ABI change against $base_version with the same major version"
  exit 1
fi
if [ $((rc & 4)) -ne 0 ]; then
  echo "abi-check: compatible ABI additions against $base_version"
else
  echo "abi-check: ABI identical to $base_version"
fi
