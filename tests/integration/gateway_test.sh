#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The gateway end to end, with real processes on 127.0.0.1 (run under
# with_broker.sh, which provides mosquitto with a mutual-TLS listener):
#
#   mosquitto (MTLS) <- iot-gateway <- psk_device x 3, gw_peer (misbehaving)
#                    <- gateway_monitor (subscribes upstream, counts readings)
#
# 0. the device database lives in the gateway's key store: imported with
#    "iot-gateway import" (a bad line, a duplicate identity refused, each with
#    its reason), listed, removed; a psk_db file in the configuration is
#    refused with the migration hint;
# 1. three devices with distinct identities: the monitor gets every reading;
#    a command published upstream reaches its device; a device attesting
#    with ES256 (COSE_Sign1) is accepted too;
# 2. refusals, each checked in the gateway's log with its reason: wrong PSK,
#    unknown identity, bad MAC, stale nonce, measurement not allowed,
#    lifecycle, truncated token, no token in time, publish and subscribe
#    outside the namespace;
# 3. the gateway survives garbage before/after the handshake and a device
#    vanishing mid-packet, and still serves devices afterwards;
# 4. an upstream broker restart while devices publish: nothing lost; with
#    upstream unreachable and its buffer full, a QoS 1 sender is disconnected
#    unacknowledged (back-pressure) and QoS 0 drops are logged; out of file
#    descriptors, the gateway pauses accepting and then serves again;
#    a store object damaged while the gateway runs refuses that device with
#    the store's reason and the others are served; damaged before a start, it
#    is logged at start and that device refused;
# 5. SIGTERM: clean exit with the summary line.
#
#   gateway_test.sh IOT_GATEWAY PSK_DEVICE GATEWAY_MONITOR GW_PEER
set -uo pipefail

gateway=$1 device=$2 monitor=$3 peer=$4
: "${IOT_TEST_PORT_MTLS:?run under with_broker.sh}"
work=$(mktemp -d "${TMPDIR:-/tmp}/iot-gw-test.XXXXXX")
pids=()
failures=0

# reaped PID: a process already waited for is never signalled again.
reaped() {
  local p keep=()
  for p in "${pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  pids=("${keep[@]}")
}
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  if [ "$failures" -eq 0 ]; then rm -rf "$work"; else echo "gateway_test: work kept in $work" >&2; fi
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }
rand_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

# expect_log IDENTITY-PATTERN REASON-REGEX: the gateway refused and said why.
expect_log() {
  local deadline=$((SECONDS + 15))
  while [ $SECONDS -lt $deadline ]; do
    if grep -Eq "refused [0-9.:]+ identity=$1: $2" "$work/gw.log"; then
      pass "refused identity=$1: $2"
      return 0
    fi
    sleep 0.2
  done
  fail "no log line 'refused ... identity=$1: $2'"
  return 1
}

# ---- device database and configuration ------------------------------------
declare -A PSK AKEY
ids=(dev-1 dev-2 dev-3 dev-wrongpsk bad-mac tampered peer-stale peer-outside peer-sub
     peer-vanish peer-garbage peer-garbage2 peer-lifecycle peer-ok peer-trunc peer-silent dev-damaged)
: > "$work/devices.db"
for id in "${ids[@]}"; do
  PSK[$id]=$(rand_hex 32)
  AKEY[$id]=$(rand_hex 32)
  echo "$id ${PSK[$id]} hmac:${AKEY[$id]}" >> "$work/devices.db"
done
# dev-es256 attests with ES256 (COSE_Sign1): its key pair is made in its own
# store first, and the database lists the public point.
"$device" --store "$work/store-dev-es256" --make-es256-key "$work/dev-es256.pub" ||
  { fail "cannot make the ES256 attestation key"; exit 1; }
PSK[dev-es256]=$(rand_hex 32)
echo "dev-es256 ${PSK[dev-es256]} es256:$(cat "$work/dev-es256.pub")" >> "$work/devices.db"
cp "$device" "$work/psk_device_tampered"
printf 'x' >> "$work/psk_device_tampered"   # firmware that is not the released image

