#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# OTA over MQTT end to end, with faults: real mosquitto (with_broker.sh), real
# device processes (samples/ota: ota_device), the real server (iot-ota-serve)
# and images signed by iot-imgsign.
#
#   ota_e2e.sh OTA_DEVICE IOT_OTA_SERVE IOT_IMGSIGN [SCENARIO...]
#
# Scenarios (all by default):
#   update     one device, 1.0.0 -> 2.0.0: download, verify, activate, restart
#              into the trial, self-test, confirm, report
#   blocks     the device (a checkpoint per block) is killed (SIGKILL, by PID)
#              after every block of the download; each restart runs a valid
#              image (1.0.0) and resumes at exactly the bytes written before
#              the kill
#   checkpoints the same with a checkpoint every 3 blocks: each restart
#              resumes at the last checkpoint before the kill, asks again for
#              what came after it, and the image ends up exact
#   steps      the device is killed at each step of verify / activate / reboot /
#              boot / self-test / confirm; each restart runs a valid image, and
#              the update ends confirmed (2.0.0) or, when killed on trial
#              before the confirm, reverted (1.0.0, reported REVERTED)
#   fleet      four devices updated by one server at once
#   broker     the broker restarts in the middle of a download: device and
#              server reconnect and the download continues where it was
#   garbage    malformed jobs and blocks on the device's topics are ignored (the
#              device keeps running and takes the next valid job); an empty
#              job during a download cancels it (failed, ABORTED)
#   refusals   a failed self-test is rejected and reverts; a downgrade, a corrupted image and
#              an image larger than the slot are each refused with their reason
#              and the device keeps running 1.0.0
#
# Every device process is started here and stopped by its PID. Needs the
# IOT_TEST_* variables of with_broker.sh (the PLAIN listener is used: the
# protocol is what is under test; TLS is tested in integration.mqtt_client).
set -uo pipefail

dev_bin=$1
serve_bin=$2
sign_bin=$3
shift 3
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(update blocks checkpoints steps fleet broker garbage refusals)

: "${IOT_TEST_PORT_PLAIN:?run under with_broker.sh}"
port=$IOT_TEST_PORT_PLAIN
work=$(mktemp -d "${TMPDIR:-/tmp}/ota-e2e.XXXXXX")
block=1024
failures=0
pids=()

cleanup() {
  local p
  for p in "${pids[@]}"; do
    kill -KILL "$p" 2>/dev/null || true
  done
  if [ "$failures" -eq 0 ]; then rm -rf "$work"; else echo "ota_e2e: files kept in $work" >&2; fi
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
scenario_failures=0
# ok TEXT: prints TEXT when the running scenario had no failure.
ok() { [ "$failures" -eq "$scenario_failures" ] && echo "ok: $*"; }

now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }

