#!/usr/bin/env bash
# Drives the PKCS#11 module with OpenSC's pkcs11-tool as a user would, and
# checks every result with the openssl CLI where one can be checked.
# Usage: pkcs11_tool.sh <path of libcorstone_iot_pkcs11.so>
# Environment: IOT_PKCS11_PRELOAD, a sanitizer runtime the module needs
# (sanitized builds load an instrumented module into an uninstrumented tool).
set -euo pipefail

module=$(realpath "$1")
[ -f "$module" ] || { echo "FAIL: no module at $module"; exit 1; }
command -v pkcs11-tool >/dev/null || { echo "FAIL: pkcs11-tool (Debian opensc) is not installed"; exit 1; }

root=$(mktemp -d "${TMPDIR:-/tmp}/iot-p11tool-XXXXXX")
trap 'rm -rf "$root"' EXIT
store=$root/store        # created by the module, 0700
out=$root/out
cwd=$root/cwd            # the tool runs here; nothing may appear in it
mkdir -p "$out" "$cwd"
cd "$cwd"

export CORSTONE_IOT_PKCS11_STORE=$store
export CORSTONE_IOT_PKCS11_PIN=246810
pin=246810
if [ -n "${IOT_PKCS11_PRELOAD:-}" ]; then
  export LD_PRELOAD=$IOT_PKCS11_PRELOAD
  # The tool's own allocations are not ours to judge: no leak check, and
  # pkcs11-tool 0.23 frees an EC key's curve name before OpenSSL reads it
  # (--read-object --type pubkey), which the preloaded runtime sees in
  # strcmp called from libcrypto. Errors in the module stay fatal.
  printf 'interceptor_via_lib:libcrypto.so.3\n' >"$root/asan.supp"
  export ASAN_OPTIONS="detect_leaks=0:suppressions=$root/asan.supp"
fi

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
step() { echo "--- $*"; }
# Run pkcs11-tool; its combined output goes to $out/last and to the log.
p11() { local rc=0; pkcs11-tool --module "$module" "$@" >"$out/last" 2>&1 || rc=$?; cat "$out/last"; return $rc; }
has() { grep -q -- "$1" "$out/last" || fail "$2 (expected '$1' in the output)"; }
hasnt() { ! grep -q -- "$1" "$out/last" || fail "$2 (did not expect '$1' in the output)"; }

