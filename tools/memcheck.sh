#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The ctest suite under valgrind memcheck: any memory error or definite leak
# fails the run.
#
#   tools/memcheck.sh [BUILD_DIR]          default: build/posix-release (gcc)
#
# Unit tests run under valgrind directly (their commands come from ctest's
# JSON listing, so new tests join by themselves). Integration tests run their
# SDK program under valgrind through with_broker.sh (IOT_TEST_WRAPPER): the
# broker (mosquitto) and the Paho peer are not ours and run normally. Tests
# that run no SDK code (headers, docs, install, ABI) and the broker fixture's
# self-test are left out.
#
# Valgrind slows tests 10-50x, and some tests have deadlines of their own
# (TLS handshakes against a local peer). A test that fails without a valgrind
# finding is therefore run once more, alone, and reported as retried; a
# valgrind finding (exit 97, or errors or definite leaks in its log) is never
# retried. Logs: BUILD_DIR/memcheck/<test>.<pid>.log.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/posix-release}
if [ ! -f "$build/CTestTestfile.cmake" ]; then
  cmake --preset posix-release -B "$build" >/dev/null
fi
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
build=$(cd "$build" && pwd)
mkdir -p "$build/memcheck"
rm -f "$build"/memcheck/*.log

exec python3 - "$build" <<'PY'
import concurrent.futures, glob, json, os, re, shutil, subprocess, sys, time

build = sys.argv[1]
logs = os.path.join(build, "memcheck")
valgrind = [shutil.which("valgrind"), "--error-exitcode=97", "--leak-check=full",
            "--errors-for-leak-kinds=definite", "--show-leak-kinds=definite",
            "--track-origins=yes", "--num-callers=30", "--trace-children=no"]
TIMEOUT = 1800

def listing(args):
    out = subprocess.run(["ctest", "--show-only=json-v1", *args], cwd=build, check=True,
                         capture_output=True, text=True).stdout
    tests = []
    for t in json.loads(out)["tests"]:
        props = {p["name"]: p["value"] for p in t.get("properties", [])}
        env = dict(os.environ)
        for kv in props.get("ENVIRONMENT", []):
            k, _, v = kv.partition("=")
            env[k] = v
        tests.append({"name": t["name"], "command": t["command"], "env": env,
                      "cwd": props.get("WORKING_DIRECTORY", build)})
    return tests

def run(t, integration):
    log = os.path.join(logs, t["name"] + ".%p.log")
    env = dict(t["env"])
    if integration:
        env["IOT_TEST_WRAPPER"] = " ".join(valgrind + ["--log-file=" + log])
        cmd = t["command"]
    else:
        cmd = valgrind + ["--log-file=" + log] + t["command"]
    start = time.monotonic()
    try:
        p = subprocess.run(cmd, cwd=t["cwd"], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=TIMEOUT)
        rc, out = p.returncode, p.stdout
    except subprocess.TimeoutExpired as e:
        rc, out = -1, (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
    return rc, out, time.monotonic() - start

def findings(name):
    bad = []
    for f in glob.glob(os.path.join(logs, name + ".*.log")):
        text = open(f, errors="replace").read()
        if re.search(r"ERROR SUMMARY: [1-9]", text) or re.search(r"definitely lost: [1-9]", text):
            bad.append(f)
    return bad

tests = [(t, False) for t in listing(["-L", "unit"])]
tests += [(t, True) for t in listing(["-L", "integration", "-E", "broker_selftest"])]
results = {}
with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
    futs = {pool.submit(run, t, i): (t, i) for t, i in tests}
    for f in concurrent.futures.as_completed(futs):
        t, i = futs[f]
        results[t["name"]] = f.result()

failed = []
for t, integration in tests:
    name = t["name"]
    rc, out, secs = results[name]
    retried = ""
    if rc != 0 and rc != 97 and not findings(name):
        retried = " (retried alone after exit %d)" % rc
        for f in glob.glob(os.path.join(logs, name + ".*.log")):
            os.remove(f)
        rc, out, secs = run(t, integration)
    bad = findings(name)
    ok = rc == 0 and not bad
    print("%-34s %-6s %7.1f s%s" % (name, "ok" if ok else "FAILED", secs, retried), flush=True)
    if not ok:
        failed.append(name)
        print(out[-4000:])
        for f in bad:
            print("--- " + f)
            print(open(f, errors="replace").read()[-6000:])
if failed:
    print("memcheck: FAILED: " + ", ".join(failed))
    sys.exit(1)
print("memcheck: %d tests, no memory errors, no definite leaks" % len(tests))
PY
