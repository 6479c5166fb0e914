#!/usr/bin/env bash
# two_sites: two socket() calls on different lines of one function are two
# findings (merged on the call site, file:line of every frame), with the same
# fingerprint (functions only) and different sites.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

run_json -- "$SAMPLES/two_sites"
expect_rc 0
expect_json '.status' '"leaks"'
expect_json '.summary.findings' 2
expect_json '.summary["orphaned-socket"]' 5
a=$(expect_site orphaned-socket two_sites.c stream-site open_socket 3)
b=$(expect_site orphaned-socket two_sites.c dgram-site open_socket 2)
[[ $(jq -r .fingerprint <<< "$a") == $(jq -r .fingerprint <<< "$b") ]] ||
    fail "the two sites of one function have different fingerprints"
[[ $(jq -r .site <<< "$a") != $(jq -r .site <<< "$b") ]] || fail "the two sites have one site id"
jq -e '.site | test("^[0-9a-f]{16}$")' <<< "$a" > /dev/null || fail "site is not 16 hex digits"
pass
