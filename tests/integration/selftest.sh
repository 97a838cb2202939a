#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Proves the integration fixture itself, under with_broker.sh:
#   selftest.sh PATH/TO/paho_peer
# Every listener does what broker.sh promises (and refuses what it must), the
# peer's checks can fail as well as pass, and the broker controls (restart
# with persistence, kill, pause/resume, a second instance, stop) work.
set -euo pipefail

peer=${1:?usage: selftest.sh PATH/TO/paho_peer}
ctl=${IOT_TEST_BROKER_CTL:?run under with_broker.sh}
pki=$IOT_TEST_PKI
state=$IOT_TEST_BROKER_STATE
host=$IOT_TEST_BROKER_HOST
for tool in mosquitto_pub mosquitto_sub openssl ss; do
  command -v "$tool" >/dev/null || { echo "selftest: $tool not found" >&2; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/iot-selftest.XXXXXX")
bg_pids=()
cleanup() {
  local p
  for p in "${bg_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  if [ -f "$tmp/b2/broker.pid" ]; then bash "$ctl" stop "$tmp/b2" || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; : > "$tmp/quiet.log"; }
fail() {
  echo "not ok - $*" >&2
  if [ -s "$tmp/quiet.log" ]; then echo "--- output of the last quiet command:" >&2; cat "$tmp/quiet.log" >&2; fi
  exit 1
}
now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }

# running PID: the process exists and has not exited (a zombie has).
running() {
  local st
  st=$(awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "$st" != Z ]
}

# run_status VAR CMD...: run CMD, store its exit status in VAR (set -e safe).
run_status() { local __v=$1; shift; local __s=0; "$@" || __s=$?; printf -v "$__v" '%s' "$__s"; }

declare -A sub_pid sub_rc

# start_sub NAME ARGS...: paho_peer sub in the background, ready once subscribed;
# output in $tmp/NAME.out and .err.
start_sub() {
  local name=$1; shift
  rm -f "$tmp/$name.ready"
  "$peer" sub --ready-file "$tmp/$name.ready" "$@" > "$tmp/$name.out" 2> "$tmp/$name.err" &
  local pid=$!
  bg_pids+=("$pid")
  sub_pid[$name]=$pid
  local deadline=$(( $(now_ms) + 10000 ))
  until [ -f "$tmp/$name.ready" ]; do
    if ! running "$pid" || (( $(now_ms) > deadline )); then
      cat "$tmp/$name.out" "$tmp/$name.err" >&2
      fail "subscriber $name did not get ready"
    fi
    sleep 0.02
  done
}

# finish_sub NAME: wait for it; its exit status lands in sub_rc[NAME].
finish_sub() {
  local s=0
  wait "${sub_pid[$1]}" || s=$?
  sub_rc[$1]=$s
}

show() { echo "--- $1:" >&2; cat "$tmp/$1.out" "$tmp/$1.err" >&2; }

# quiet CMD...: run CMD with its output kept in $tmp/quiet.log (shown by fail).
quiet() { "$@" > "$tmp/quiet.log" 2>&1; }

ports=("$IOT_TEST_PORT_PLAIN" "$IOT_TEST_PORT_TLS" "$IOT_TEST_PORT_MTLS" "$IOT_TEST_PORT_PSK"
       "$IOT_TEST_PORT_TLS12" "$IOT_TEST_PORT_EXPIRED" "$IOT_TEST_PORT_WRONGHOST" "$IOT_TEST_PORT_OTHERCA")

# --- the environment and the listening sockets
[ "$host" = 127.0.0.1 ] || fail "IOT_TEST_BROKER_HOST=$host"
[ "$(printf '%s\n' "${ports[@]}" | sort -u | wc -l)" -eq 8 ] || fail "ports not distinct: ${ports[*]}"
[ -f "$pki/ca.crt" ] || fail "IOT_TEST_PKI=$pki: no ca.crt"
[ -f "$state/mosquitto.conf" ] || fail "IOT_TEST_BROKER_STATE=$state: no mosquitto.conf"
[ -f "$ctl" ] || fail "IOT_TEST_BROKER_CTL=$ctl: no such file"
listen=$(ss -Hltn)
for p in "${ports[@]}"; do
  sockets=$(awk -v p="$p" '{ n = split($4, a, ":"); if (a[n] == p) print $4 }' <<< "$listen")
  [ "$sockets" = "127.0.0.1:$p" ] || fail "port $p: listening on '${sockets//$'\n'/ }', want 127.0.0.1 only"
done
ok "8 distinct ports, each listening on 127.0.0.1 only"

run_status s quiet "$peer" sub
[ "$s" -eq 2 ] || fail "paho_peer without --port exits $s, want 2"
ok "paho_peer usage error exits 2"

# --- plain listener, and the --print format
start_sub plain --port "$IOT_TEST_PORT_PLAIN" --topic selftest/plain --count 2 --print --timeout-ms 10000
"$peer" pub --port "$IOT_TEST_PORT_PLAIN" --topic selftest/plain --message hello > /dev/null
printf 'a\001b' > "$tmp/binary"
mosquitto_pub -h "$host" -p "$IOT_TEST_PORT_PLAIN" -t selftest/plain -q 0 -f "$tmp/binary"
finish_sub plain
[ "${sub_rc[plain]}" -eq 0 ] || { show plain; fail "plain sub exit ${sub_rc[plain]}"; }
printf 'selftest/plain\t1\t0\thello\nselftest/plain\t0\t0\thex:610162\nreceived 2 messages\n' > "$tmp/plain.want"
cmp -s "$tmp/plain.out" "$tmp/plain.want" || { show plain; fail "plain --print output"; }
ok "plain listener: paho and mosquitto_pub to paho sub, --print format (text and hex)"

# --- the required stream: mutual-TLS subscriber, server-auth TLS publisher
start_sub mtls --port "$IOT_TEST_PORT_MTLS" --mtls --topic selftest/seq --qos 1 --seq --count 100 --timeout-ms 20000
"$peer" pub --port "$IOT_TEST_PORT_TLS" --tls --topic selftest/seq --qos 1 --seq --count 100 > /dev/null
finish_sub mtls
[ "${sub_rc[mtls]}" -eq 0 ] || { show mtls; fail "mTLS --seq sub exit ${sub_rc[mtls]}"; }
grep -q '^seq: received=100 distinct=100 missing=0 duplicates=0 ' "$tmp/mtls.out" || { show mtls; fail "seq line"; }
grep -q '^received 100 messages$' "$tmp/mtls.out" || { show mtls; fail "final line"; }
ok "100 sequenced QoS 1 messages: paho pub on TLS -> paho sub on mutual TLS"

# --- --seq fails when one is missing
start_sub gap --port "$IOT_TEST_PORT_PLAIN" --topic selftest/gap --seq --count 10 --timeout-ms 1500
"$peer" pub --port "$IOT_TEST_PORT_PLAIN" --topic selftest/gap --seq --count 9 > /dev/null
finish_sub gap
[ "${sub_rc[gap]}" -eq 1 ] || { show gap; fail "--seq with a gap exits ${sub_rc[gap]}, want 1"; }
grep -q '^seq: received=9 distinct=9 missing=1 duplicates=0' "$tmp/gap.out" && grep -q '^seq: first missing: 9$' "$tmp/gap.out" ||
  { show gap; fail "gap report"; }
ok "paho sub --seq reports the missing message and exits 1"

# --- mutual TLS is enforced
run_status s quiet "$peer" sub --port "$IOT_TEST_PORT_MTLS" --tls --topic x --timeout-ms 0
[ "$s" -eq 2 ] || fail "mTLS listener accepted a client without certificate (exit $s)"
run_status s quiet "$peer" sub --port "$IOT_TEST_PORT_MTLS" --cert "$pki/untrusted-client.crt" --key "$pki/untrusted-client.key" \
  --topic x --timeout-ms 0
[ "$s" -eq 2 ] || fail "mTLS listener accepted a client certificate from other-ca (exit $s)"
run_status s quiet "$peer" sub --port "$IOT_TEST_PORT_MTLS" --mtls --topic x --timeout-ms 0
[ "$s" -eq 0 ] || fail "mTLS listener refused client.crt (exit $s)"
ok "mutual-TLS listener: refuses no certificate and an other-ca certificate, accepts client.crt"

# --- TLS-PSK
psk1=$(<"$pki/psk.hex")
psk2=$(<"$state/psk-device-2.hex")
psk_sub() { # identity key -> prints the one message of selftest/psk
  timeout 10 mosquitto_sub -h "$host" -p "$IOT_TEST_PORT_PSK" --psk-identity "$1" --psk "$2" \
    -t selftest/psk -q 1 -C 1 -W 5 -i "psk-sub-$1"
}
for id in device-1 device-2; do
  key=$psk1; [ "$id" = device-2 ] && key=$psk2
  mosquitto_pub -h "$host" -p "$IOT_TEST_PORT_PSK" --psk-identity "$id" --psk "$key" -t selftest/psk -q 1 -r -m "from-$id"
  got=$(psk_sub "$id" "$key") || fail "PSK subscribe as $id"
  [ "$got" = "from-$id" ] || fail "PSK as $id: got '$got'"
done
mosquitto_pub -h "$host" -p "$IOT_TEST_PORT_PSK" --psk-identity device-1 --psk "$psk1" -t selftest/psk -q 1 -r -n
wrong=$(printf '%s' "$psk1" | tr '0-9a-f' '1-9a-f0')
for pair in "device-1:$wrong" "device-1:$psk2" "device-3:$psk1"; do
  if timeout 10 mosquitto_pub -h "$host" -p "$IOT_TEST_PORT_PSK" --psk-identity "${pair%%:*}" --psk "${pair#*:}" \
       -t selftest/psk -q 1 -m x 2> /dev/null; then
    fail "PSK listener accepted identity ${pair%%:*} with a wrong key"
  fi
done
for suite in PSK-AES128-CCM8 PSK-AES128-GCM-SHA256 ECDHE-PSK-CHACHA20-POLY1305; do
  out=$(openssl s_client -connect "$host:$IOT_TEST_PORT_PSK" -tls1_2 -cipher "$suite" -psk_identity device-1 \
        -psk "$psk1" < /dev/null 2>&1) || fail "PSK over TLS 1.2 with $suite: $out"
  grep -q "Cipher is $suite" <<< "$out" || fail "PSK over TLS 1.2: $suite not negotiated"
done
ok "PSK listener: device-1 and device-2 work; wrong key, other identity's key, unknown identity fail; TLS 1.2 PSK suites incl. CCM8"

# --- TLS versions
strict=(-verify_return_error -verify_hostname localhost -CAfile "$pki/ca.crt")
tls_probe() { openssl s_client -connect "$host:$1" "${strict[@]}" "${@:2}" < /dev/null 2>&1; }
out=$(tls_probe "$IOT_TEST_PORT_TLS" -tls1_3) || fail "TLS listener refused TLS 1.3: $out"
grep -q 'Verify return code: 0 (ok)' <<< "$out" || fail "TLS listener: server certificate does not verify: $out"
out=$(tls_probe "$IOT_TEST_PORT_TLS" -tls1_2) || fail "TLS listener refused TLS 1.2: $out"
out=$(tls_probe "$IOT_TEST_PORT_TLS12" -tls1_2) || fail "TLS12 listener refused TLS 1.2: $out"
grep -q 'Protocol *: TLSv1.2' <<< "$out" || fail "TLS12 listener: $out"
if out=$(tls_probe "$IOT_TEST_PORT_TLS12" -tls1_3); then fail "TLS12 listener accepted TLS 1.3"; fi
if out=$(tls_probe "$IOT_TEST_PORT_TLS12"); then fail "TLS12 listener accepted a TLS 1.3-capable client"; fi
run_status s quiet "$peer" pub --port "$IOT_TEST_PORT_TLS12" --tls --topic selftest/tls12 --message x
[ "$s" -eq 2 ] || fail "TLS12 listener accepted Paho offering TLS 1.3 (exit $s)"
"$peer" pub --port "$IOT_TEST_PORT_TLS12" --tls12 --topic selftest/tls12 --message x > /dev/null ||
  fail "TLS12 listener refused paho_peer --tls12"
"$peer" pub --port "$IOT_TEST_PORT_TLS" --tls12 --mtls --topic selftest/tls12 --message x > /dev/null ||
  fail "paho_peer --tls12 --mtls on the TLS listener"
OPENSSL_CONF=$state/openssl-tls12-client.cnf mosquitto_pub -h "$host" -p "$IOT_TEST_PORT_TLS12" --cafile "$pki/ca.crt" \
  -t selftest/tls12 -m x || fail "TLS12 listener refused mosquitto_pub capped by openssl-tls12-client.cnf"
ok "TLS listener verifies (TLS 1.2 and 1.3); TLS12 listener: TLS 1.2 only, refuses TLS 1.3 offers"

# --- listeners a verifying client must refuse
# Control: the very command that must fail below works on the good listener.
mosquitto_pub -h "$host" -p "$IOT_TEST_PORT_PLAIN" -t selftest/control -q 1 -r -m control
got=$(timeout 10 mosquitto_sub -h "$host" -p "$IOT_TEST_PORT_TLS" --cafile "$pki/ca.crt" -t selftest/control -C 1 -W 5) ||
  fail "control: mosquitto_sub on the TLS listener"
[ "$got" = control ] || fail "control: got '$got'"
for name in EXPIRED WRONGHOST OTHERCA; do
  var=IOT_TEST_PORT_$name
  port=${!var}
  case $name in
    EXPIRED) code=10 final=10 ;;   # certificate has expired
    WRONGHOST) code=62 final=62 ;; # hostname mismatch
    OTHERCA) code=20 final=21 ;;   # unable to get local issuer certificate, so the
  esac                             # first certificate cannot be verified
  if out=$(tls_probe "$port"); then fail "$name: openssl s_client accepted the server"; fi
  grep -q "num=$code:" <<< "$out" || fail "$name: expected verify error $code: $out"
  # The same probe without -verify_return_error completes the handshake: the
  # listener works, and only verification refuses it.
  out=$(openssl s_client -connect "$host:$port" -verify_hostname localhost -CAfile "$pki/ca.crt" < /dev/null 2>&1) ||
    fail "$name: handshake without verification failed: $out"
  grep -q "Verify return code: $final " <<< "$out" || fail "$name: lenient probe: $out"
  timeout 10 mosquitto_sub -h "$host" -p "$port" --cafile "$pki/ca.crt" -t selftest/control -C 1 -W 5 > /dev/null 2>&1 &&
    fail "$name: mosquitto_sub accepted the server"
  run_status s quiet "$peer" sub --port "$port" --tls --topic x --timeout-ms 0
  [ "$s" -eq 2 ] || fail "$name: paho_peer exit $s, want 2 (refused)"
