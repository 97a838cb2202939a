#!/usr/bin/env bash
# Installs the built SDK into a temporary prefix, then builds and runs a
# downstream program against it twice: with pkg-config and with find_package.
# Usage: run.sh BUILD_DIR VERSION
set -euo pipefail
build=$1
version=$2
here=$(cd "$(dirname "$0")" && pwd)
cc=${CC:-cc}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

cmake --install "$build" --prefix "$prefix" >/dev/null
libdir=$(find "$prefix" -name corstone_iot.pc -printf '%h\n' | head -n1)
test -n "$libdir" || { echo "corstone_iot.pc not installed"; exit 1; }
export PKG_CONFIG_PATH=$libdir
# The .pc file was generated for the configured prefix; point it at ours.
sed -i "s|^prefix=.*|prefix=$prefix|" "$libdir/corstone_iot.pc"

# The PKCS#11 module, when built, is installed next to the libraries and
# loads on its own (the SDK is linked into it).
if [ -f "$build/src/pkcs11/libcorstone_iot_pkcs11.so" ]; then
  module="$(dirname "$libdir")/libcorstone_iot_pkcs11.so"
  test -f "$module" || { echo "libcorstone_iot_pkcs11.so not installed in $(dirname "$libdir")"; exit 1; }
  CORSTONE_IOT_PKCS11_STORE=$work/store pkcs11-tool --module "$module" --list-token-slots |
    grep -q "corstone-iot key store" || { echo "the installed PKCS#11 module does not load"; exit 1; }
  echo "== PKCS#11 module: $module"
fi

echo "== pkg-config: $(pkg-config --modversion corstone_iot)"
test "$(pkg-config --modversion corstone_iot)" = "$version"
# shellcheck disable=SC2046
"$cc" -std=c99 -Wall -Wextra -Werror -o "$work/pc_consumer" "$here/main.c" \
    $(pkg-config --cflags --libs corstone_iot)
LD_LIBRARY_PATH=$prefix/lib:$(dirname "$libdir") "$work/pc_consumer" "$version"
# Static link through Libs.private.
# shellcheck disable=SC2046
"$cc" -std=c99 -Wall -Wextra -Werror -o "$work/pc_consumer_static" "$here/main.c" \
    $(pkg-config --cflags corstone_iot) "$(dirname "$libdir")/libcorstone_iot.a" \
    $(pkg-config --libs-only-other --static corstone_iot) \
    $(pkg-config --libs-only-l --static corstone_iot | sed 's/-lcorstone_iot//')
"$work/pc_consumer_static" "$version"

echo "== find_package"
cmake -S "$here" -B "$work/build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" \
    -DCMAKE_BUILD_RPATH="$(dirname "$libdir")" >/dev/null
cmake --build "$work/build" >/dev/null
"$work/build/consumer" "$version"
"$work/build/consumer_static" "$version"
echo "consumer: pkg-config and find_package builds both work"
