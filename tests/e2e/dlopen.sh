#!/usr/bin/env bash
# dlopen: a socket leaked from a library loaded with dlopen() after the
# program started is reported at the library's file:line (the module map is
# written again for modules that appear later).
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

run_json --keep-traces --trace-dir "$tmp/traces" -- "$SAMPLES/dlopener" "$SAMPLES/libplugin.so"
expect_rc 0
f=$(expect_site orphaned-socket plugin.c leak-site plugin_open 2)
module=$(jq -r '.stack[0].module' <<< "$f")
[[ $module == */libplugin.so ]] || fail "top frame module is $module, expected libplugin.so"
# the plugin's mod record comes after the first module map, before its stack
trace_dump "$(ls "$tmp"/traces/connleak-*.jsonl)" "$tmp/trace.json"
jq -s -e 'map(.t) | index("hdr") == 0' "$tmp/trace.json" > /dev/null ||
    fail "trace does not start with its header"
jq -s -e '[.[] | select(.t == "mod" and (.path | endswith("libplugin.so")))] | length == 1' \
    "$tmp/trace.json" > /dev/null || fail "libplugin.so is not in the module map once"
pass