done
ok "expired, wrong-host and other-CA listeners: refused by openssl, mosquitto_sub and Paho; handshake fine unverified"

# --- a large payload, checked byte for byte (and the check can fail)
start_sub big --port "$IOT_TEST_PORT_MTLS" --mtls --topic selftest/big --count 1 --size 300000
start_sub notbig --port "$IOT_TEST_PORT_PLAIN" --topic selftest/big --count 1 --size 299999
"$peer" pub --port "$IOT_TEST_PORT_TLS" --tls --topic selftest/big --size 300000 > /dev/null
finish_sub big
finish_sub notbig
[ "${sub_rc[big]}" -eq 0 ] && grep -q '^size: checked=1 bad=0$' "$tmp/big.out" || { show big; fail "300000-byte message"; }
[ "${sub_rc[notbig]}" -eq 1 ] && grep -q '^size: checked=1 bad=1$' "$tmp/notbig.out" || { show notbig; fail "--size mismatch"; }
ok "a 300000-byte message arrives intact; a size mismatch is detected"

# --- 10,000 QoS 1 messages queued for an offline persistent session
t0=$(now_ms)
"$peer" sub --port "$IOT_TEST_PORT_PLAIN" --client-id selftest-queue --clean 0 --topic selftest/stream --timeout-ms 0 > /dev/null
"$peer" pub --port "$IOT_TEST_PORT_PLAIN" --topic selftest/stream --qos 1 --seq --count 10000 --size 64 --timeout-ms 60000 > /dev/null
run_status s "$peer" sub --port "$IOT_TEST_PORT_PLAIN" --client-id selftest-queue --clean 0 --topic selftest/stream \
  --seq --count 10000 --size 64 --timeout-ms 60000 > "$tmp/stream.out"
