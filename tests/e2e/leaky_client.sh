#!/usr/bin/env bash
# leaky_client: N connections never closed are one orphaned-socket finding of
# count N at open_connection's socket() line, with a stack that reaches main,
# a stable fingerprint and the program's own stdout and exit code untouched.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

run_json -- "$SAMPLES/leaky_client" 10
expect_rc 0
grep -qx "leaky_client: 10 requests, 10 with status 200, 0 sockets closed" "$tmp/stdout" ||
    fail "the program's stdout did not come through: $(head -c 300 "$tmp/stdout")"
expect_json '.report_version' 1
expect_json '.status' '"leaks"'
expect_json '.program.exit_code' 0
expect_json '.program.signal' null
expect_json '.program.argv[1:]' '["10"]'
expect_json '.summary.findings' 1
expect_json '.summary["orphaned-socket"]' 10
expect_json '.summary["double-close"]' 0
expect_json '.summary["foreign-close"]' 0
expect_json '.findings | length' 1
f=$(expect_site orphaned-socket leaky_client.c leak-site open_connection 10)
[[ $(jq -r .severity <<< "$f") == error ]] || fail "severity is not error"
[[ $(jq -r .role <<< "$f") == client ]] || fail "role is $(jq -r .role <<< "$f"), expected client"
jq -e '.peers[0].peer | startswith("127.0.0.1:")' <<< "$f" > /dev/null || fail "peer is not loopback"
[[ $(jq '.peers[0].count' <<< "$f") -eq 10 ]] || fail "peers[0].count is not 10"
# The stack goes from open_connection out to main, all symbolised.
jq -e '[.stack[] | select(.user) | .function] | index("open_connection") == 0 and index("main") > 0' \
    <<< "$f" > /dev/null || fail "user frames are not open_connection ... main: $(jq -c '[.stack[].function]' <<< "$f")"
jq -e '.fingerprint | test("^[0-9a-f]+$")' <<< "$f" > /dev/null || fail "fingerprint is not hex"

# One process, complete: 10 clients + 10 server sides + the listener opened;
# everything but the 10 clients and the listener closed.
expect_json '.processes | length' 1
expect_json '.processes[0].complete' true
expect_json '.processes[0].forked' false
expect_json '[.processes[0] | .opened, .closed, .live]' '[21,10,11]'
expect_json '.findings[0].pids == [.processes[0].pid]' true

# The same leak has the same fingerprint in another run (ASLR, other N).
fp=$(jq -r .fingerprint <<< "$f")
run_json -- "$SAMPLES/leaky_client" 3
expect_rc 0
expect_json '.findings[0].count' 3
expect_json '.findings[0].fingerprint' "\"$fp\""

# --depth caps the recorded stack: open_connection and its caller only.
run_json --depth 2 -- "$SAMPLES/leaky_client" 2
expect_rc 0
expect_json '[.findings[] | .count]' '[2]'
expect_json '[.findings[0].stack[].function]' '["open_connection","main"]'
pass
