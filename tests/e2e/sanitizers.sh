#!/usr/bin/env bash
# sanitizers: a program built with AddressSanitizer or ThreadSanitizer (gcc:
# shared runtimes) runs under connleak as it runs bare, and its leak is
# reported at its line; the clean twin gives no finding.
#  - ASan refuses to start when libconnleak.so comes before its runtime in
#    the library list ("ASan runtime does not come first"): connleak run sets
#    ASAN_OPTIONS=verify_asan_link_order=0 for such programs.
#  - libunwind broke both (TSan: SIGSEGV at every thread exit in libunwind's
#    TLS destructor; LSan: fatal error at exit): under a sanitizer runtime the
#    preload walks frame pointers instead (preload/stacks.c).
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

for san in address thread; do
    leaky="$SAMPLES/leaky_client_$san" clean="$SAMPLES/clean_client_$san"
    [[ -x "$leaky" && -x "$clean" ]] || fail "$leaky or $clean not built (gcc builds them)"
    bare_rc=0
    "$leaky" 4 > "$tmp/bare.out" 2> "$tmp/bare.err" || bare_rc=$?
    [[ $bare_rc -eq 0 ]] || fail "$san: the program fails bare (exit $bare_rc): $(head -c 300 "$tmp/bare.err")"

    run_json --backend preload --fail-on leak -- "$leaky" 4
    expect_rc 99
    cmp -s "$tmp/stdout" "$tmp/bare.out" || fail "$san: stdout differs from the bare run"
    ! grep -q "Sanitizer" "$tmp/stderr" || fail "$san: the sanitizer complained under connleak"
    expect_json '.status' '"leaks"'
    expect_json '.program.exit_code' 0
    expect_json '.processes[0].complete' true
    f=$(expect_site orphaned-socket leaky_client.c leak-site open_connection 4)
    jq -e '[.stack[] | select(.user) | .function] | index("main") > 0' <<< "$f" > /dev/null ||
        fail "$san: the stack does not reach main: $(jq -c '[.stack[].function]' <<< "$f")"

    run_json --backend preload --fail-on leak -- "$clean" 4
    expect_rc 0
    ! grep -q "Sanitizer" "$tmp/stderr" || fail "$san: the sanitizer complained under connleak (clean)"
    expect_json '.status' '"clean"'
    expect_json '.findings' '[]'
done

# The user's own ASAN_OPTIONS still apply, after connleak's.
ASAN_OPTIONS=detect_leaks=0 run_json --backend preload -- "$SAMPLES/leaky_client_address" 2
expect_rc 0
expect_json '.summary["orphaned-socket"]' 2
pass
