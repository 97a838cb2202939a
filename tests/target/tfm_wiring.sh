#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The build against TF-M's non-secure interface (ports/common/tfm.cmake),
# checked without a TF-M secure image: a stand-in api_ns folder with the
# layout TF-M installs (its PSA headers are Mbed TLS's, which declare the
# same PSA Crypto API; the Internal Trusted Storage and Firmware Update
# headers are the declarations of their PSA specifications; the client
# sources are empty, so every PSA call stays unresolved at the link).
#
#   1. an api_ns folder without the veneers, and one without the platform's
#      region values, are refused at configure time, naming what is missing;
#   2. a complete one configures; blinky links at the non-secure code and
#      data regions given (vector table at NS_CODE_START);
#   3. the telemetry image's only unresolved symbols are PSA calls (TF-M's
#      client interface provides them) and the firmware-update adapter's
#      board extensions (the product's), among them psa_generate_random
#      (entropy); the SDK library calls psa_its_* (the object store over
#      ITS) and psa_sign_hash and defines neither; Mbed TLS is built without
#      its own PSA Crypto core.
#
#   tfm_wiring.sh SOURCE_DIR DEPS_DIR
set -uo pipefail
src=$1 deps=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/iot-tfm-wiring.XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

api=$work/api_ns
mkdir -p "$api/interface/include/psa" "$api/interface/src/os_wrapper" "$api/interface/lib"
cp "$deps"/mbedtls-2.28.3/include/psa/*.h "$api/interface/include/psa/"
cat > "$api/interface/include/psa/internal_trusted_storage.h" <<'H'
/* PSA Certified Secure Storage API 1.0, Internal Trusted Storage. */
#ifndef PSA_INTERNAL_TRUSTED_STORAGE_H
#define PSA_INTERNAL_TRUSTED_STORAGE_H
#include <stddef.h>
#include <stdint.h>
#include <psa/crypto.h>
typedef uint64_t psa_storage_uid_t;
typedef uint32_t psa_storage_create_flags_t;
struct psa_storage_info_t {
    size_t capacity;
    size_t size;
    psa_storage_create_flags_t flags;
};
#define PSA_STORAGE_FLAG_NONE 0u
psa_status_t psa_its_set(psa_storage_uid_t uid, size_t data_length, const void *p_data,
                         psa_storage_create_flags_t create_flags);
psa_status_t psa_its_get(psa_storage_uid_t uid, size_t data_offset, size_t data_size,
                         void *p_data, size_t *p_data_length);
psa_status_t psa_its_get_info(psa_storage_uid_t uid, struct psa_storage_info_t *p_info);
psa_status_t psa_its_remove(psa_storage_uid_t uid);
#endif
H
# The Firmware Update API 1.0 declarations: the ones the SDK carries for its
# stand-in (ports/common/fwu/iot_fwu.h, between its IOT_FWU_EXTERNAL #else
# and #endif), as the platform's <psa/update.h>.
{
  echo '#ifndef PSA_UPDATE_H'
  echo '#define PSA_UPDATE_H'
  echo '#include <stddef.h>'
  echo '#include <stdint.h>'
  echo '#include <psa/crypto.h>'
  awk '/^#ifdef IOT_FWU_EXTERNAL/ { skip = 1; next }
       skip == 1 && /^#else/ { on = 1; next }
       on && /^#endif \/\* IOT_FWU_EXTERNAL/ { exit }
       on { print }' "$src/ports/common/fwu/iot_fwu.h"
  echo '#endif'
} > "$api/interface/include/psa/update.h"
for f in tfm_crypto_api.c tfm_its_api.c tfm_fwu_api.c tfm_tz_psa_ns_api.c tfm_attest_api.c \
         os_wrapper/tfm_ns_interface_bare_metal.c; do
  echo "typedef int empty_translation_unit;" > "$api/interface/src/$f"
done

regions=(-DIOT_TFM_NS_CODE_START=0x28080400 -DIOT_TFM_NS_CODE_SIZE=0x78000
         -DIOT_TFM_NS_DATA_START=0x21100000 -DIOT_TFM_NS_DATA_SIZE=0x100000)
configure() { # build-dir extra-args...
  local b=$1
  shift
  cmake -S "$src" -B "$work/$b" --toolchain "$src/cmake/toolchain-arm-none-eabi.cmake" \
    -DIOT_PORT=corstone300 -DCMAKE_BUILD_TYPE=MinSizeRel -DIOT_BOARD_TESTS=OFF \
    -DIOT_BOARD_DEPS_DIR="$deps" -DIOT_TFM_API_NS="$api" "$@" > "$work/$b.log" 2>&1
}

