#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# iot-provision as an operator uses it, on a fresh store:
#
#   provision_test.sh IOT_PROVISION GEN_CERTS_SH
#
# import a device key and certificate (PEM) and a PSK; generate a key, print its CSR
# (checked with `openssl req -verify`), have the test CA certify it and import
# the certificate; list; delete by label and by id. Refusals, each with its
# exit code, message and status name, and each leaving the store's files
# byte for byte as they were: bad PEM, truncated PEM, bad PSK text, wrong key type,
# unsupported curve, duplicate label, a certificate for another key, a full
# store (also in the middle of a key + certificate import), a damaged object
# file, a damaged id counter, bad usage.
set -uo pipefail

prov=${1:?usage: provision_test.sh IOT_PROVISION GEN_CERTS_SH}
gen=${2:?usage: provision_test.sh IOT_PROVISION GEN_CERTS_SH}

work=$(mktemp -d "${TMPDIR:-/tmp}/iot-provision-test.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
pki=$work/pki
store=$work/store
bash "$gen" "$pki" >/dev/null || { echo "gen-certs failed" >&2; exit 2; }

failures=0
checks=0
out=$work/out.txt

bad() {
  echo "FAIL: $*" >&2
  echo "---- output:" >&2
  cat "$out" >&2
  failures=$((failures + 1))
}

# run WANT_RC PATTERN ARGS...: runs iot-provision with the store, expects the
# exit code and an extended regular expression in its stdout + stderr.
run() {
  local want=$1 pattern=$2 rc
  shift 2
  checks=$((checks + 1))
  "$prov" --store "$store" "$@" >"$out" 2>&1
  rc=$?
  if [ "$rc" -ne "$want" ]; then
    bad "iot-provision $*: exit $rc, want $want"
    return
  fi
  if ! grep -Eq -- "$pattern" "$out"; then
    bad "iot-provision $*: output lacks /$pattern/"
  fi
}

# Fingerprint of every file in the store (names and contents). With
# IGNORE_COUNTER=1 the id counter is left out: an import that is rolled back
# (key imported, certificate refused, key destroyed) has used up an id, and
# ids are never reused.
snapshot() {
  (cd "$store" && find . -type f | LC_ALL=C sort | xargs sha256sum) 2>/dev/null |
    if [ "${IGNORE_COUNTER:-0}" = 1 ]; then grep -v "000000004b000000.obj"; else cat; fi
}

# refuse WANT_RC PATTERN ARGS...: like run, and the store must not change.
refuse() {
  local before after
  before=$(snapshot)
  run "$@"
  after=$(snapshot)
  checks=$((checks + 1))
  if [ "$before" != "$after" ]; then
    echo "FAIL: iot-provision ${*:3} changed the store" >&2
    diff <(echo "$before") <(echo "$after") >&2
    failures=$((failures + 1))
  fi
}

# ---- the operator's path ---------------------------------------------------

run 0 "imported private key id [0-9]+ and certificate id [0-9]+ as 'device'" \
  import --key "$pki/client.key" --cert "$pki/client.crt" --label device
run 0 "imported certificate id [0-9]+ as 'fleet-ca'" import --cert "$pki/ca.crt" --label fleet-ca

"$prov" --store "$store" generate --label dev-42 --subject "C=GB,O=Acme Devices,CN=dev-42" \
  >"$work/dev-42.csr" 2>"$work/gen.err"
checks=$((checks + 1))
if [ $? -ne 0 ] || ! grep -q "generated ec-p256 key id" "$work/gen.err"; then
  cp "$work/gen.err" "$out"; bad "generate"
fi
# OpenSSL 3.0 exits 0 even for a bad signature: read its verdict.
checks=$((checks + 1))
if ! openssl req -in "$work/dev-42.csr" -noout -verify >"$out" 2>&1 || ! grep -q "verify OK" "$out" ||
   grep -qi "fail" "$out"; then
  bad "openssl req -verify of the CSR"
fi
checks=$((checks + 1))
openssl req -in "$work/dev-42.csr" -noout -subject -nameopt RFC2253 >"$out" 2>&1
grep -q "subject=CN=dev-42,O=Acme Devices,C=GB" "$out" || bad "CSR subject"
# The CSR's key is the store's: the store signs, openssl checks with the CSR's key.
checks=$((checks + 1))
openssl x509 -req -in "$work/dev-42.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" \
  -CAcreateserial -days 2 -sha256 -out "$work/dev-42.crt" >"$out" 2>&1 || bad "CA signs the CSR"
run 0 "imported certificate id [0-9]+ as 'dev-42' for private key id [0-9]+" \
  import --cert "$work/dev-42.crt" --label dev-42

"$prov" --store "$store" generate --label dev-43 --subject "CN=dev-43" --type p384 \
  >"$work/dev-43.csr" 2>/dev/null
checks=$((checks + 1))
openssl req -in "$work/dev-43.csr" -noout -verify >"$out" 2>&1 && grep -q "verify OK" "$out" ||
  bad "P-384 CSR"
run 0 "BEGIN CERTIFICATE REQUEST" csr --label dev-43 --subject "CN=dev-43-again"
run 0 "imported pre-shared key id [0-9]+ \(32 bytes\) as 'device-psk'" import --psk "$pki/psk.hex" --label device-psk

run 0 "private-key +ec-p256 .*device" list
run 0 "certificate .*dev-42" list
run 0 "private-key +ec-p384 .*dev-43" list
run 0 "secret-key +psk +256 .*device-psk" list
run 0 "7 of 16 entries used" list

# ---- refusals, each leaving the store as it was ----------------------------

printf -- '-----BEGIN PRIVATE KEY-----\n!!!! not base64 !!!!\n-----END PRIVATE KEY-----\n' >"$work/bad.pem"
refuse 1 "bad.pem: not valid PEM .*\[IOT_ERR_BAD_PEM\]" import --key "$work/bad.pem" --label x
head -n 3 "$pki/client.key" >"$work/truncated.pem"
refuse 1 "truncated.pem: the data is truncated \[IOT_ERR_TRUNCATED\]" \
  import --key "$work/truncated.pem" --label x
refuse 1 "client.crt: wrong key type.*\[IOT_ERR_WRONG_KEY_TYPE\]" \
  import --key "$pki/client.crt" --label x
refuse 2 "--type ed25519: wrong key type" generate --label x --subject CN=x --type ed25519
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1 -out "$work/k1.pem" 2>/dev/null
refuse 1 "k1.pem: unsupported key .*\[IOT_ERR_UNSUPPORTED_KEY\]" import --key "$work/k1.pem" --label x
refuse 1 "client.key: duplicate label.*\[IOT_ERR_ALREADY_EXISTS\]" \
  import --key "$pki/client.key" --label device
refuse 1 "does not carry the public key of private key 'dev-43'" \
  import --cert "$pki/client.crt" --label dev-43
IGNORE_COUNTER=1 refuse 1 "does not carry this key's public key" \
  import --key "$pki/untrusted-client.key" --cert "$pki/client.crt" --label x
printf 'zz11\n' > "$work/bad-psk.hex"
refuse 1 "bad-psk.hex: not hex text" import --psk "$work/bad-psk.hex" --label x
printf '+1\n' > "$work/bad-psk2.hex"
refuse 1 "bad-psk2.hex: not hex text" import --psk "$work/bad-psk2.hex" --label x
printf '%0130d\n' 0 > "$work/long-psk.hex"
refuse 1 "long-psk.hex: expected 2 to 128 hex digits" import --psk "$work/long-psk.hex" --label x
refuse 1 "psk.hex: duplicate label.*\[IOT_ERR_ALREADY_EXISTS\]" import --psk "$pki/psk.hex" --label device-psk
refuse 2 "usage: iot-provision" import --psk "$pki/psk.hex" --key "$pki/client.key" --label x
refuse 1 "no such object \[IOT_ERR_NOT_FOUND\]" delete --label nothing-by-that-name
refuse 1 "bad label.*\[IOT_ERR_BAD_LABEL\]" \
  import --key "$pki/client.key" --label "$(printf 'L%.0s' {1..65})"
refuse 2 "usage: iot-provision" import --label x
refuse 2 "unknown command 'frobnicate'" frobnicate

# ---- a full store ----------------------------------------------------------

# Fill to 15 of 16: a key + certificate import then fails half-way (the
# certificate), and must take its key back out.
for i in $(seq 1 8); do
  "$prov" --store "$store" generate --label "fill-$i" --subject "CN=fill-$i" >/dev/null 2>&1 ||
    { echo "FAIL: filling the store ($i)" >&2; failures=$((failures + 1)); break; }
done
run 0 "15 of 16 entries used" list
IGNORE_COUNTER=1 refuse 1 "the key store is full; delete objects first \[IOT_ERR_STORAGE_FULL\]" \
  import --key "$pki/untrusted-client.key" --cert "$pki/untrusted-client.crt" --label untrusted
"$prov" --store "$store" generate --label fill-16 --subject CN=fill-16 >/dev/null 2>&1 ||
  { echo "FAIL: the 16th object" >&2; failures=$((failures + 1)); }
refuse 1 "generate: the key store is full; delete objects first \[IOT_ERR_STORAGE_FULL\]" \
  generate --label one-too-many --subject CN=x
refuse 1 "\[IOT_ERR_STORAGE_FULL\]" import --cert "$pki/ca.crt" --label another-ca
run 0 "16 of 16 entries used" list

# ---- delete ----------------------------------------------------------------

run 0 "deleted private-key [0-9]+ 'dev-42'" delete --label dev-42
checks=$((checks + 1))
grep -Eq "deleted certificate [0-9]+ 'dev-42'" "$out" || bad "delete --label: the certificate too"
id=$(awk '$NF == "fill-1" {print $1}' <("$prov" --store "$store" list 2>/dev/null))
run 0 "deleted object $id" delete --id "$id"
run 0 "13 of 16 entries used" list
checks=$((checks + 1))
if "$prov" --store "$store" list 2>/dev/null | grep -q -e "dev-42" -e "fill-1\$"; then
  bad "deleted objects still listed"
fi

# ---- damaged files ---------------------------------------------------------

# One object file damaged: listed as kept aside, the others still there,
# the damaged bytes untouched.
victim=$(grep -l "fill-2" "$store"/*.obj | head -n 1)
printf '\xa5' | dd of="$victim" bs=1 seek=40 conv=notrunc 2>/dev/null
refuse 0 "1 damaged stored object\(s\) kept aside" list
run 0 "private-key +ec-p256 .*device" list
# The id counter damaged: nothing starts, nothing changes.
counter="$store/000000004b000000.obj"
checks=$((checks + 1))
[ -f "$counter" ] || bad "no id counter file at $counter"
printf '\x5a' | dd of="$counter" bs=1 seek=$(( $(stat -c %s "$counter") - 1 )) conv=notrunc 2>/dev/null
refuse 1 "key store: .*\[IOT_ERR_STORAGE_CORRUPT\]" list
refuse 1 "\[IOT_ERR_STORAGE_CORRUPT\]" generate --label x --subject CN=x

echo "provision_test: $checks checks, $failures failures"
[ "$failures" -eq 0 ]
