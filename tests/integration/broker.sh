#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A private mosquitto broker for one integration test, on free ports of
# 127.0.0.1 only, with every listener the tests need.
#
#   broker.sh start STATEDIR [PKIDIR]  configure (first time) and start; without
#                                      PKIDIR, tools/gen-certs.sh makes STATEDIR/pki.
#                                      On a STATEDIR that was started before, starts
#                                      the same configuration again (same ports).
#   broker.sh stop STATEDIR            SIGTERM, SIGKILL if still alive after 5 s
#   broker.sh restart STATEDIR         stop, start again: same ports, persistence kept
#   broker.sh kill STATEDIR            SIGKILL: a crash (persistence as last autosaved)
#   broker.sh pause STATEDIR           SIGSTOP: connections stay open, nothing answers
#   broker.sh resume STATEDIR          SIGCONT
#
# start writes STATEDIR/broker.env (IOT_TEST_BROKER_HOST, IOT_TEST_PORT_PLAIN,
# _TLS, _MTLS, _PSK, _TLS12, _EXPIRED, _WRONGHOST, _OTHERCA, IOT_TEST_PKI,
# IOT_TEST_BROKER_STATE, IOT_TEST_BROKER_CTL) and STATEDIR/broker.pid.
# Listeners:
#   PLAIN      MQTT without TLS
#   TLS        server certificate (CN=localhost) from PKIDIR/ca.crt; no client certificate
#   MTLS       as TLS, and a client certificate signed by ca.crt is required
#   PSK        TLS-PSK, hint "corstone-iot-test"; identities device-1 (PKIDIR/psk.hex)
#              and device-2 (STATEDIR/psk-device-2.hex); TLS 1.2 (PSK, DHE-PSK,
#              ECDHE-PSK suites, PSK-AES-CCM included) and TLS 1.3
#   TLS12      as TLS, but TLS 1.2 only; a client offering TLS 1.3 is refused, not
#              downgraded. OPENSSL_CONF=STATEDIR/openssl-tls12-client.cnf caps an
#              OpenSSL-based client (mosquitto_pub/sub, Paho) at TLS 1.2.
#   EXPIRED    expired server certificate     } a client that verifies the server
#   WRONGHOST  certificate for another host   } must refuse these; none asks for a
#   OTHERCA    certificate from other-ca.crt  } client certificate
# The broker process is found by the PID in STATEDIR/broker.pid, never by name.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
self="$here/$(basename "${BASH_SOURCE[0]}")"
gen_certs="$here/../../tools/gen-certs.sh"
names=(PLAIN TLS MTLS PSK TLS12 EXPIRED WRONGHOST OTHERCA)
start_deadline_ms=10000
stop_deadline_ms=5000
start_attempts=5

die() { echo "broker.sh: $*" >&2; exit 1; }
usage() {
  echo "usage: broker.sh start STATEDIR [PKIDIR] | stop|restart|kill|pause|resume STATEDIR" >&2
  exit 2
}

now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }

find_mosquitto() {
  local m
  m=$(command -v mosquitto 2>/dev/null) || true
  for m in "$m" /usr/sbin/mosquitto /usr/local/sbin/mosquitto; do
    [ -n "$m" ] && [ -x "$m" ] && { echo "$m"; return 0; }
  done
  die "mosquitto not found (Debian: apt-get install mosquitto)"
}

