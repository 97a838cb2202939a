#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Creates the test PKI used by the transport and integration tests:
#
#   tools/gen-certs.sh OUTDIR
#
#   ca.crt/.key                 EC P-256 root CA
#   server.crt/.key             CN=localhost, SAN DNS:localhost + IP:127.0.0.1, signed by ca
#   client.crt/.key             CN=device-1 (clientAuth), signed by ca
#   other-ca.crt/.key           an unrelated root CA
#   other-server.crt/.key       like server.crt but signed by other-ca (untrusted)
#   expired-server.crt/.key     like server.crt but valid only in 2020 (expired)
#   wronghost-server.crt/.key   CN/SAN wrong.example, no IP SAN, signed by ca
#   untrusted-client.crt/.key   CN=device-1 client certificate signed by other-ca
#   psk.hex                     32 random bytes as lowercase hex (no newline)
#   psk.identity                the PSK identity "device-1" (no newline)
#   .done                       marks a complete PKI; its presence makes reruns no-ops
#   .lock                       serialises concurrent runs for the same OUTDIR
#
# Keys and certificates are created mode 600 (umask 077). Prints one summary
# line on success; on failure prints the openssl output and exits non-zero.
# Needs bash and the openssl command-line tool (1.1.1 or 3.x).
set -euo pipefail

if [[ $# -ne 1 || -z "$1" ]]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
out=$1

if [[ -e "$out/.done" ]]; then
  echo "gen-certs: test PKI already present in $out"
  exit 0
fi

command -v openssl >/dev/null 2>&1 || { echo "gen-certs: openssl not found" >&2; exit 1; }

umask 077
mkdir -p "$out"
out=$(cd "$out" && pwd)

# Concurrent runs for the same OUTDIR take turns (flock is part of
# util-linux); the second one then finds .done and does nothing.
exec 9>"$out/.lock"
if command -v flock >/dev/null 2>&1; then
  flock 9
fi
if [[ -e "$out/.done" ]]; then
  echo "gen-certs: test PKI already present in $out"
  exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/gen-certs.XXXXXX")
trap 'rm -rf "$work"' EXIT
log=$work/openssl.log
: >"$log"

# Run a command quietly; on failure show what it printed and stop.
run() {
  if ! "$@" >>"$log" 2>&1; then
    cat "$log" >&2
    echo "gen-certs: failed: $*" >&2
    exit 1
  fi
}

cnf=$work/openssl.cnf
cat >"$cnf" <<EOF
[ req ]
distinguished_name = req_dn
string_mask = utf8only

[ req_dn ]

[ ca ]
default_ca = test_ca

[ test_ca ]
dir = $work
database = $work/index.txt
new_certs_dir = $work/newcerts
serial = $work/serial
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
email_in_dn = no

[ policy_any ]
commonName = supplied

[ ca_ext ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[ server_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:localhost, IP:127.0.0.1

[ wronghost_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:wrong.example

[ client_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
mkdir -p "$work/newcerts"
: >"$work/index.txt"

new_key() { # name
  run openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$out/$1.key"
}

new_ca() { # name common-name
  new_key "$1"
  run openssl req -config "$cnf" -new -x509 -sha256 -days 3650 -key "$out/$1.key" \
    -subj "/CN=$2" -extensions ca_ext -out "$out/$1.crt"
}

new_csr() { # name common-name
  new_key "$1"
  run openssl req -config "$cnf" -new -sha256 -key "$out/$1.key" -subj "/CN=$2" \
    -out "$work/$1.csr"
}

sign() { # name issuer extensions-section
  new_serial=0x$(openssl rand -hex 12)
  run openssl x509 -req -sha256 -days 825 -in "$work/$1.csr" -CA "$out/$2.crt" \
    -CAkey "$out/$2.key" -set_serial "$new_serial" -extfile "$cnf" -extensions "$3" \
    -out "$out/$1.crt"
}

new_ca ca "Corstone IoT Test Root CA"
new_ca other-ca "Corstone IoT Unrelated CA"

new_csr server localhost
sign server ca server_ext
new_csr client device-1
sign client ca client_ext
new_csr other-server localhost
sign other-server other-ca server_ext
new_csr wronghost-server wrong.example
sign wronghost-server ca wronghost_ext
new_csr untrusted-client device-1
sign untrusted-client other-ca client_ext

# A certificate whose whole validity lies in the past: 'openssl x509 -req'
# cannot set the start date on openssl 3.0, 'openssl ca' can.
new_csr expired-server localhost
openssl rand -hex 12 >"$work/serial"
run openssl ca -config "$cnf" -name test_ca -batch -notext -cert "$out/ca.crt" \
  -keyfile "$out/ca.key" -startdate 20200101000000Z -enddate 20200601000000Z \
  -extfile "$cnf" -extensions server_ext -in "$work/expired-server.csr" \
  -out "$out/expired-server.crt"

psk=$(openssl rand -hex 32)
printf '%s' "${psk,,}" >"$out/psk.hex"
printf '%s' "device-1" >"$out/psk.identity"

# Sanity checks: the chains verify (the expired one only without time checks).
for c in server client wronghost-server; do
  run openssl verify -CAfile "$out/ca.crt" "$out/$c.crt"
done
for c in other-server untrusted-client; do
  run openssl verify -CAfile "$out/other-ca.crt" "$out/$c.crt"
done
run openssl verify -no_check_time -CAfile "$out/ca.crt" "$out/expired-server.crt"
if openssl verify -CAfile "$out/ca.crt" "$out/expired-server.crt" >>"$log" 2>&1; then
  echo "gen-certs: expired-server.crt unexpectedly verifies" >&2
  exit 1
fi

chmod 600 "$out"/*.key "$out"/*.crt "$out/psk.hex" "$out/psk.identity"
: >"$out/.done"
echo "gen-certs: test PKI written to $out"
