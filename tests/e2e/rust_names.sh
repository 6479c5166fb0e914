#!/usr/bin/env bash
# rust_names: a Rust program's leaks are named as its source spells them,
# whichever mangling its binary uses (issue 17). samples/rust/leak.rs leaks
# 3 sockets in leak::net::dial and 2 in the generic method
# leak::net::Pool<Tcp>::open, built by Debian's rustc with the legacy
# mangling ("_ZN...17h<hash>E", rust_leak_legacy) and with v0 ("_R...",
# rust_leak_v0). Skips (77) when rustc was not found at configure time.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

for m in legacy v0; do
    [[ -x "$SAMPLES/rust_leak_$m" ]] || {
        echo "SKIP [$TEST_NAME]: $SAMPLES/rust_leak_$m was not built (rustc not found; scripts/install-deps.sh installs it)"
        exit 77
    }
done

# check_names MANGLING DIAL OPEN PREFIX: the two sites, named DIAL and OPEN,
# their mangled names starting with PREFIX, no mangled name as a function.
check_names() {
    local m=$1 dial=$2 open=$3 prefix=$4 f
    run_json_traced -- "$SAMPLES/rust_leak_$m"
    expect_rc 0
    grep -qx "rust_leak: 5 connections, 0 failed, none closed" "$tmp/stdout" ||
        fail "$m: the program's stdout did not come through: $(head -c 300 "$tmp/stdout")"
    expect_json '[.findings[] | .count]' '[3,2]'
    f=$(expect_site orphaned-socket rust/leak.rs fn-site "$dial" 3)
    jq -e --arg p "$prefix" '.top_frame.function_mangled | startswith($p)' <<< "$f" > /dev/null ||
        fail "$m: function_mangled of $dial is $(jq -c .top_frame <<< "$f"), expected $prefix..."
    expect_site orphaned-socket rust/leak.rs generic-site "$open" 2 > /dev/null
    expect_json '[.. | objects | select(has("function")) | .function | strings
                  | select(test("^_[ZR][A-Z0-9]"))] | length' 0
    run_connleak report --color never "$trace"
    expect_rc 0
    grep -qF "3 still open at exit, opened in $dial (" "$tmp/stdout" ||
        fail "$m: no headline naming $dial: $(grep 'opened in' "$tmp/stdout")"
    grep -qF "opened in $open (" "$tmp/stdout" ||
        fail "$m: no headline naming $open: $(grep 'opened in' "$tmp/stdout")"
    ! grep -qE '_[ZR][A-Z0-9][A-Za-z0-9_$]{4,}' "$tmp/stdout" ||
        fail "$m: a mangled name in the text report: $(grep -E '_[ZR][A-Z0-9]' "$tmp/stdout" | head -3)"
    run_json -- "$SAMPLES/rust_leak_$m" clean
    expect_rc 0
    expect_json '.status' '"clean"'
    expect_json '.findings | length' 0
}

# legacy names carry no generic arguments; v0 ones do
check_names legacy 'leak::net::dial' 'leak::net::Pool<P>::open' _ZN4leak
check_names v0 'leak::net::dial' '<leak::net::Pool<leak::net::Tcp>>::open' _R
pass
