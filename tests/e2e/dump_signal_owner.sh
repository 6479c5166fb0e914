#!/usr/bin/env bash
# dump_signal_owner: a program that uses SIGUSR2, connleak's default dump
# signal, for itself (issue 11 item 9). Whether it installs its handler with
# sigaction (SA_SIGINFO), signal(), sysv_signal() (one-shot, set again in
# the handler), SA_RESETHAND or ignores the signal, what it prints (how many
# times its handler ran, its siginfo, what sigaction() reads back: handler,
# flags, mask) is the same with and without connleak, and under connleak
# each raise still makes a dump in the trace. With CONNLEAK_DUMP_SIGNAL=USR1
# connleak leaves SIGUSR2 alone: no dump.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

# check MODE RAISES: bare and under connleak; the dumps in the trace.
check() {
    local mode=$1 raises=$2 dumps
    timeout -k 5 30 "$SAMPLES/usr2_owner" "$mode" > "$tmp/bare.out" 2>&1 ||
        fail "$mode: usr2_owner failed without connleak: $(cat "$tmp/bare.out")"
    run_json_traced --backend preload -- "$SAMPLES/usr2_owner" "$mode"
    expect_rc 0
    diff -u "$tmp/bare.out" "$tmp/stdout" > "$tmp/diff" ||
        fail "$mode: the program's output differs under connleak:$(echo; cat "$tmp/diff")"
    expect_json '.status' '"clean"'
    dumps=$(grep -c '"t":"dump"' "$trace" || true)
    [[ $dumps -ge 1 && $dumps -le $raises ]] ||
        fail "$mode: $dumps dump records for $raises raises of SIGUSR2"
}

check sigaction 3
grep -q "handler ran 3 times, siginfo right 3 times" "$tmp/stdout" || fail "sigaction: $(cat "$tmp/stdout")"
grep -q "installed: on_usr2_info flags .* mask{USR2 0, USR1 1}" "$tmp/stdout" ||
    fail "sigaction: the action read back is not the program's: $(cat "$tmp/stdout")"
check signal 3
grep -q "handler ran 3 times" "$tmp/stdout" || fail "signal: $(cat "$tmp/stdout")"
check sysv 3
grep -q "handler ran 3 times" "$tmp/stdout" || fail "sysv: $(cat "$tmp/stdout")"
check ignore 3
grep -q "handler ran 0 times" "$tmp/stdout" || fail "ignore: $(cat "$tmp/stdout")"
check resethand 1
grep -q "after: SIG_DFL" "$tmp/stdout" || fail "resethand: $(cat "$tmp/stdout")"

# Another dump signal: SIGUSR2 is not connleak's at all.
export CONNLEAK_DUMP_SIGNAL=USR1
timeout -k 5 30 "$SAMPLES/usr2_owner" sigaction > "$tmp/bare.out" 2>&1 || fail "usr2_owner failed bare"
run_json_traced --backend preload -- "$SAMPLES/usr2_owner" sigaction
diff -u "$tmp/bare.out" "$tmp/stdout" > "$tmp/diff" || fail "USR1: output differs: $(cat "$tmp/diff")"
if grep -q '"t":"dump"' "$trace"; then fail "a dump on SIGUSR2 while the dump signal is USR1"; fi
pass