# proc_state PID: the one-letter state from /proc (empty if there is no such process).
proc_state() {
  local line
  read -r line 2>/dev/null < "/proc/$1/stat" || return 0
  line=${line##*) }
  echo "${line%% *}"
}

# running PID: the process exists and has not exited (a zombie has).
running() {
  local s
  [ -n "$1" ] || return 1
  s=$(proc_state "$1")
  [ -n "$s" ] && [ "$s" != Z ] && [ "$s" != X ]
}

# alive PID: PID is running and is our mosquitto (with this STATEDIR's config),
# not a process that reused the number.
alive() {
  local cmd
  running "$1" || return 1
  cmd=$(tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null) || return 1
  [[ $cmd == *"$state/mosquitto.conf"* ]]
}

broker_pid() {
  local pid=""
  [ -r "$state/broker.pid" ] && read -r pid < "$state/broker.pid"
  if alive "$pid"; then echo "$pid"; fi
}

# wait_gone PID MS: true once PID has exited (or is a zombie) within MS milliseconds.
wait_gone() {
  local pid=$1 deadline=$(( $(now_ms) + $2 ))
  while alive "$pid"; do
    (( $(now_ms) < deadline )) || return 1
    sleep 0.02
  done
}

# Ports below the kernel's ephemeral range, so that no outgoing connection
# holds one; each is unused now (ss) and refuses connections.
pick_ports() {
  local lo=10000 hi eph used p i
  read -r eph _ < /proc/sys/net/ipv4/ip_local_port_range || eph=32768
  hi=$((eph - 1))
  if (( hi - lo < 2000 )); then lo=20000; hi=29999; fi
  used=" "
  if command -v ss >/dev/null 2>&1; then
    used+=$(ss -Htan 2>/dev/null | awk '{ n = split($4, a, ":"); printf "%s ", a[n] }')
  fi
  ports=()
  for ((i = 0; i < 1000 && ${#ports[@]} < ${#names[@]}; i++)); do
    p=$(( lo + (${SRANDOM:-$((RANDOM * 32768 + RANDOM))} % (hi - lo + 1)) ))
    [[ $used == *" $p "* ]] && continue
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then continue; fi
    used+="$p "
    ports+=("$p")
  done
  (( ${#ports[@]} == ${#names[@]} )) || die "no free ports"
}

write_conf() {
  local i conf="$state/mosquitto.conf" psk1
  psk1=$(<"$pki/psk.hex")
  [[ $psk1 =~ ^[0-9a-fA-F]+$ ]] || die "$pki/psk.hex is not a hex key"
  if [ ! -s "$state/psk-device-2.hex" ]; then
    od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > "$state/psk-device-2.hex"
  fi
  printf 'device-1:%s\ndevice-2:%s\n' "$psk1" "$(<"$state/psk-device-2.hex")" > "$state/psk_file"
  chmod 600 "$state/psk_file"
  printf '%s\n' "openssl_conf = tls12_init" "[tls12_init]" "ssl_conf = tls12_ssl" "[tls12_ssl]" \
    "system_default = tls12_system" "[tls12_system]" "MaxProtocol = TLSv1.2" > "$state/openssl-tls12-client.cnf"

  {
    echo "# Written by broker.sh for one test; ports chosen at start."
    # As root, mosquitto 2.0 would switch to the user 'mosquitto', which cannot
    # write this state directory.
    if [ "$(id -u)" -eq 0 ]; then echo "user root"; fi
    echo "per_listener_settings false"
    echo "allow_anonymous true"
    echo "psk_file $state/psk_file"
    echo "persistence true"
    echo "persistence_location $state/"
    echo "persistence_file mosquitto.db"
    # Saved every second or two (each save is logged), and at a clean stop.
    echo "autosave_interval 1"
    # Room for a 10,000-message QoS 1 stream to one offline or slow subscriber.
    # Packet and message sizes keep their default: no limit below MQTT's own.
    echo "max_inflight_messages 100"
    echo "max_queued_messages 20000"
    echo "max_queued_bytes 0"
    echo "set_tcp_nodelay true"
    echo "log_dest file $state/mosquitto.log"
    echo "log_type error"
    echo "log_type warning"
    echo "log_type notice"
    echo "log_type information"
    echo "log_type subscribe"
    echo "log_type unsubscribe"
    echo "connection_messages true"
    echo "log_timestamp true"
    echo "log_timestamp_format %Y-%m-%dT%H:%M:%S"
    for i in "${!names[@]}"; do
      echo
      echo "# ${names[$i]}"
      echo "listener ${ports[$i]} 127.0.0.1"
      case ${names[$i]} in
        PLAIN) ;;
        TLS|MTLS|TLS12)
          echo "cafile $pki/ca.crt"
          echo "certfile $pki/server.crt"
          echo "keyfile $pki/server.key"
          if [ "${names[$i]}" = MTLS ]; then
            echo "require_certificate true"
            echo "use_identity_as_username false"
          else
            echo "require_certificate false"
          fi
          if [ "${names[$i]}" = TLS12 ]; then
            # mosquitto 2.0.10+ reads tls_version as the minimum version, so
            # TLS 1.3 is also kept out through its suites: only
            # TLS_AES_128_CCM_8_SHA256, which common clients do not offer. A
            # client offering TLS 1.3 and 1.2 is then refused, not downgraded
            # (OpenSSL picks the version first); one limited to TLS 1.2 works.
            echo "tls_version tlsv1.2"
            echo "ciphers_tls1.3 TLS_AES_128_CCM_8_SHA256"
          fi
          ;;
        PSK)
          echo "psk_hint corstone-iot-test"
          # TLS 1.2: every PSK suite but the unencrypted ones. OpenSSL DEFAULT (what
          # mosquitto uses otherwise) lacks the PSK-AES-CCM(8) suites of small devices.
          echo "ciphers PSK:!eNULL"
          echo "use_identity_as_username false"
          ;;
        EXPIRED|WRONGHOST|OTHERCA)
          local base
          case ${names[$i]} in
            EXPIRED) base=expired-server ;; WRONGHOST) base=wronghost-server ;; OTHERCA) base=other-server ;;
          esac
          echo "cafile $pki/ca.crt"
          echo "certfile $pki/$base.crt"
          echo "keyfile $pki/$base.key"
          echo "require_certificate false"
          ;;
      esac
    done
  } > "$conf.tmp"
  mv "$conf.tmp" "$conf"
}

