#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs one command next to a broker of its own:
#
#   with_broker.sh COMMAND [ARGS...]
#
# Makes a temporary state directory, starts a broker there (broker.sh start,
# which also creates the test PKI), exports the IOT_TEST_* variables of its
# broker.env, runs COMMAND and always stops the broker. On success the state
# directory is removed; on failure it is kept, and its path and the end of the
# broker's log are printed. Exits with COMMAND's status (2 if the broker did
# not start).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
broker="$here/broker.sh"

if [ $# -lt 1 ]; then
  echo "usage: with_broker.sh COMMAND [ARGS...]" >&2
  exit 2
fi

state=$(mktemp -d "${TMPDIR:-/tmp}/iot-broker.XXXXXX") || exit 2
rc=2
watchdog=""

finish() {
  trap - EXIT INT TERM HUP
  if ! bash "$broker" stop "$state" && [ "$rc" -eq 0 ]; then rc=1; fi
  if [ -n "$watchdog" ]; then kill "$watchdog" 2>/dev/null; fi
  if [ "$rc" -eq 0 ]; then
    rm -rf "$state"
  else
    echo "with_broker.sh: exit status $rc; broker state kept in $state" >&2
    if [ -f "$state/mosquitto.log" ]; then
      echo "--- mosquitto.log (last 40 lines but the autosave ones)" >&2
      grep -v "Saving in-memory database" "$state/mosquitto.log" | tail -n 40 >&2
    fi
  fi
  exit "$rc"
}
trap finish EXIT
trap 'rc=130; exit' INT
trap 'rc=143; exit' TERM
trap 'rc=129; exit' HUP

if ! bash "$broker" start "$state"; then
  echo "with_broker.sh: the broker did not start" >&2
  exit
fi

# Should this script be killed outright (a test timeout), the watchdog still
# takes the broker down.
parent=$$
(
  trap '' INT HUP
  while kill -0 "$parent" 2>/dev/null; do sleep 1; done
  bash "$broker" kill "$state"
) < /dev/null > /dev/null 2>&1 &
watchdog=$!

set -a
# shellcheck source=/dev/null
. "$state/broker.env"
set +a

# IOT_TEST_WRAPPER (a checker and its options, e.g. valgrind from
# tools/memcheck.sh) runs the command under the checker when the command is
# a program, so the SDK side is checked, not the broker or a script.
if [ -n "${IOT_TEST_WRAPPER:-}" ] && head -c 4 "$1" 2>/dev/null | cmp -s - <(printf '\177ELF'); then
  # shellcheck disable=SC2086 # the wrapper is a command line
  $IOT_TEST_WRAPPER "$@"
else
  "$@"
fi
rc=$?
exit