[ "$s" -eq 0 ] && grep -q 'missing=0' "$tmp/stream.out" && grep -q '^size: checked=10000 bad=0$' "$tmp/stream.out" || { cat "$tmp/stream.out" >&2; fail "10000-message stream"; }
ok "10000 QoS 1 messages queued while offline, all delivered ($(( $(now_ms) - t0 )) ms)"

# --- last will
start_sub will --port "$IOT_TEST_PORT_PLAIN" --topic selftest/will --topic selftest/online --count 2 --print
"$peer" will --port "$IOT_TEST_PORT_TLS" --tls --topic selftest/online --will-topic selftest/will --will-message gone > /dev/null
finish_sub will
[ "${sub_rc[will]}" -eq 0 ] || { show will; fail "will subscriber exit ${sub_rc[will]}"; }
grep -q $'^selftest/online\t1\t0\tonline$' "$tmp/will.out" && grep -q $'^selftest/will\t1\t0\tgone$' "$tmp/will.out" ||
  { show will; fail "will"; }
ok "paho_peer will: vanishes without DISCONNECT, the broker publishes its will"

# --- restart: same ports, retained messages and queued messages survive
"$peer" sub --port "$IOT_TEST_PORT_PLAIN" --client-id selftest-restart --clean 0 --topic selftest/queued --timeout-ms 0 > /dev/null
"$peer" pub --port "$IOT_TEST_PORT_TLS" --tls --topic selftest/retained --retain --message kept > /dev/null
"$peer" pub --port "$IOT_TEST_PORT_PLAIN" --topic selftest/queued --message queued-1 > /dev/null
start_sub again --port "$IOT_TEST_PORT_TLS" --tls --reconnect --topic selftest/again --count 1 --print --timeout-ms 30000
rm "$tmp/again.ready"
cp "$state/broker.env" "$tmp/env.before"
pid_before=$(<"$state/broker.pid")
t0=$(now_ms)
bash "$ctl" restart "$state"
restart_ms=$(( $(now_ms) - t0 ))
cmp -s "$state/broker.env" "$tmp/env.before" || fail "restart changed broker.env"
[ "$(<"$state/broker.pid")" != "$pid_before" ] || fail "restart kept the old process"
! running "$pid_before" || fail "old broker $pid_before still running"
"$peer" sub --port "$IOT_TEST_PORT_MTLS" --mtls --topic selftest/retained --count 1 --print --timeout-ms 5000 > "$tmp/ret.out" ||
  { cat "$tmp/ret.out" >&2; fail "retained message after restart"; }
