#!/usr/bin/env bash
# Installs the Debian packages the build, the tests and the demo need,
# skipping those already present. Usage: tools/deps.sh [extra packages...]
set -euo pipefail

packages=(
  cmake make gcc g++ clang libclang-rt-14-dev pkg-config git
  libmbedtls-dev libpaho-mqtt-dev libcmocka-dev
  doxygen abigail-tools
  mosquitto mosquitto-clients libmosquitto-dev openssl
  gcc-arm-none-eabi libnewlib-arm-none-eabi binutils-arm-none-eabi
  qemu-system-arm dpkg-dev
  libp11-kit-dev opensc libcbor-dev
  valgrind cppcheck clang-tidy lcov iproute2
  python3 python3-cryptography python3-click python3-intelhex python3-cbor2
  "$@"
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "deps: need root or sudo to install ${missing[*]}"; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
