#!/usr/bin/env bash
# Fetches the third-party sources the board builds use, as Debian source
# packages, into the build tree (never committed):
#   cmocka  the unit-test framework, cross-built for the on-target tests
# Usage: tools/fetch-board-deps.sh [destination]   (default: build/_deps)
# Needs a deb-src entry for the release's suites; it adds one
# (/etc/apt/sources.list.d/corstone-iot-src.sources) if apt has none, which
# needs root or sudo. Versions are pinned so that every machine builds the same
# sources.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${1:-build/_deps}
packages=(cmocka=1.1.5-2.1)

mkdir -p "$dest"
dest=$(cd "$dest" && pwd)

missing=()
for spec in "${packages[@]}"; do
  name=${spec%%=*}
  version=${spec#*=}
  upstream=${version%-*}
  [ -f "$dest/$name-$upstream/.fetched" ] || missing+=("$spec")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi

if ! apt-get source --print-uris -qq "${missing[0]%%=*}" >/dev/null 2>&1; then
  # No source index yet: mirror the binary entries' suites as deb-src.
  . /etc/os-release
  codename=${VERSION_CODENAME:?cannot tell the Debian release}
  echo "fetch-board-deps: adding a deb-src entry for $codename"
  $sudo tee /etc/apt/sources.list.d/corstone-iot-src.sources >/dev/null <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $codename $codename-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  $sudo apt-get update -qq
fi

command -v dpkg-source >/dev/null || { echo "fetch-board-deps: dpkg-source missing (install dpkg-dev)"; exit 1; }

work=$(mktemp -d "$dest/.fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT
for spec in "${missing[@]}"; do
  name=${spec%%=*}
  version=${spec#*=}
  upstream=${version%-*}
  echo "fetch-board-deps: $name $version"
  (cd "$work" && apt-get source -qq "$spec" >/dev/null 2>&1) ||
    { echo "fetch-board-deps: apt-get source $spec failed"; exit 1; }
  rm -rf "${dest:?}/$name-$upstream"
  mv "$work/$name-$upstream" "$dest/"
  touch "$dest/$name-$upstream/.fetched"
done