grep -q $'^selftest/retained\t1\t1\tkept$' "$tmp/ret.out" || { cat "$tmp/ret.out" >&2; fail "retained message after restart"; }
"$peer" sub --port "$IOT_TEST_PORT_PLAIN" --client-id selftest-restart --clean 0 --topic selftest/queued --count 1 --print \
  --timeout-ms 5000 > "$tmp/queued.out" || { cat "$tmp/queued.out" >&2; fail "queued message after restart"; }
grep -q $'^selftest/queued\t1\t0\tqueued-1$' "$tmp/queued.out" || { cat "$tmp/queued.out" >&2; fail "queued message"; }
# The --reconnect subscriber (clean session) is back and subscribed again.
deadline=$(( $(now_ms) + 15000 ))
until [ -f "$tmp/again.ready" ]; do
  (( $(now_ms) < deadline )) && running "${sub_pid[again]}" || { show again; fail "--reconnect did not subscribe again"; }
  sleep 0.05
done
"$peer" pub --port "$IOT_TEST_PORT_PLAIN" --topic selftest/again --message back > /dev/null
finish_sub again
[ "${sub_rc[again]}" -eq 0 ] && grep -q $'^selftest/again\t1\t0\tback$' "$tmp/again.out" &&
  grep -q 'reconnected' "$tmp/again.err" || { show again; fail "--reconnect subscriber"; }
