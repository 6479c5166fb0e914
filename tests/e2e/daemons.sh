#!/usr/bin/env bash
# daemons: a program that daemonizes (fork, setsid, fork, exit) leaves the
# real work to a process that outlives it. connleak run waits for it (as its
# subreaper) and reports its leak; --no-wait-children reports at once but
# names the process still running, keeps the traces it writes to and fails
# --fail-on, as does a SIGTERM that stops the wait. Clean twin: no finding.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

daemon="$SAMPLES/daemonize"
# pids_of_note: the pids named in the "still running" note (the daemon, and
# maybe the session leader that was about to exit)
pids_of_note() { jq -r '[.notes[] | select(test("still running"))][0] // "" | [scan("pid ([0-9]+)")[0]] | join(" ")' "$REPORT"; }
# alive PIDS...: true when one of them runs
alive() { local p; for p in "$@"; do kill -0 "$p" 2> /dev/null && return 0; done; return 1; }

# 1. The leak happens 1.5 s after the starter exited: it is reported. (At
# 300 ms, a loaded machine let the daemon finish within the 200 ms connleak
# gives exiting children before it says it waits.)
run_json --backend preload --fail-on leak -- "$daemon" 3 1500
expect_rc 99
grep -qx "daemonize: started" "$tmp/stdout" || fail "the program's stdout did not come through"
grep -q "waiting for" "$tmp/stderr" || fail "connleak did not say it waits for the daemon"
expect_json '.status' '"leaks"'
expect_json '.program.exit_code' 0
expect_site orphaned-socket daemonize.c leak-site open_client 3 > /dev/null
expect_json '[.notes[] | select(test("still running"))] | length' 0
expect_json '[.processes[] | select(.complete | not)] | length' 0

# 2. The clean twin.
run_json --backend preload --fail-on leak -- "$daemon" --clean 3 300
expect_rc 0
expect_json '.status' '"clean"'
expect_json '.findings' '[]'

# 3. --no-wait-children: the daemon is still asleep at the report.
run_json --backend preload --no-wait-children --fail-on leak -- "$daemon" 3 3000
expect_rc 99
pids=$(pids_of_note)
[[ -n "$pids" ]] || fail "no 'still running' note naming a pid: $(jqr '.notes')"
on_exit "kill $pids 2> /dev/null"
# shellcheck disable=SC2086
alive $pids || fail "none of the pids named as still running ($pids) runs"
kept=$(jq -r '[.notes[] | select(startswith("traces kept in "))][0] // "" | sub("^traces kept in "; "")' "$REPORT")
[[ -n "$kept" && -d "$kept" ]] || fail "the trace directory was not kept for the running daemon"
# shellcheck disable=SC2086
kill $pids 2> /dev/null || true

# 4. SIGTERM while connleak waits: it reports at once, naming the daemon.
rm -f "$REPORT"
timeout -k 5 30 "$CONNLEAK" run --format json -o "$REPORT" --backend preload --fail-on leak -- \
    "$daemon" 3 20000 > "$tmp/stdout" 2> "$tmp/stderr" &
cl=$!
for _ in $(seq 50); do grep -q "waiting for" "$tmp/stderr" && break; sleep 0.1; done
grep -q "waiting for" "$tmp/stderr" || fail "connleak did not start waiting for the daemon"
kill -TERM "$cl"
RC=0
wait "$cl" || RC=$?
expect_rc 99
pids=$(pids_of_note)
[[ -n "$pids" ]] || fail "no 'still running' note after SIGTERM: $(jqr '.notes')"
# shellcheck disable=SC2086
kill $pids 2> /dev/null || true
pass