proc_state() {
  local line
  read -r line 2>/dev/null < "/proc/$1/stat" || return 0
  line=${line##*) }
  echo "${line%% *}"
}

# wait_stopped PID: the process stopped itself (SIGSTOP) within 60 s.
wait_stopped() {
  local deadline=$(( $(now_ms) + 60000 )) s
  while :; do
    s=$(proc_state "$1")
    [ "$s" = T ] && return 0
    if [ -z "$s" ] || [ "$s" = Z ]; then return 1; fi
    (( $(now_ms) < deadline )) || return 1
    sleep 0.02
  done
}

# kill_device PID: SIGKILL, then reap.
kill_device() {
  kill -KILL "$1" 2>/dev/null
  wait "$1" 2>/dev/null || true
}

# start_device NAME DIR LOG [ARGS...]: runs ota_device in the background; sets $dev_pid.
start_device() {
  local name=$1 dir=$2 log=$3
  shift 3
  "$dev_bin" --dir "$dir" --port "$port" --id "$name" --pubkey "$work/pub.pem" \
    --factory-image "$work/v1.img" --block "$block" --window 4 "$@" >> "$log" 2>&1 &
  dev_pid=$!
  pids+=("$dev_pid")
}

# serve_bg LOG IMAGE DEVICE...: the server in the background, waiting for "done"; sets $serve_pid.
serve_bg() {
  local log=$1 img=$2 d args=()
  shift 2
  for d in "$@"; do args+=(--device "$d"); done
  "$serve_bin" --port "$port" --image "$img" "${args[@]}" --wait done --timeout 120 --quiet \
    > "$log" 2>&1 &
  serve_pid=$!
  pids+=("$serve_pid")
}

# active_is DIR IMAGE: the device's active slot holds exactly IMAGE.
active_is() { cmp -s "$1/fw/c1.active" "$2"; }

# active_valid DIR: the active slot holds 1.0.0 or 2.0.0, never anything else.
active_valid() { active_is "$1" "$work/v1.img" || active_is "$1" "$work/v2.img"; }

# result_of LOG DEVICE: "state reason" from the server's RESULT line.
result_of() {
  sed -n "s/^RESULT device=$2 state=\([a-z?]*\) reason=\([A-Z_]*\) .*/\1 \2/p" "$1"
}

# wait_pid PID [LIMIT_S]: its exit status; a process still running after
# LIMIT_S seconds (default 180) is killed and counts as 124, so that a stuck
# process fails its scenario with a message instead of hanging the test.
wait_pid() {
  local pid=$1 limit=${2:-180} rc=0 deadline
  deadline=$(( $(now_ms) + limit * 1000 ))
  while kill -0 "$pid" 2>/dev/null && [ "$(proc_state "$pid")" != Z ]; do
    if [ "$(now_ms)" -ge "$deadline" ]; then
      echo "ota_e2e: process $pid still running after $limit s: killed" >&2
      kill -KILL "$pid" 2>/dev/null
      wait "$pid" 2>/dev/null
      return 124
    fi
    sleep 0.05
  done
  wait "$pid" || rc=$?
  return $rc
}

# ---- images ----
openssl ecparam -name prime256v1 -genkey -noout -out "$work/key.pem" 2>/dev/null
openssl ec -in "$work/key.pem" -pubout -out "$work/pub.pem" 2>/dev/null
head -c 3000 /dev/urandom > "$work/app1.bin"
head -c 5000 /dev/urandom > "$work/app2.bin"
head -c 4000 /dev/urandom > "$work/app0.bin"
sign() { "$sign_bin" sign --key "$work/key.pem" --version "$1" --header-size 0x400 --pad-header \
  "$work/$2" "$work/$3" > /dev/null || { echo "signing $3 failed" >&2; exit 1; }; }
sign 1.0.0 app1.bin v1.img
sign 2.0.0 app2.bin v2.img
sign 0.9.0 app0.bin v0.img
size2=$(stat -c %s "$work/v2.img")
nblocks=$(( (size2 + block - 1) / block ))
echo "images: v1 $(stat -c %s "$work/v1.img") bytes, v2 $size2 bytes ($nblocks blocks of $block)"

# ---- scenarios ----
scenario_update() {
  local d="$work/update" log="$work/update.log"
  start_device upd "$d" "$log" --once
  local pid=$dev_pid
  "$serve_bin" --port "$port" --image "$work/v2.img" --device upd --wait done --timeout 120 \
    > "$work/update.serve" 2>&1
  local rc=$?
  wait_pid "$pid"; local drc=$?
  [ $rc -eq 0 ] || fail "update: server exit $rc: $(cat "$work/update.serve")"
  [ $drc -eq 0 ] || fail "update: device exit $drc"
  [ "$(result_of "$work/update.serve" upd)" = "succeeded NONE" ] || fail "update: $(result_of "$work/update.serve" upd)"
  active_is "$d" "$work/v2.img" || fail "update: 2.0.0 is not active"
  grep -q "BOOT trial; RUNNING 2.0.0" "$log" || fail "update: no trial boot of 2.0.0"
  grep -q "DONE job [0-9]* succeeded" "$log" || fail "update: device did not confirm"
  ok "update: 1.0.0 -> 2.0.0 over MQTT, restarted, self-tested, confirmed"
}

scenario_blocks() {
  local d="$work/blocks" log="$work/blocks.log" k pid want
  serve_bg "$work/blocks.serve" "$work/v2.img" blk
  local spid=$serve_pid
  for ((k = 1; k < nblocks; k++)); do
    want=$((k * block))
    start_device blk "$d" "$log" --checkpoint "$block" --stop-after-bytes "$want"
    pid=$dev_pid
    if ! wait_stopped "$pid"; then
      fail "blocks: device did not reach block $k"; kill_device "$pid"; break
    fi
    kill_device "$pid"
    active_is "$d" "$work/v1.img" || fail "blocks: after a kill at block $k the active image is not 1.0.0"
    if [ "$k" -gt 1 ]; then
      grep -q "resuming at $(( (k - 1) * block )) of $size2 bytes" "$log" ||
        fail "blocks: run $k did not resume at $(( (k - 1) * block ))"
    fi
  done
  start_device blk "$d" "$log" --checkpoint "$block" --once
  pid=$dev_pid
  wait_pid "$pid" || fail "blocks: final run exit $?"
  wait_pid "$spid" || fail "blocks: server exit $?"
  grep -q "resuming at $(( (nblocks - 1) * block )) of $size2 bytes" "$log" ||
    fail "blocks: the last run did not resume at $(( (nblocks - 1) * block ))"
  [ "$(result_of "$work/blocks.serve" blk)" = "succeeded NONE" ] ||
    fail "blocks: $(result_of "$work/blocks.serve" blk)"
  active_is "$d" "$work/v2.img" || fail "blocks: 2.0.0 is not active at the end"
  local resumes
  resumes=$(grep -c "resuming at" "$log")
  [ "$resumes" -eq $((nblocks - 1)) ] || fail "blocks: $resumes resumes, expected $((nblocks - 1))"
  ok "blocks: killed after each of $((nblocks - 1)) blocks; every restart ran 1.0.0 and resumed at the kill point"
}

scenario_checkpoints() {
  local d="$work/ckpt" log="$work/ckpt.log" k pid want at cp=$((3 * block)) resumes=0
  serve_bg "$work/ckpt.serve" "$work/v2.img" ckpt
  local spid=$serve_pid
  for ((k = 1; k <= nblocks; k++)); do
    # Run k resumes at the last checkpoint run k-1 passed (none: from 0).
    at=$(( ((k - 1) * block / cp) * cp ))
    if [ "$k" -lt "$nblocks" ]; then
      start_device ckpt "$d" "$log" --checkpoint "$cp" --stop-after-bytes "$((k * block))"
      pid=$dev_pid
      if ! wait_stopped "$pid"; then
        fail "checkpoints: device did not reach block $k"; kill_device "$pid"; break
      fi
      kill_device "$pid"
      active_is "$d" "$work/v1.img" || fail "checkpoints: after a kill at block $k the active image is not 1.0.0"
    else
      start_device ckpt "$d" "$log" --checkpoint "$cp" --once
      pid=$dev_pid
      wait_pid "$pid" || fail "checkpoints: final run exit $?"
    fi
    if [ "$at" -gt 0 ]; then
      resumes=$((resumes + 1))
      [ "$(grep -c "resuming at $at of $size2 bytes" "$log")" -ge 1 ] ||
        fail "checkpoints: run $k did not resume at $at"
    fi
  done
  wait_pid "$spid" || fail "checkpoints: server exit $?"
  [ "$(result_of "$work/ckpt.serve" ckpt)" = "succeeded NONE" ] ||
    fail "checkpoints: $(result_of "$work/ckpt.serve" ckpt)"
  active_is "$d" "$work/v2.img" || fail "checkpoints: 2.0.0 is not active at the end"
  [ "$(grep -c "resuming at" "$log")" -eq "$resumes" ] ||
    fail "checkpoints: $(grep -c "resuming at" "$log") resumes, expected $resumes"
  ok "checkpoints: killed after each of $((nblocks - 1)) blocks with a checkpoint every 3; every restart ran 1.0.0 and resumed at the last checkpoint; $resumes resumes"
}

# step_case STEP EXPECT_STATE EXPECT_REASON EXPECT_IMAGE
step_case() {
  local step=$1 st=$2 why=$3 img=$4
  scenario_failures=$failures
  local d="$work/step-$step" log="$work/step-$step.log" name="st-$step" pid got
  serve_bg "$work/step-$step.serve" "$work/v2.img" "$name"
  local spid=$serve_pid
  start_device "$name" "$d" "$log" --stop-at "$step"
  pid=$dev_pid
  if ! wait_stopped "$pid"; then
    fail "steps: device did not reach $step"; kill_device "$pid"; kill_device "$spid"; return
  fi
  kill_device "$pid"
  active_valid "$d" || fail "steps: after a kill at $step the active image is neither 1.0.0 nor 2.0.0"
  start_device "$name" "$d" "$log" --once
  pid=$dev_pid
  wait_pid "$spid"
  # A device killed after its confirm only reports again; it has no job left to end.
  if [ "$step" = succeeded ]; then kill -TERM "$pid" 2>/dev/null; fi
  wait_pid "$pid"
  got=$(result_of "$work/step-$step.serve" "$name")
  [ "$got" = "$st $why" ] || fail "steps: killed at $step: reported '$got', expected '$st $why'"
  active_is "$d" "$img" || fail "steps: killed at $step: wrong active image"
  ok "steps: killed at $step -> $st $why, running $(basename "$img")"
}

scenario_steps() {
  step_case verifying succeeded NONE "$work/v2.img"
  step_case activating succeeded NONE "$work/v2.img"
  step_case rebooting succeeded NONE "$work/v2.img"
  step_case boot failed REVERTED "$work/v1.img"
  step_case testing failed REVERTED "$work/v1.img"
  step_case succeeded succeeded NONE "$work/v2.img"
}

scenario_fleet() {
  local n names=() p dpids=() i
  for n in 1 2 3 4; do names+=("fleet-$n"); done
  for n in "${names[@]}"; do
    start_device "$n" "$work/$n" "$work/$n.log" --once
    dpids+=("$dev_pid")
  done
  local args=()
  for n in "${names[@]}"; do args+=(--device "$n"); done
  "$serve_bin" --port "$port" --image "$work/v2.img" "${args[@]}" --wait done \
    --timeout 120 > "$work/fleet.serve" 2>&1 || true
  for p in "${dpids[@]}"; do wait_pid "$p" || fail "fleet: a device exited $?"; done
  for i in "${!names[@]}"; do
    n=${names[$i]}
    [ "$(result_of "$work/fleet.serve" "$n")" = "succeeded NONE" ] || fail "fleet: $n: $(result_of "$work/fleet.serve" "$n")"
    active_is "$work/$n" "$work/v2.img" || fail "fleet: $n does not run 2.0.0"
  done
  if [ "$failures" -ne "$scenario_failures" ]; then
    for n in "${names[@]}"; do echo "--- $n.log (last 8 lines)" >&2; tail -n 8 "$work/$n.log" >&2; done
    echo "--- fleet.serve" >&2; tail -n 20 "$work/fleet.serve" >&2
  fi
  ok "fleet: ${#names[@]} devices updated at once by one server"
}

scenario_broker() {
  local name=brk d="$work/brk" log="$work/brk.log" pid
  serve_bg "$work/brk.serve" "$work/v2.img" "$name"
  local spid=$serve_pid
  start_device "$name" "$d" "$log" --once --stop-after-bytes $((3 * block))
  pid=$dev_pid
  if ! wait_stopped "$pid"; then
    fail "broker: device did not stop mid-download"; kill_device "$pid"; kill_device "$spid"; return
  fi
  bash "$IOT_TEST_BROKER_CTL" restart "$IOT_TEST_BROKER_STATE" || fail "broker: restart failed"
  kill -CONT "$pid"
  wait_pid "$pid" || fail "broker: device exit $?"
  wait_pid "$spid" || fail "broker: server exit $?"
  [ "$(result_of "$work/brk.serve" "$name")" = "succeeded NONE" ] ||
    fail "broker: $(result_of "$work/brk.serve" "$name")"
  # One process, one begin: the download went on from its 3 blocks, never from 0.
  [ "$(grep -c "downloading" "$log")" -eq 1 ] || fail "broker: the download was started $(grep -c "downloading" "$log") times"
  grep -q "disconnected" "$log" || fail "broker: the device never lost its connection"
  active_is "$d" "$work/v2.img" || fail "broker: 2.0.0 is not active"
  ok "broker: restarted mid-download; device and server reconnected and the download went on to 2.0.0"
}

# pub TOPIC FILE|-n [mosquitto_pub options]: one message to the broker.
pub() {
  local topic=$1 what=$2
  shift 2
  if [ "$what" = -n ]; then
    mosquitto_pub -h 127.0.0.1 -p "$port" -t "$topic" -q 1 -n "$@"
  else
    mosquitto_pub -h 127.0.0.1 -p "$port" -t "$topic" -q 1 -f "$what" "$@"
  fi
}

scenario_garbage() {
  local name=garb d="$work/garb" log="$work/garb.log" f pid i
  start_device "$name" "$d" "$log"
  pid=$dev_pid
  for ((i = 0; i < 200; i++)); do grep -q "READY device" "$log" && break; sleep 0.05; done
  # Malformed jobs: short, wrong magic, wrong format, job id 0, size 0, image id
  # longer than its length byte says, component 7; then blocks of no job.
  head -c 10 /dev/urandom > "$work/g-short"
  { printf 'XXXX\001\001\000\000'; head -c 49 /dev/zero; } > "$work/g-magic"
  { printf 'OTAJ\002\001\000\000'; head -c 49 /dev/zero; } > "$work/g-format"
  { printf 'OTAJ\001\001\000\000\000\000\000\000\020\000\000\000'; head -c 41 /dev/zero; } > "$work/g-id0"
  { printf 'OTAJ\001\001\000\000\001\000\000\000\000\000\000\000'; head -c 41 /dev/zero; } > "$work/g-size0"
  { printf 'OTAJ\001\001\000\000\001\000\000\000\020\000\000\000'; head -c 40 /dev/zero; printf '\005ab'; } > "$work/g-idlen"
  { printf 'OTAJ\001\007\000\000\001\000\000\000\020\000\000\000'; head -c 41 /dev/zero; } > "$work/g-comp"
  for f in short magic format id0 size0 idlen comp; do
    pub "devices/$name/ota/job" "$work/g-$f" || fail "garbage: publishing $f"
  done
  head -c 5 /dev/urandom > "$work/g-blk-short"
  head -c 2000 /dev/urandom > "$work/g-blk-rand"
  for f in blk-short blk-rand; do
    pub "devices/$name/ota/block" "$work/g-$f" || fail "garbage: publishing $f"
  done
  # The device drops them all; it is alive, downloading nothing, on 1.0.0.
  sleep 0.5
  # Alive: running, sleeping, or waiting on the disk (D, e.g. in fsync).
  case "$(proc_state "$pid")" in
    R | S | D) ;;
    *) fail "garbage: the device is gone (state '$(proc_state "$pid")')" ;;
  esac
  grep -q "ota_agent: job" "$log" && fail "garbage: a malformed job was taken: $(grep 'ota_agent: job' "$log")"
  [ "$(grep -c "malformed job" "$log")" -eq 7 ] || fail "garbage: $(grep -c "malformed job" "$log") of 7 malformed jobs reported"
  active_is "$d" "$work/v1.img" || fail "garbage: the device does not run 1.0.0"
  kill_device "$pid"

  # Cancel: stop the device mid-download, publish an empty job, let it continue.
  serve_bg "$work/garb.serve" "$work/v2.img" "$name"
  local spid=$serve_pid
  start_device "$name" "$d" "$log" --stop-after-bytes $((2 * block))
  pid=$dev_pid
  if wait_stopped "$pid"; then
    pub "devices/$name/ota/job" -n -r
    kill -CONT "$pid"
    wait_pid "$spid"
    [ "$(result_of "$work/garb.serve" "$name")" = "failed ABORTED" ] ||
      fail "garbage: cancel reported '$(result_of "$work/garb.serve" "$name")'"
  else
    fail "garbage: device did not stop mid-download"
    kill_device "$spid"
  fi
  kill_device "$pid"
  active_is "$d" "$work/v1.img" || fail "garbage: after the cancel the device does not run 1.0.0"

  # And the next valid job still works (without --once: the cancelled job's
  # final report at start-up would end the run).
  start_device "$name" "$d" "$log"
  pid=$dev_pid
  "$serve_bin" --port "$port" --image "$work/v2.img" --device "$name" --wait done --timeout 120 \
    > "$work/garb2.serve" 2>&1 || fail "garbage: the valid job after the garbage failed: $(cat "$work/garb2.serve")"
  kill -TERM "$pid" 2>/dev/null
  wait_pid "$pid"
  active_is "$d" "$work/v2.img" || fail "garbage: 2.0.0 not active after the valid job"
  ok "garbage: 7 malformed jobs and 2 stray blocks ignored; an empty job cancelled a download (ABORTED); the next job succeeded"
}