ok "restart (${restart_ms} ms): same ports, retained and queued QoS 1 messages survive, paho_peer --reconnect resumes"

# --- kill (a crash), then start again on the same state
pid_before=$(<"$state/broker.pid")
bash "$ctl" kill "$state"
[ ! -f "$state/broker.pid" ] || fail "kill left broker.pid"
if (exec 3<>"/dev/tcp/$host/$IOT_TEST_PORT_PLAIN") 2>/dev/null; then fail "port open after kill"; fi
grep -q "mosquitto version .* terminating" <(tail -n 3 "$state/mosquitto.log") && fail "kill was a clean shutdown"
bash "$ctl" start "$state"
cmp -s "$state/broker.env" "$tmp/env.before" || fail "start after kill changed broker.env"
"$peer" sub --port "$IOT_TEST_PORT_TLS" --tls --topic selftest/retained --count 1 --print --timeout-ms 5000 > "$tmp/ret2.out" &&
  grep -q $'\tkept$' "$tmp/ret2.out" || { cat "$tmp/ret2.out" >&2; fail "retained message after kill"; }
ok "kill: port closed at once, no clean shutdown; start again: same ports, persisted state back"

# --- pause: connections are accepted by the kernel but nothing answers
bash "$ctl" pause "$state"
[ "$(awk '{ print $3 }' "/proc/$(<"$state/broker.pid")/stat")" = T ] || fail "pause: process not stopped"
run_status s timeout 2 mosquitto_pub -h "$host" -p "$IOT_TEST_PORT_PLAIN" -t selftest/paused -m x
[ "$s" -eq 124 ] || fail "paused broker answered (mosquitto_pub exit $s, want 124 from timeout)"
bash "$ctl" resume "$state"
timeout 10 mosquitto_pub -h "$host" -p "$IOT_TEST_PORT_PLAIN" -t selftest/resumed -m x || fail "resumed broker does not answer"
ok "pause: a client gets no CONNACK; resume: served again"

