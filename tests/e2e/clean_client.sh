#!/usr/bin/env bash
# clean_client: the clean twin of leaky_client gives status "clean" and no
# finding, although the in-process server's listener is still open at exit;
# --include-listeners then reports exactly that listener.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

run_json -- "$SAMPLES/clean_client" 10
expect_rc 0
expect_json '.status' '"clean"'
expect_json '.findings' '[]'
expect_json '.summary.findings' 0
expect_json '.summary["orphaned-socket"]' 0
expect_json '.program.exit_code' 0
expect_json '.processes | length' 1
expect_json '.processes[0].complete' true
# 10 clients + 10 server sides + the listener; only the listener is left.
expect_json '[.processes[0] | .opened, .closed, .live]' '[21,20,1]'
# Without --keep-traces a complete, clean run leaves no trace directory.
leftover=$(find "$tmp" -mindepth 1 -maxdepth 1 -name 'connleak-*' | head -n1)
[[ -z "$leftover" ]] || fail "connleak left its trace directory behind: $leftover"

run_json --include-listeners -- "$SAMPLES/clean_client" 2
expect_rc 0
expect_json '.status' '"leaks"'
expect_json '.findings | length' 1
f=$(expect_site orphaned-socket sample_server.c listener-site sample_server_start 1)
[[ $(jq -r .role <<< "$f") == listener ]] || fail "role is $(jq -r .role <<< "$f"), expected listener"
pass
