#!/usr/bin/env bash
# Fetches the third-party sources the board builds use, as Debian source
# packages, into the build tree (never committed):
#   cmocka   the unit-test framework, cross-built for the on-target tests
#   lwip     the TCP/IP stack of the board network port (ports/common/lwip)
#   mbedtls  TLS and PSA Crypto for the board builds (ports/common/mbedtls)
# Usage: tools/fetch-board-deps.sh [destination]   (default: build/_deps)
# Needs a deb-src entry for the release's suites. If apt has none, it adds one
# (/etc/apt/sources.list.d/corstone-iot-src.sources, needs root or sudo) that
# mirrors the machine's own binary entries: the same archives (URIs), suites,
# components and keyrings, read from /etc/apt/sources.list and the deb822
# /etc/apt/sources.list.d/*.sources files, so no archive is named here. Versions are pinned so that every machine builds the same
# sources.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${1:-build/_deps}
packages=(cmocka=1.1.5-2.1 lwip=2.1.3+dfsg1-2 mbedtls=2.28.3-1)

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

# Prints deb822 "deb-src" stanzas that mirror the enabled binary ("deb")
# entries for release $1 (its suites, -updates and -security), from the
# one-line sources.list format and from deb822 .sources files.
binary_entries_as_source() {
  local codename=$1 files=()
  [ -f /etc/apt/sources.list ] && files+=(/etc/apt/sources.list)
  for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && [ "$(basename "$f")" != corstone-iot-src.sources ] && files+=("$f")
  done
  [ ${#files[@]} -gt 0 ] || return 0
  awk -v rel="$codename" '
    function ours(suite) { return suite == rel || suite == rel "-updates" || suite == rel "-security" }
    function emit(uris, suites, comps, signed,   n, i, s, keep) {
      n = split(suites, s, /[ \t]+/); keep = ""
      for (i = 1; i <= n; i++) if (ours(s[i])) keep = keep (keep == "" ? "" : " ") s[i]
      if (keep == "" || uris == "" || comps == "") return
      printf "%sTypes: deb-src\nURIs: %s\nSuites: %s\nComponents: %s\n", (out++ ? "\n" : ""), uris, keep, comps
      if (signed != "") printf "Signed-By: %s\n", signed
    }
    function flush() {
      if (types ~ /(^|[ \t])deb([ \t]|$)/ && enabled != "no") emit(uris, suites, comps, signed)
      types = uris = suites = comps = signed = enabled = ""
    }
    FILENAME ~ /\.sources$/ {
      if ($0 ~ /^[ \t]*$/) { flush(); next }
      if ($0 ~ /^#/) next
      key = tolower($1); sub(/:$/, "", key); val = $0; sub(/^[^:]*:[ \t]*/, "", val)
      if (key == "types") types = val
      else if (key == "uris") uris = val
      else if (key == "suites") suites = val
      else if (key == "components") comps = val
      else if (key == "signed-by") signed = val
      else if (key == "enabled") enabled = tolower(val)
      next
    }
    FNR == 1 { flush() }
    $1 == "deb" {
      signed = ""; i = 2
      if ($2 ~ /^\[/) {
        opts = ""
        for (; i <= NF; i++) { opts = opts " " $i; if ($i ~ /\]$/) { i++; break } }
        if (match(opts, /signed-by=[^ \]]+/)) signed = substr(opts, RSTART + 10, RLENGTH - 10)
      }
      comps = ""
      for (j = i + 2; j <= NF && $j !~ /^#/; j++) comps = comps (comps == "" ? "" : " ") $j
      emit($i, $(i + 1), comps, signed); signed = ""
    }
    END { flush() }
  ' "${files[@]}"
}

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi

if ! apt-get source --print-uris -qq "${missing[0]%%=*}" >/dev/null 2>&1; then
  # No source index yet: mirror the binary entries of this release as deb-src.
  . /etc/os-release
  codename=${VERSION_CODENAME:?cannot tell the Debian release}
  entries=$(binary_entries_as_source "$codename")
  [ -n "$entries" ] ||
    { echo "fetch-board-deps: no apt binary entry for $codename to derive a deb-src entry from"; exit 1; }
  echo "fetch-board-deps: adding deb-src entries for $codename"
  printf '%s\n' "$entries" | $sudo tee /etc/apt/sources.list.d/corstone-iot-src.sources >/dev/null
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
