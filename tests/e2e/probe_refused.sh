#!/usr/bin/env bash
# probe_refused: when the probe cannot see, connleak never says "clean".
# As an unprivileged user (no CAP_BPF): `run --backend probe` and `attach`
# stop with one line naming the missing privilege and exit 125; `run` of a
# Go program falls back to the preload, reports not-observable with the
# probe's reason, and --fail-on fails. A probe trace whose ring buffer
# overflowed (an events-lost note) is not-observable and fails --fail-on
# too, with a line saying the report is incomplete. In a PID namespace of
# its own (a container) the probe refuses with the way out (--pid=host).
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

# The events-lost trace first: no privilege needed.
report_json --fail-on leak "$SRC/tests/data/probe_events_lost.jsonl"
expect_rc 99
expect_json '.status' '"not-observable"'
expect_json '.backend' '"probe"'
run_connleak report --color never "$SRC/tests/data/probe_events_lost.jsonl"
grep -q "the kernel dropped events of pid 4242 .* this report is incomplete" "$tmp/stdout" ||
    fail "the text report does not say events were lost: $(cat "$tmp/stdout")"

command -v setpriv > /dev/null || { echo "SKIP [$TEST_NAME]: setpriv (util-linux) not found"; exit 77; }
[[ $(id -u) -eq 0 ]] || { echo "SKIP [$TEST_NAME]: needs root to switch to an unprivileged user"; exit 77; }
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$@"; }
TMPDIR=$(mktemp -d /tmp/connleak-nobody.XXXXXX) # $tmp is root's alone
export TMPDIR
chmod 0777 "$TMPDIR"
on_exit "rm -rf '$TMPDIR'"

RC=0
nobody timeout -k 5 30 "$CONNLEAK" run --backend probe -- "$SAMPLES/go_hello" > "$tmp/stdout" 2> "$tmp/stderr" || RC=$?
expect_rc 125
grep -q "^connleak: --backend probe: .*root" "$tmp/stderr" || fail "no clear reason: $(cat "$tmp/stderr")"
! grep -q "go_hello: hello" "$tmp/stdout" || fail "the program ran although connleak could not see it"

RC=0
nobody timeout -k 5 30 "$CONNLEAK" run --format json -o "$TMPDIR/r.json" --fail-on leak -- \
    "$SAMPLES/go_hello" > "$tmp/stdout" 2> "$tmp/stderr" || RC=$?
expect_rc 99
cp "$TMPDIR/r.json" "$REPORT"
expect_json '.status' '"not-observable"'
expect_json '.backend' '"preload"'
grep -qx "go_hello: hello" "$tmp/stdout" || fail "the Go program did not run"
grep -q "probe backend (eBPF) could not be used: the probe needs root" "$tmp/stderr" ||
    fail "the not-observable line does not say why the probe was not used: $(cat "$tmp/stderr")"

RC=0
nobody timeout -k 5 30 "$CONNLEAK" attach --duration 1 $$ > "$tmp/stdout" 2> "$tmp/stderr" || RC=$?
expect_rc 125
grep -q "^connleak: attach needs the probe backend: .*root" "$tmp/stderr" ||
    fail "attach: no clear reason: $(cat "$tmp/stderr")"
# In a PID namespace of its own (a container), the probe would see nothing
# (its kernel side sees the host's pids): it refuses, and says how to run.
if [[ $(id -u) -eq 0 ]] && unshare --pid --fork --mount-proc true 2> /dev/null; then
    RC=0
    unshare --pid --fork --mount-proc timeout -k 5 30 "$CONNLEAK" run --backend probe -- true \
        > "$tmp/stdout" 2> "$tmp/stderr" || RC=$?
    expect_rc 125
    grep -q "PID namespace of its own.*--pid=host" "$tmp/stderr" ||
        fail "no clear reason in a PID namespace: $(cat "$tmp/stderr")"
fi
pass
