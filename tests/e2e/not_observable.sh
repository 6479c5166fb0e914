#!/usr/bin/env bash
# not_observable: with the preload backend (--backend preload, or where the
# probe cannot run), a fully static binary and a Go binary (dynamically
# linked, but its sockets bypass libc) are reported as "not-observable",
# never as "clean"; they still run, their exit code comes through, and
# connleak says why the probe was not used and points to `connleak watch`,
# which can see them from outside. (probe_go_body: what the probe sees.) A
# program that leaves no trace at all fails --fail-on too.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

for prog in static_hello go_hello; do
    [[ -x "$SAMPLES/$prog" ]] || fail "$SAMPLES/$prog is not built"
    run_json --backend preload -- "$SAMPLES/$prog"
    expect_rc 0
    grep -qx "$prog: hello" "$tmp/stdout" || fail "$prog did not run: $(head -c 300 "$tmp/stdout")"
    expect_json '.status' '"not-observable"'
    expect_json '.findings' '[]'
    grep -q "probe backend (eBPF) could not be used: --backend preload was asked for" "$tmp/stderr" ||
        fail "$prog: does not say why the probe was not used: $(head -c 500 "$tmp/stderr")"
    grep -q "watch the program from outside: connleak watch -- $SAMPLES/$prog" "$tmp/stderr" ||
        fail "$prog: no hint to use connleak watch: $(head -c 500 "$tmp/stderr")"
done

# A program that drops LD_PRELOAD (env -i) leaves no trace at all: that is
# not clean either, and a CI gate fails.
run_json --backend preload --fail-on leak -- env -i "$SAMPLES/leaky_client" 2
expect_rc 99
grep -q "leaky_client: 2 requests" "$tmp/stdout" || fail "the program did not run: $(head -c 300 "$tmp/stdout")"
expect_json '.status' '"no-trace"'
pass