# 1. refusals
if configure no-veneers "${regions[@]}"; then
  fail "an api_ns folder without interface/lib/s_veneers.o was accepted"
elif ! grep -q "s_veneers.o" "$work/no-veneers.log"; then
  fail "the refusal does not name s_veneers.o"; cat "$work/no-veneers.log"
fi
echo "typedef int veneers;" > "$work/v.c"
arm-none-eabi-gcc -mcpu=cortex-m55 -mthumb -mfloat-abi=hard -c "$work/v.c" \
  -o "$api/interface/lib/s_veneers.o" || fail "cannot build the stand-in veneers object"
if configure no-regions; then
  fail "a build without the TF-M platform's regions was accepted"
elif ! grep -q "IOT_TFM_NS_CODE_START" "$work/no-regions.log"; then
  fail "the refusal does not name IOT_TFM_NS_CODE_START"; cat "$work/no-regions.log"
fi

# 2. the non-secure memory map
if ! configure ok "${regions[@]}"; then
  fail "a complete api_ns folder was refused"; cat "$work/ok.log"
  exit 1
fi
if ! cmake --build "$work/ok" --target blinky -j 2 > "$work/blinky.log" 2>&1; then
  fail "blinky does not link against the stand-in api_ns"; tail -30 "$work/blinky.log"
else
  elf=$work/ok/samples/blinky/blinky.elf
  section_addr() { # name: the section's address, from the section table
    arm-none-eabi-readelf -SW "$elf" |
      awk -v n="$1" '{ for (i = 1; i < NF; i++) if ($i == n) { print $(i + 2); exit } }'
  }
  vec=$(section_addr .vectors)
  data=$(section_addr .data)
  [ "$vec" = "28080400" ] || fail "vector table at 0x$vec, not at NS_CODE_START 0x28080400"
  case $data in 211*) ;; *) fail ".data at 0x$data, outside the NS data region" ;; esac
  echo "blinky: vectors at 0x$vec, .data at 0x$data"
fi

# 3. PSA calls go to TF-M's client interface
cmake --build "$work/ok" --target telemetry -j 2 > "$work/telemetry.log" 2>&1
undefined=$(grep -oE "undefined reference to \`[A-Za-z_0-9]+'" "$work/telemetry.log" |
            sed -E "s/.*\`([A-Za-z_0-9]+)'/\1/" | sort -u)
if [ -z "$undefined" ]; then
  fail "telemetry linked without TF-M's client interface: PSA calls were served in the image"
  tail -20 "$work/telemetry.log"
fi
for s in $undefined; do
  case $s in
    psa_*) ;;
    # The firmware-update adapter's board extensions: a TF-M product provides
    # them (doc/boards.md, "Building against TF-M"); attestation measures the
    # active image through them.
    iot_fwu_read_active | iot_fwu_read_second | iot_fwu_boot_transition | iot_fwu_written) ;;
    *) fail "unresolved symbol that TF-M does not provide: $s" ;;
  esac
done
for s in psa_generate_random psa_crypto_init; do
  grep -qx "$s" <<< "$undefined" || fail "$s is not routed to TF-M's client interface"
done
# The key store (object store over ITS, signing) is linked only by images
# that start it (the telemetry image does not: iot_keystore_init() attaches
# the TLS glue that calls it), so its calls are checked in the library: used
# by the SDK and defined neither there nor in Mbed TLS.
cmake --build "$work/ok" --target corstone_iot_static -j 2 >> "$work/telemetry.log" 2>&1
sdk_undefined=$(arm-none-eabi-nm -u "$work/ok/src/libcorstone_iot.a" 2>/dev/null | awk '{ print $NF }' | sort -u)
sdk_defined=$(arm-none-eabi-nm --defined-only "$work/ok/src/libcorstone_iot.a" \
              "$work/ok/libiot_board_mbedtls.a" 2>/dev/null | awk 'NF == 3 { print $3 }' | sort -u)
for s in psa_its_get psa_its_get_info psa_sign_hash; do
  if ! grep -qx "$s" <<< "$sdk_undefined" || grep -qx "$s" <<< "$sdk_defined"; then
    fail "$s is not routed to TF-M's client interface"
  fi
done
mbedtls_symbols=$(arm-none-eabi-nm "$work/ok/libiot_board_mbedtls.a" 2>/dev/null)
if grep -q " T psa_crypto_init$" <<< "$mbedtls_symbols"; then
  fail "Mbed TLS was built with its own PSA Crypto core"
fi
echo "telemetry: $(wc -w <<< "$undefined") PSA calls left to TF-M:" $undefined

if [ "$failures" -ne 0 ]; then
  echo "tfm wiring: $failures failure(s)"
  exit 1
fi
echo "tfm wiring: all checks passed"