# Ports of an existing configuration, in the order of names[].
read_conf_ports() {
  local line
  ports=()
  while read -r line; do
    [[ $line =~ ^listener\ ([0-9]+)\ 127\.0\.0\.1$ ]] && ports+=("${BASH_REMATCH[1]}")
  done < "$state/mosquitto.conf"
  (( ${#ports[@]} == ${#names[@]} )) || die "$state/mosquitto.conf: expected ${#names[@]} listeners"
}

write_env() {
  local i
  {
    echo "IOT_TEST_BROKER_HOST=127.0.0.1"
    for i in "${!names[@]}"; do echo "IOT_TEST_PORT_${names[$i]}=${ports[$i]}"; done
    echo "IOT_TEST_PKI=$pki"
    echo "IOT_TEST_BROKER_STATE=$state"
    echo "IOT_TEST_BROKER_CTL=$self"
  } > "$state/broker.env.tmp"
  mv "$state/broker.env.tmp" "$state/broker.env"
}

show_log() {
  echo "--- $state/mosquitto.log (tail, without autosave lines)" >&2
  grep -v "Saving in-memory database" "$state/mosquitto.log" 2>/dev/null | tail -n 30 >&2 || true
  if [ -s "$state/mosquitto.out" ]; then
    echo "--- mosquitto stdout/stderr" >&2
    tail -n 30 "$state/mosquitto.out" >&2
  fi
}

# listening PID: every port accepts TCP connections: a listening socket of PID
# on 127.0.0.1 (ss), or, where ss is missing, a connection succeeds.
listening() {
  local pid=$1 p out
  if command -v ss >/dev/null 2>&1; then
    out=$(ss -Hltnp 2>/dev/null) || out=""
    for p in "${ports[@]}"; do
      grep -q "127\.0\.0\.1:$p .*pid=$pid," <<< "$out" || return 1
    done
    return 0
  fi
  # Without ss: connect to each port (mosquitto logs a failed TLS handshake).
  for p in "${ports[@]}"; do
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || return 1
  done
}

# launch: start mosquitto on the current configuration and wait until it
# listens. Returns 0 when ready, 3 if a port was taken, 1 otherwise.
launch() {
  local pid deadline log_start out
  log_start=$(( $(stat -c %s "$state/mosquitto.log" 2>/dev/null || echo 0) + 1 ))
  : > "$state/mosquitto.out"
  "$mosquitto" -c "$state/mosquitto.conf" < /dev/null >> "$state/mosquitto.out" 2>&1 &
  pid=$!
  echo "$pid" > "$state/broker.pid"
  deadline=$(( $(now_ms) + start_deadline_ms ))
  while :; do
    # Our child: 'running', as it may not have reached exec yet.
    if ! running "$pid"; then
      out=$(tail -c "+$log_start" "$state/mosquitto.log" 2>/dev/null; cat "$state/mosquitto.out")
      if [[ $out == *"Address already in use"* ]]; then return 3; fi
      echo "broker.sh: mosquitto exited during start" >&2
      show_log
      return 1
    fi
    if listening "$pid"; then return 0; fi
    if (( $(now_ms) >= deadline )); then
      echo "broker.sh: mosquitto not listening on ${ports[*]} after ${start_deadline_ms} ms" >&2
      show_log
      kill -KILL "$pid" 2>/dev/null || true
      return 1
    fi
    sleep 0.02
  done
}

cmd_start() {
  local pid attempt rc
  mosquitto=$(find_mosquitto)
  pid=$(broker_pid)
  [ -z "$pid" ] || die "already running in $state (pid $pid)"

  if [ -f "$state/mosquitto.conf" ] && [ -f "$state/broker.env" ]; then
    # Started before: the same ports, PKI and persistence.
    pki=$(sed -n 's/^IOT_TEST_PKI=//p' "$state/broker.env")
    read_conf_ports
    launch || { rc=$?; [ $rc -eq 3 ] && echo "broker.sh: a port is taken: ${ports[*]}" >&2 && show_log; return 1; }
    return 0
  fi

  if [ -n "${pki_arg:-}" ]; then
    pki=$(cd "$pki_arg" && pwd) || die "no PKI directory $pki_arg"
  else
    [ -f "$gen_certs" ] || die "$gen_certs not found"
    pki="$state/pki"
    if [ ! -f "$pki/.done" ]; then
      bash "$gen_certs" "$pki" > "$state/gen-certs.log" 2>&1 || { cat "$state/gen-certs.log" >&2; die "gen-certs.sh failed"; }
    fi
  fi
  [[ $pki != *[[:space:]]* ]] || die "the PKI path must not contain white space: $pki"
  local f
  for f in ca.crt server.crt server.key client.crt client.key expired-server.crt expired-server.key \
           wronghost-server.crt wronghost-server.key other-server.crt other-server.key psk.hex; do
    [ -s "$pki/$f" ] || die "$pki/$f missing"
  done

  for ((attempt = 1; attempt <= start_attempts; attempt++)); do
    pick_ports
    write_conf
    rc=0
    launch || rc=$?
    if [ $rc -eq 0 ]; then
      write_env
      return 0
    fi
    [ $rc -eq 3 ] || return 1
    echo "broker.sh: a port was taken meanwhile; picking others" >&2
  done
  show_log
  die "could not bind after $start_attempts attempts"
}

cmd_stop() {
  local pid
  pid=$(broker_pid)
  if [ -n "$pid" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    kill -CONT "$pid" 2>/dev/null || true # a paused broker must see the SIGTERM
    if ! wait_gone "$pid" "$stop_deadline_ms"; then
      echo "broker.sh: mosquitto (pid $pid) ignored SIGTERM for ${stop_deadline_ms} ms; SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
      wait_gone "$pid" "$stop_deadline_ms" || die "mosquitto (pid $pid) does not exit"
    fi
  fi
  rm -f "$state/broker.pid"
}

cmd_kill() {
  local pid
  pid=$(broker_pid)
  [ -n "$pid" ] || die "not running in $state"
  kill -KILL "$pid"
  wait_gone "$pid" "$stop_deadline_ms" || die "mosquitto (pid $pid) survives SIGKILL"
  rm -f "$state/broker.pid"
}

# cmd_pause_resume STOP|CONT: send the signal, wait until the process is
# stopped (T) or no longer stopped.
cmd_pause_resume() {
  local sig=$1 pid s deadline
  pid=$(broker_pid)
  [ -n "$pid" ] || die "not running in $state"
  kill "-$sig" "$pid"
  deadline=$(( $(now_ms) + stop_deadline_ms ))
  while :; do
    s=$(proc_state "$pid")
    if [ "$sig" = STOP ]; then [ "$s" = T ] && return 0; else [ "$s" != T ] && return 0; fi
    (( $(now_ms) < deadline )) || die "mosquitto (pid $pid) did not take SIG$sig"
    sleep 0.01
  done
}

[ $# -ge 2 ] || usage
action=$1
[ -n "$2" ] || usage
if [ "$action" = start ]; then mkdir -p "$2"; fi
[ -d "$2" ] || die "no state directory $2"
state=$(cd "$2" && pwd)
[[ $state != *[[:space:]]* ]] || die "STATEDIR must not contain white space: $state"
pki_arg=${3:-}
case $action in
  start) [ $# -le 3 ] || usage; cmd_start ;;
  stop) [ $# -eq 2 ] || usage; cmd_stop ;;
  restart)
    [ $# -eq 2 ] || usage
    [ -f "$state/broker.env" ] || die "never started in $state"
    cmd_stop
    cmd_start
    ;;
  kill) [ $# -eq 2 ] || usage; cmd_kill ;;
  pause) [ $# -eq 2 ] || usage; cmd_pause_resume STOP ;;
  resume) [ $# -eq 2 ] || usage; cmd_pause_resume CONT ;;
  *) usage ;;
esac
