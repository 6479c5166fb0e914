#!/usr/bin/env bash
# probe_go_stripped: the same leaky Go client built with -ldflags='-s -w'
# (no symbol table, no DWARF): the uprobes are placed from Go's own
# .gopclntab and the report still names main.leakBody at client.go's line,
# through the inlined net/http frames, with the exact count; the same as a
# PIE too (review S8: its table has another section name, and its first
# segment is linked at 0x400000, which the symboliser took for the bias).
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/http_lib.sh
source "$(dirname "$0")/http_lib.sh"
# shellcheck source=tests/e2e/probe_lib.sh
source "$(dirname "$0")/probe_lib.sh"
probe_required

start_http_server
for prog in "$SAMPLES/go_client_stripped" "$SAMPLES/go_client_stripped_pie"; do
    ! readelf -S "$prog" | grep -q '\.symtab\|\.debug_info' || fail "$prog is not stripped"
    run_json --fail-on leak -- "$prog" -url "http://127.0.0.1:$port/" -mode leak-body -n 6
    expect_rc 99
    expect_json '.backend' '"probe"'
    expect_site unclosed-body go/client.go leak-body-site main.leakBody 6 > /dev/null
    expect_json '[.notes[] | select(test("no debug info|not followed"))] | length' 0
done
readelf -h "$SAMPLES/go_client_stripped_pie" | grep -q 'DYN' || fail "go_client_stripped_pie is not a PIE"
pass
