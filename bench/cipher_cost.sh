#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Instructions Mbed TLS (the SDK's TLS library) and OpenSSL (Paho's and
# libmosquitto's) spend to seal one TLS 1.2 record, per AEAD the SDK offers,
# measured with callgrind (repeatable on a busy machine):
#   bench/cipher_cost.sh
# For each cipher and record size, (Ir(600 records) - Ir(100 records)) / 500,
# so start-up cancels out. From a 4-byte record (a PUBACK) and a 4176-byte
# one (16 PUBLISHes of 256 bytes) it derives the cost per record and per byte.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
command -v valgrind > /dev/null || { echo "cipher_cost.sh: valgrind not found" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/cipher-cost.XXXXXX")
trap 'rm -rf "$work"' EXIT
cc -O2 -std=c11 -Wall -Wextra "$here/cipher_cost.c" -lmbedcrypto -o "$work/mbedtls"
cc -O2 -std=c11 -Wall -Wextra "$here/cipher_cost_openssl.c" -lcrypto -o "$work/openssl"
"$work/mbedtls" aes-256-gcm 1 16 | sed 's/^[^ ]* records=1 bytes=16 /Mbed TLS: /; s/ check=.*//'

ir() { # library cipher count bytes -> total Ir
  valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" "$work/$1" "$2" "$3" "$4" \
    > /dev/null 2> "$work/cg.err" || { cat "$work/cg.err" >&2; exit 1; }
  sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$work/cg.out"
}
per_record() { # library cipher bytes -> Ir per record
  local a b
  a=$(ir "$1" "$2" 600 "$3")
  b=$(ir "$1" "$2" 100 "$3")
  echo $(( (a - b) / 500 ))
}
mbed=$(dpkg-query -W -f='${Version}' libmbedtls-dev 2>/dev/null || echo '?')
ossl=$(openssl version 2>/dev/null | awk '{print $2}')
echo "| library | AEAD | Ir per 4-byte record | Ir per 261-byte record | Ir per 4176-byte record | Ir per byte | Ir per record |"
echo "|---|---|---:|---:|---:|---:|---:|"
for lib in mbedtls openssl; do
  for c in aes-256-gcm aes-128-gcm chacha20-poly1305; do
    s=$(per_record "$lib" "$c" 4)
    m=$(per_record "$lib" "$c" 261)
    l=$(per_record "$lib" "$c" 4176)
    name=$([ "$lib" = mbedtls ] && echo "Mbed TLS $mbed" || echo "OpenSSL $ossl")
    awk -v n="$name" -v c="$c" -v s="$s" -v m="$m" -v l="$l" 'BEGIN {
      b = (l - s) / (4176 - 4); r = s - 4 * b
      printf "| %s | %s | %d | %d | %d | %.1f | %.0f |\n", n, c, s, m, l, b, r }'
  done
done