# --- a second broker at the same time, on other ports; then stop
t0=$(now_ms)
bash "$ctl" start "$tmp/b2" "$pki"
start_ms=$(( $(now_ms) - t0 ))
b2_plain=$(sed -n 's/^IOT_TEST_PORT_PLAIN=//p' "$tmp/b2/broker.env")
b2_ports=$(sed -n 's/^IOT_TEST_PORT_[A-Z0-9]*=//p' "$tmp/b2/broker.env" | sort)
[ -z "$(comm -12 <(printf '%s\n' "${ports[@]}" | sort) <(echo "$b2_ports"))" ] || fail "second broker shares ports"
grep -qx "IOT_TEST_PKI=$pki" "$tmp/b2/broker.env" || fail "second broker: PKIDIR not used"
"$peer" pub --port "$b2_plain" --topic selftest/b2 --retain --message two > /dev/null
"$peer" sub --port "$b2_plain" --topic selftest/b2 --count 1 --print --timeout-ms 5000 > "$tmp/b2.out" ||
  fail "second broker: retained message: $(cat "$tmp/b2.out")"
"$peer" sub --port "$IOT_TEST_PORT_PLAIN" --topic selftest/b2 --timeout-ms 300 --print > "$tmp/b1.out"
[ "$(cat "$tmp/b1.out")" = "received 0 messages" ] || fail "brokers are not separate: $(cat "$tmp/b1.out")"
b2_pid=$(<"$tmp/b2/broker.pid")
t0=$(now_ms)
bash "$ctl" stop "$tmp/b2"
stop_ms=$(( $(now_ms) - t0 ))
! running "$b2_pid" || fail "stop: broker alive"
if (exec 3<>"/dev/tcp/$host/$b2_plain") 2>/dev/null; then fail "stop: port still open"; fi
grep -q "mosquitto version .* terminating" "$tmp/b2/mosquitto.log" || fail "stop was not a clean shutdown"
bash "$ctl" stop "$tmp/b2" || fail "second stop"
ok "second broker on other ports (start ${start_ms} ms, PKI reused), separate; stop ${stop_ms} ms, clean, idempotent"

echo "selftest: all $n checks passed"