cat > "$work/gw.conf" <<EOF
listen = 127.0.0.1:0
key_store = $work/gw-store
upstream_host = 127.0.0.1
upstream_port = $IOT_TEST_PORT_MTLS
upstream_ca = $IOT_TEST_PKI/ca.crt
upstream_cert = $IOT_TEST_PKI/client.crt
upstream_key = $IOT_TEST_PKI/client.key
upstream_client_id = gateway-test
upstream_buffer = 5000
allow = $(sha256sum "$device" | cut -d' ' -f1)
allow = $(sha256sum "$peer" | cut -d' ' -f1)
lifecycle = secured
attest_timeout_ms = 10000
EOF

# ---- 0. the device database in the gateway's key store -------------------------
n_db=$(grep -c . "$work/devices.db")
if "$gateway" -c "$work/gw.conf" import "$work/devices.db" > "$work/import.log" 2>&1 &&
    grep -q "import: $n_db device(s) imported" "$work/import.log"; then
  pass "$n_db devices imported into the gateway's key store"
else
  fail "import"; cat "$work/import.log" >&2
fi
{ echo "dev-1 $(rand_hex 32) hmac:$(rand_hex 32)"; echo "dev-oddhex abc hmac:00"; echo "dev-badatt 00 rsa:00";
  echo "dev-gone $(rand_hex 16) hmac:$(rand_hex 32)"; } > "$work/more.db"
if "$gateway" -c "$work/gw.conf" import "$work/more.db" > "$work/import2.log" 2>&1; then
  fail "an import with bad lines exited 0"
fi
grep -q "more.db:1: not imported: IOT_ERR_ALREADY_EXISTS (identity already in the store)" "$work/import2.log" &&
  pass "import: a duplicate identity is refused" || { fail "duplicate identity"; cat "$work/import2.log" >&2; }
grep -q "more.db:2: expected" "$work/import2.log" && pass "import: a bad PSK line is refused with its line" ||
  fail "bad PSK line"
grep -q "more.db:3: bad attestation key" "$work/import2.log" && pass "import: a bad attestation key is refused" ||
  fail "bad attestation key line"
"$gateway" -c "$work/gw.conf" list > "$work/list1.out" 2>/dev/null
grep -q "^dev-gone hmac$" "$work/list1.out" && grep -q "^dev-es256 es256$" "$work/list1.out" &&
  [ "$(wc -l < "$work/list1.out")" -eq $((n_db + 1)) ] && pass "list: $((n_db + 1)) devices" ||
  { fail "list"; cat "$work/list1.out" >&2; }
"$gateway" -c "$work/gw.conf" remove dev-gone > "$work/remove.log" 2>&1 &&
  ! "$gateway" -c "$work/gw.conf" list 2>/dev/null | grep -q "^dev-gone " &&
  pass "remove: the device is gone from the store" || fail "remove"
if "$gateway" -c "$work/gw.conf" remove dev-gone > "$work/remove2.log" 2>&1; then fail "removing a missing device exited 0"; fi
grep -q "no device dev-gone" "$work/remove2.log" && pass "remove: a missing device is reported" || fail "remove missing"
grep -rqi "${PSK[dev-1]}" "$work/gw.conf" "$work/gw-store" && fail "dev-1's PSK is stored as hex text" ||
  pass "no PSK in the configuration or as text in the store"
sed "s|^key_store = .*|psk_db = $work/devices.db|" "$work/gw.conf" > "$work/old.conf"
if "$gateway" -c "$work/old.conf" > "$work/old.log" 2>&1; then fail "a psk_db configuration started"; fi
grep -q "psk_db is no longer read" "$work/old.log" && pass "psk_db refused with the migration hint" ||
  fail "psk_db not refused"
rm -f "$work/devices.db" "$work/more.db" # the store is the database now