# refusal NAME IMAGE EXPECT_REASON [DEVICE ARGS...]
refusal() {
  local name=$1 img=$2 why=$3 d="$work/$1" got
  scenario_failures=$failures
  shift 3
  start_device "$name" "$d" "$work/$name.log" --once "$@"
  local pid=$dev_pid
  "$serve_bin" --port "$port" --image "$img" --device "$name" --wait done --timeout 120 \
    > "$work/$name.serve" 2>&1 && fail "$name: the server reported success"
  wait_pid "$pid"
  got=$(result_of "$work/$name.serve" "$name")
  [ "$got" = "failed $why" ] || fail "$name: reported '$got', expected 'failed $why'"
  active_is "$d" "$work/v1.img" || fail "$name: the device does not run 1.0.0 any more"
  ok "refusals: $name -> failed $why, still running 1.0.0"
}

scenario_refusals() {
  refusal selftest "$work/v2.img" REJECTED --self-test fail
  refusal downgrade "$work/v0.img" DOWNGRADE
  cp "$work/v2.img" "$work/v2-corrupt.img"
  # One byte of the image body (after the 0x400-byte header), flipped.
  local b
  b=$(od -An -tu1 -j 2000 -N1 "$work/v2-corrupt.img" | tr -d ' ')
  printf "$(printf '\\%03o' $(( b ^ 0x5a )))" | dd of="$work/v2-corrupt.img" bs=1 seek=2000 conv=notrunc 2>/dev/null
  refusal corrupt "$work/v2-corrupt.img" HASH_MISMATCH
  refusal toolarge "$work/v2.img" TOO_LARGE --slot-size 4096
}

for s in "${scenarios[@]}"; do
  echo "=== $s"
  scenario_failures=$failures
  "scenario_$s"
done
if [ "$failures" -ne 0 ]; then
  echo "ota_e2e: $failures failure(s)" >&2
  exit 1
fi
echo "ota_e2e: all scenarios passed"