hex() { od -An -tx1 -v "$1" | tr -d ' \n'; }
unhex() { printf "$(sed 's/../\\x&/g')"; }
# One DER INTEGER from big-endian hex bytes.
der_int() {
  local h
  h=$(echo "$1" | sed 's/^\(00\)*//')
  [ -n "$h" ] || h=00
  if [ $((16#${h:0:2})) -ge 128 ]; then h="00$h"; fi
  printf '02%02x%s' $((${#h} / 2)) "$h"
}
# PKCS#11's r || s as an ECDSA-Sig-Value, which openssl verifies.
raw_to_der() {
  local raw n body
  raw=$(hex "$1")
  n=$((${#raw} / 2))
  body=$(der_int "${raw:0:$n}")$(der_int "${raw:$n}")
  printf '30%02x%s' $((${#body} / 2)) "$body" | unhex >"$2"
}

step "list slots, token slots and mechanisms"
p11 --list-slots || fail "--list-slots"
has "corstone-iot key store" "the slot is listed"
has "PIN initialized" "the token reports a user PIN"
p11 --list-token-slots || fail "--list-token-slots"
has "Slot 0" "the token's slot is listed"
p11 --list-mechanisms || fail "--list-mechanisms"
for m in ECDSA-KEY-PAIR-GEN "ECDSA, " ECDSA-SHA256 ECDSA-SHA384 ECDSA-SHA512 RSA-PKCS-KEY-PAIR-GEN \
  SHA256-RSA-PKCS SHA384-RSA-PKCS SHA512-RSA-PKCS "SHA256, digest" "SHA384, digest" "SHA512, digest"; do
  has "$m" "mechanism $m"
done
[ "$(stat -c %a "$store")" = 700 ] || fail "the store directory is not 0700"

step "key pair generation needs a login, and refuses what it cannot honour"
if p11 --keypairgen --key-type EC:prime256v1 --label device --id a1b2 --usage-sign; then
  fail "keypairgen without login succeeded"
fi
has CKR_USER_NOT_LOGGED_IN "keypairgen without login"
if p11 --login --pin 000000 --list-objects; then fail "a wrong PIN logged in"; fi
has CKR_PIN_INCORRECT "wrong PIN"
# pkcs11-tool asks for ECDH (CKA_DERIVE) by default; the store cannot derive with EC keys.
if p11 --login --pin $pin --keypairgen --key-type EC:prime256v1 --label device --id a1b2; then
  fail "a key pair with CKA_DERIVE was accepted"
fi
has CKR_ATTRIBUTE_VALUE_INVALID "CKA_DERIVE refused"
if p11 --login --pin $pin --keypairgen --key-type EC:secp256k1 --label k1 --usage-sign; then
  fail "secp256k1 was accepted"
fi
has "(0x140)" "secp256k1 refused with CKR_CURVE_NOT_SUPPORTED"

step "generate an EC P-256 key pair with a label and an id"
p11 --login --pin $pin --keypairgen --key-type EC:prime256v1 --label device --id a1b2 --usage-sign ||
  fail "keypairgen"
has "Private Key Object; EC" "the private key is reported"
if p11 --login --pin $pin --keypairgen --key-type EC:prime256v1 --label device --usage-sign; then
  fail "a second private key with the label 'device' was accepted"
fi
has CKR_TEMPLATE_INCONSISTENT "duplicate label"

step "list objects: the private key only after login"
p11 --list-objects || fail "--list-objects"
has "Public Key Object; EC" "public key listed"
hasnt "Private Key Object" "private key listed without login"
p11 --login --pin $pin --list-objects || fail "--list-objects after login"
has "Private Key Object; EC" "private key listed after login"
has "label:      device" "label persisted"
has "ID:         a1b2" "id persisted"
has "Access:     sensitive" "private key sensitive"
hasnt "extractable" "private key extractable"
[ "$(grep -c 'Object;' "$out/last")" = 2 ] || fail "expected exactly two objects"

step "read the public key and convert it for openssl"
p11 --read-object --type pubkey --id a1b2 -o "$out/pub.der" || fail "--read-object pubkey"
openssl pkey -pubin -inform DER -in "$out/pub.der" -out "$out/pub.pem" || fail "the public key is not SubjectPublicKeyInfo"
openssl pkey -pubin -in "$out/pub.pem" -text -noout >"$out/last" 2>&1 || true
has "prime256v1" "the public key is on P-256"

step "sign with ECDSA-SHA256; openssl verifies the raw r||s signature"
printf 'telemetry reading 21.5 C\n' >"$out/data"
p11 --login --pin $pin --sign --mechanism ECDSA-SHA256 --id a1b2 -i "$out/data" -o "$out/sig.raw" ||
  fail "--sign ECDSA-SHA256"
[ "$(stat -c %s "$out/sig.raw")" = 64 ] || fail "the signature is not r||s of 64 bytes"
raw_to_der "$out/sig.raw" "$out/sig.der"
openssl dgst -sha256 -verify "$out/pub.pem" -signature "$out/sig.der" "$out/data" >"$out/last" 2>&1 || true
has "Verified OK" "openssl verifies the signature"
printf 'telemetry reading 99.9 C\n' >"$out/other"
openssl dgst -sha256 -verify "$out/pub.pem" -signature "$out/sig.der" "$out/other" >"$out/last" 2>&1 || true
has "Verification failure" "openssl rejects the signature for other data"
p11 --login --pin $pin --verify --mechanism ECDSA-SHA256 --id a1b2 -i "$out/data" \
  --signature-file "$out/sig.raw" || fail "--verify"
has "Signature is valid" "the module verifies its signature"
# pkcs11-tool reports CKR_SIGNATURE_INVALID as "Invalid signature" (and exits 0).
p11 --login --pin $pin --verify --mechanism ECDSA-SHA256 --id a1b2 -i "$out/other" \
  --signature-file "$out/sig.raw" || true
has "Invalid signature" "the module rejects the signature for other data"
hasnt "Signature is valid" "the module verified a signature of other data"

step "sign a hash with plain ECDSA"
openssl dgst -sha256 -binary "$out/data" >"$out/hash"
p11 --login --pin $pin --sign --mechanism ECDSA --id a1b2 -i "$out/hash" -o "$out/sig2.raw" ||
  fail "--sign ECDSA"
raw_to_der "$out/sig2.raw" "$out/sig2.der"
openssl pkeyutl -verify -pubin -inkey "$out/pub.pem" -in "$out/hash" -sigfile "$out/sig2.der" \
  >"$out/last" 2>&1 || true
has "Signature Verified Successfully" "openssl verifies the ECDSA signature of the hash"

step "RSA-2048: generate, sign with SHA256-RSA-PKCS, openssl verifies"
p11 --login --pin $pin --keypairgen --key-type rsa:2048 --label rsa-dev --id d4 --usage-sign ||
  fail "keypairgen rsa:2048"
has "Private Key Object; RSA" "the RSA private key is reported"
p11 --read-object --type pubkey --id d4 -o "$out/rsa.pub.der" || fail "--read-object RSA pubkey"
openssl pkey -pubin -inform DER -in "$out/rsa.pub.der" -out "$out/rsa.pub.pem" ||
  fail "the RSA public key is not SubjectPublicKeyInfo"
p11 --login --pin $pin --sign --mechanism SHA256-RSA-PKCS --id d4 -i "$out/data" -o "$out/rsa.sig" ||
  fail "--sign SHA256-RSA-PKCS"
[ "$(stat -c %s "$out/rsa.sig")" = 256 ] || fail "the RSA signature is not 256 bytes"
openssl dgst -sha256 -verify "$out/rsa.pub.pem" -signature "$out/rsa.sig" "$out/data" >"$out/last" 2>&1 || true
has "Verified OK" "openssl verifies the RSA signature"
openssl dgst -sha256 -verify "$out/rsa.pub.pem" -signature "$out/rsa.sig" "$out/other" >"$out/last" 2>&1 || true
has "Verification failure" "openssl rejects the RSA signature for other data"

step "write a certificate, read it back"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$out/ca.key" \
  -out "$out/cert.pem" -subj "/O=Acme/CN=device-42" -days 2 2>/dev/null
openssl x509 -in "$out/cert.pem" -outform DER -out "$out/cert.der"
p11 --login --pin $pin --write-object "$out/cert.der" --type cert --id a1b2 --label device ||
  fail "--write-object cert"
p11 --read-object --type cert --id a1b2 -o "$out/back.der" || fail "--read-object cert"
cmp -s "$out/cert.der" "$out/back.der" || fail "the certificate read back differs"
p11 --list-objects --type cert || fail "--list-objects --type cert"
has "device-42" "the certificate's subject is reported"

step "import a key made by openssl; the module signs with it"
openssl ecparam -name prime256v1 -genkey -noout -out "$out/imp.pem" 2>/dev/null
openssl pkcs8 -topk8 -nocrypt -in "$out/imp.pem" -outform DER -out "$out/imp.p8.der"
openssl pkey -in "$out/imp.pem" -pubout -out "$out/imp.pub.pem"
p11 --login --pin $pin --write-object "$out/imp.p8.der" --type privkey --id c3 --label imported ||
  fail "--write-object privkey"
has "Private Key Object; EC" "the imported private key is reported"
p11 --login --pin $pin --sign --mechanism ECDSA-SHA256 --id c3 -i "$out/data" -o "$out/imp.sig" \
  --signature-format openssl || fail "--sign with the imported key"
openssl dgst -sha256 -verify "$out/imp.pub.pem" -signature "$out/imp.sig" "$out/data" >"$out/last" 2>&1 || true
has "Verified OK" "openssl verifies the imported key's signature against its own public key"

step "write a data object, read it back"
printf 'interval=60\n' >"$out/cfg"
p11 --login --pin $pin --write-object "$out/cfg" --type data --label config || fail "--write-object data"
p11 --read-object --type data --label config -o "$out/cfg.back" || fail "--read-object data"
cmp -s "$out/cfg" "$out/cfg.back" || fail "the data object read back differs"

step "the private key's value is refused"
rm -f "$out/priv.bin"
p11 --login --pin $pin --read-object --type privkey --id a1b2 -o "$out/priv.bin" || true
[ ! -s "$out/priv.bin" ] || fail "private key bytes were written"
has "not (yet) supported" "pkcs11-tool could not read the private key"

step "delete the objects"
p11 --login --pin $pin --delete-object --type cert --id a1b2 || fail "--delete-object cert"
p11 --login --pin $pin --delete-object --type privkey --id a1b2 || fail "--delete-object privkey"
p11 --login --pin $pin --delete-object --type pubkey --label device || fail "--delete-object pubkey"
p11 --login --pin $pin --delete-object --type privkey --id c3 || fail "--delete-object imported privkey"
p11 --login --pin $pin --delete-object --type data --label config || fail "--delete-object data"
p11 --login --pin $pin --delete-object --type privkey --id d4 || fail "--delete-object RSA privkey"
p11 --login --pin $pin --delete-object --type pubkey --id d4 || fail "--delete-object RSA pubkey"
p11 --login --pin $pin --list-objects || fail "--list-objects at the end"
hasnt "Object;" "objects left after deleting"
# Only the key store's id counter remains.
[ "$(ls "$store" | wc -l)" = 1 ] || fail "files left in the store: $(ls "$store")"
[ -z "$(ls -A "$cwd")" ] || fail "files written to the working directory: $(ls -A "$cwd")"

if [ "$failures" -ne 0 ]; then
  echo "pkcs11-tool: $failures check(s) failed"
  exit 1
fi
echo "pkcs11-tool: all checks passed"