"$gateway" -c "$work/gw.conf" --port-file "$work/gw.port" > "$work/gw.log" 2>&1 &
gw_pid=$!
pids+=("$gw_pid")
for _ in $(seq 100); do [ -s "$work/gw.port" ] && break; sleep 0.1; done
[ -s "$work/gw.port" ] || { fail "gateway did not start"; cat "$work/gw.log" >&2; exit 1; }
port=$(cat "$work/gw.port")
echo "gateway pid $gw_pid on port $port"

mon_args=(--port "$IOT_TEST_PORT_MTLS" --ca "$IOT_TEST_PKI/ca.crt" --cert "$IOT_TEST_PKI/client.crt"
          --key "$IOT_TEST_PKI/client.key" --server-name localhost)

run_device() { # identity psk akey exe [args...]
  local id=$1 psk=$2 akey=$3 exe=$4
  shift 4
  "$exe" --port "$port" --identity "$id" --psk-hex "$psk" --attest-key-hex "$akey" \
    --store "$work/store-$id-$RANDOM" "$@"
}

# check_readings FILE COUNT: every device's seq 0..COUNT-1 in the monitor output.
check_readings() {
  local file=$1 count=$2 id missing=0 s
  for id in dev-1 dev-2 dev-3; do
    for ((s = 0; s < count; s++)); do
      grep -q "^$id {\"device\":\"$id\",\"seq\":$s," "$file" || missing=$((missing + 1))
    done
  done
  echo "$missing"
}

# ---- 1. three devices, every reading arrives --------------------------------
N=20
"$monitor" "${mon_args[@]}" --client-id mon-happy --count $((3 * N)) --timeout-s 90 \
  --ready-file "$work/mon1.ready" > "$work/mon1.out" 2> "$work/mon1.err" &
mon_pid=$!
pids+=("$mon_pid")
for _ in $(seq 100); do [ -e "$work/mon1.ready" ] && break; sleep 0.1; done
dev_pids=()
for id in dev-1 dev-2 dev-3; do
  run_device "$id" "${PSK[$id]}" "${AKEY[$id]}" "$device" --count $N --interval-ms 50 \
    > "$work/$id.out" 2>&1 &
  dev_pids+=($!)
done
i=0
for p in "${dev_pids[@]}"; do
  if wait "$p"; then pass "device ${ids[$i]} sent $N readings"; else fail "device ${ids[$i]} failed"; cat "$work/${ids[$i]}.out" >&2; fi
  i=$((i + 1))
done
if wait "$mon_pid"; then pass "monitor received $((3 * N)) readings"; else fail "monitor timed out"; fi
reaped "$mon_pid"
missing=$(check_readings "$work/mon1.out" $N)
[ "$missing" -eq 0 ] && pass "every reading of dev-1, dev-2, dev-3 seen upstream" || fail "$missing readings missing upstream"
n_att=$(grep -c "attested .* identity=dev-[123]$" "$work/gw.log")
[ "$n_att" -eq 3 ] && pass "three devices attested" || fail "attested $n_att devices, expected 3"

# ---- 1b. upstream -> device: a command reaches the device ----------------
run_device dev-2 "${PSK[dev-2]}" "${AKEY[dev-2]}" "$device" --count 150 --interval-ms 100 \
  > "$work/dev-2-cmd.out" 2>&1 &
cmd_dev=$!
pids+=("$cmd_dev")
got_cmd=0
for _ in $(seq 40); do
  "$monitor" "${mon_args[@]}" --client-id mon-cmd --count 0 --send-command dev-2 "blink-$$" \
    > /dev/null 2>&1
  sleep 0.5
  if grep -q "command devices/dev-2/cmd: blink-$$" "$work/dev-2-cmd.out"; then got_cmd=1; break; fi
done
[ "$got_cmd" -eq 1 ] && pass "a command from upstream reached dev-2 through the gateway" ||
  fail "the command never reached dev-2"
kill "$cmd_dev" 2>/dev/null; wait "$cmd_dev" 2>/dev/null; reaped "$cmd_dev"

# ---- 1c. a device attesting with ES256 (COSE_Sign1) ----------------------------
if "$device" --port "$port" --identity dev-es256 --psk-hex "${PSK[dev-es256]}" \
    --store "$work/store-dev-es256" --count 3 --interval-ms 50 > "$work/dev-es256.out" 2>&1 &&
    grep -q "attested .* identity=dev-es256$" "$work/gw.log"; then
  pass "a device attesting with COSE_Sign1/ES256 is accepted"
else
  fail "ES256 device"; cat "$work/dev-es256.out" >&2
fi

# ---- 2. refusals, each with its reason -------------------------------------
if run_device dev-wrongpsk "$(rand_hex 32)" "${AKEY[dev-wrongpsk]}" "$device" --count 1 > "$work/r1.out" 2>&1; then
  fail "a device with the wrong PSK connected"; fi
expect_log dev-wrongpsk "wrong PSK"
if run_device ghost "$(rand_hex 32)" "$(rand_hex 32)" "$device" --count 1 > "$work/r2.out" 2>&1; then
  fail "an unknown identity connected"; fi
expect_log ghost "unknown PSK identity"
# dev-damaged's PSK object damaged on disk while the gateway runs.
dmg=$(grep -l "psk:dev-damaged" "$work"/gw-store/*.obj)
if [ -n "$dmg" ] && [ "$(echo "$dmg" | wc -l)" -eq 1 ]; then
  printf '\xff' | dd of="$dmg" bs=1 seek=$(($(stat -c %s "$dmg") - 1)) conv=notrunc status=none
  if run_device dev-damaged "${PSK[dev-damaged]}" "${AKEY[dev-damaged]}" "$device" --count 1 > "$work/r2b.out" 2>&1; then
    fail "a device whose PSK object is damaged connected"; fi
  expect_log dev-damaged "its PSK cannot be used: key store says IOT_ERR_STORAGE_CORRUPT"
  if run_device dev-3 "${PSK[dev-3]}" "${AKEY[dev-3]}" "$device" --count 2 --interval-ms 50 > "$work/r2c.out" 2>&1; then
    pass "the other devices are still served after a damaged object"
  else
    fail "dev-3 refused after dev-damaged"; cat "$work/r2c.out" >&2
  fi
else
  fail "cannot find dev-damaged's PSK object in the store"
fi
if run_device bad-mac "${PSK[bad-mac]}" "$(rand_hex 32)" "$device" --count 1 > "$work/r3.out" 2>&1; then
  fail "a device with the wrong attestation key got through"; fi
expect_log bad-mac "attestation failed: bad MAC"
if run_device tampered "${PSK[tampered]}" "${AKEY[tampered]}" "$work/psk_device_tampered" --count 1 > "$work/r4.out" 2>&1; then
  fail "tampered firmware got through"; fi
expect_log tampered "attestation failed: measurement [0-9a-f]{64} not on the allow-list"

peer_case() { # mode identity log-regex
  if "$peer" "$1" "$port" "$2" "${PSK[$2]}" "$work/store-$2" "${AKEY[$2]}" > "$work/peer-$1.out" 2>&1; then
    pass "gw_peer $1: the gateway closed the connection"
  else
    fail "gw_peer $1"; cat "$work/peer-$1.out" >&2
  fi
  [ -z "$3" ] || expect_log "$2" "$3"
}
peer_case stale peer-stale "attestation failed: stale nonce"
peer_case truncated-token peer-trunc "attestation failed: malformed token"
"$peer" no-token "$port" peer-silent "${PSK[peer-silent]}" "$work/store-peer-silent" "${AKEY[peer-silent]}" \
  > "$work/peer-silent.out" 2>&1 &
silent_pid=$!
pids+=("$silent_pid")
peer_case lifecycle peer-lifecycle "attestation failed: lifecycle 0x4000 not accepted"
peer_case outside peer-outside "publish outside its namespace: \"devices/someone-else/telemetry\""
if run_device peer-sub "${PSK[peer-sub]}" "${AKEY[peer-sub]}" "$device" --count 1 --subscribe-extra 'devices/#' > "$work/r5.out" 2>&1; then
  fail "a subscription outside the namespace was accepted"; fi
expect_log peer-sub "subscribe outside its namespace: \"devices/#\""

# ---- 3. hostile input: the gateway stays up ----------------------------------
peer_case garbage-tcp peer-garbage ""
expect_log "-" "TLS handshake failed"
peer_case garbage-after-handshake peer-garbage "TLS error"
peer_case garbage-tls peer-garbage2 "malformed MQTT"
if "$peer" vanish "$port" peer-vanish "${PSK[peer-vanish]}" "$work/store-peer-vanish" "${AKEY[peer-vanish]}" > "$work/peer-vanish.out" 2>&1; then
  deadline=$((SECONDS + 10))
  until grep -q "identity=peer-vanish: device vanished mid-packet" "$work/gw.log" || [ $SECONDS -ge $deadline ]; do sleep 0.2; done
  grep -q "identity=peer-vanish: device vanished mid-packet" "$work/gw.log" &&
    pass "device vanishing mid-packet noticed" || fail "no log of the vanished device"
else
  fail "gw_peer vanish"
fi
if wait "$silent_pid"; then pass "gw_peer no-token: the gateway closed the connection"; else fail "gw_peer no-token"; fi
reaped "$silent_pid"
expect_log peer-silent "no attestation token within 10000 ms"
kill -0 "$gw_pid" 2>/dev/null && pass "gateway still running after hostile input" || fail "gateway died"
if "$peer" ok "$port" peer-ok "${PSK[peer-ok]}" "$work/store-peer-ok" "${AKEY[peer-ok]}" > "$work/peer-ok.out" 2>&1; then
  pass "an honest device is still served"
else
  fail "honest gw_peer refused"; cat "$work/peer-ok.out" >&2
fi

# ---- 4. upstream broker restart while devices publish ----------------------
M=60
"$monitor" "${mon_args[@]}" --client-id mon-restart --count $((3 * M)) --timeout-s 120 \
  --ready-file "$work/mon2.ready" > "$work/mon2.out" 2> "$work/mon2.err" &
mon_pid=$!
pids+=("$mon_pid")
for _ in $(seq 100); do [ -e "$work/mon2.ready" ] && break; sleep 0.1; done
dev_pids=()
for id in dev-1 dev-2 dev-3; do
  run_device "$id" "${PSK[$id]}" "${AKEY[$id]}" "$device" --count $M --interval-ms 100 \
    > "$work/$id-2.out" 2>&1 &
  dev_pids+=($!)
done
sleep 2
if bash "$IOT_TEST_BROKER_CTL" restart "$IOT_TEST_BROKER_STATE"; then pass "upstream broker restarted"; else fail "broker restart"; fi
for p in "${dev_pids[@]}"; do wait "$p" || fail "a device failed during the broker restart"; done
if wait "$mon_pid"; then pass "monitor got $((3 * M)) readings across the restart"; else fail "monitor timed out across the restart"; fi
reaped "$mon_pid"
missing=$(check_readings "$work/mon2.out" $M)
[ "$missing" -eq 0 ] && pass "nothing lost across the upstream restart" || fail "$missing readings lost across the upstream restart"
grep -q "upstream: connection lost" "$work/gw.log" && pass "gateway saw the upstream loss" || fail "the gateway never lost upstream (restart not exercised)"

# ---- 4b. upstream unreachable and the buffer full: back-pressure, not loss --
dead_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sed -e "s/^upstream_port = .*/upstream_port = $dead_port/" -e "s/^upstream_buffer = .*/upstream_buffer = 5/" \
  -e "s/^upstream_client_id = .*/upstream_client_id = gateway-test-2/" "$work/gw.conf" > "$work/gw2.conf"
"$gateway" -c "$work/gw2.conf" --port-file "$work/gw2.port" > "$work/gw2.log" 2>&1 &
gw2_pid=$!
pids+=("$gw2_pid")
for _ in $(seq 100); do [ -s "$work/gw2.port" ] && break; sleep 0.1; done
port2=$(cat "$work/gw2.port")
if "$device" --port "$port2" --identity dev-1 --psk-hex "${PSK[dev-1]}" --attest-key-hex "${AKEY[dev-1]}" \
    --store "$work/store-buf1" --count 20 --interval-ms 20 --qos 1 > "$work/buf1.out" 2>&1; then
  fail "QoS 1 publishes beyond the upstream buffer were all accepted"
fi
grep -q "closed .* identity=dev-1: upstream buffer full (5 messages): QoS 1 message" "$work/gw2.log" &&
  pass "QoS 1 sender disconnected unacknowledged when the upstream buffer is full" ||
  fail "no 'upstream buffer full' disconnect logged"
if "$device" --port "$port2" --identity dev-2 --psk-hex "${PSK[dev-2]}" --attest-key-hex "${AKEY[dev-2]}" \
    --store "$work/store-buf2" --count 20 --interval-ms 20 --qos 0 > "$work/buf2.out" 2>&1; then
  pass "QoS 0 sender keeps its connection"
else
  fail "QoS 0 sender lost its connection"
fi
grep -q "upstream buffer full: QoS 0 messages dropped" "$work/gw2.log" && pass "QoS 0 drops logged" ||
  fail "QoS 0 drops not logged"
kill -TERM "$gw2_pid"
wait "$gw2_pid" && pass "second gateway stopped cleanly" || fail "second gateway exit status"
reaped "$gw2_pid"

# ---- 4c. out of file descriptors: the gateway pauses accepting, then recovers --
sed -e "s/^upstream_client_id = .*/upstream_client_id = gateway-test-3/" "$work/gw.conf" > "$work/gw3.conf"
(ulimit -n 48; exec "$gateway" -c "$work/gw3.conf" --port-file "$work/gw3.port") > "$work/gw3.log" 2>&1 &
gw3_pid=$!
pids+=("$gw3_pid")
for _ in $(seq 100); do [ -s "$work/gw3.port" ] && break; sleep 0.1; done
port3=$(cat "$work/gw3.port")
held=()
for _ in $(seq 60); do
  exec {fd}<>"/dev/tcp/127.0.0.1/$port3" && held+=("$fd")
done
deadline=$((SECONDS + 10))
until grep -q "pausing new connections" "$work/gw3.log" || [ $SECONDS -ge $deadline ]; do sleep 0.2; done
grep -q "pausing new connections" "$work/gw3.log" && pass "out of descriptors: accepting paused, logged" ||
  fail "no descriptor exhaustion logged"
grep -q "1 damaged object(s) kept aside" "$work/gw3.log" && grep -q "device dev-damaged has no PSK; it is refused" "$work/gw3.log" &&
  pass "restarted over a damaged object: logged at start, that device left out" ||
  fail "damaged object not reported at start"
for fd in "${held[@]}"; do exec {fd}>&-; done
sleep 1
if "$peer" ok "$port3" peer-ok "${PSK[peer-ok]}" "$work/store-peer-ok3" "${AKEY[peer-ok]}" > "$work/peer-ok3.out" 2>&1; then
  pass "after descriptor exhaustion a device is served again"
else
  fail "no recovery after descriptor exhaustion"; cat "$work/peer-ok3.out" >&2
fi
kill -TERM "$gw3_pid"
wait "$gw3_pid" && pass "third gateway stopped cleanly" || fail "third gateway exit status"
reaped "$gw3_pid"

# ---- 5. clean shutdown --------------------------------------------------------
kill -TERM "$gw_pid"
if wait "$gw_pid"; then pass "gateway exited 0 on SIGTERM"; else fail "gateway exit status on SIGTERM"; fi
reaped "$gw_pid"
grep -q "stopped: " "$work/gw.log" && pass "shutdown summary logged" || fail "no shutdown summary"

echo "--- gateway log (refusals and summary)"
grep -E "refused|stopped|upstream" "$work/gw.log" | tail -n 40
if [ "$failures" -ne 0 ]; then
  echo "gateway_test: $failures failure(s)" >&2
  exit 1
fi
echo "gateway_test: all checks passed"
