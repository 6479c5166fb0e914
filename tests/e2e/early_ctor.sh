#!/usr/bin/env bash
# early_ctor: another preloaded library's constructor calls socket, dup and
# close before connleak's constructor has run: the calls work, nothing
# crashes, and the program's own leaks are still reported exactly.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

export LD_PRELOAD="$SAMPLES/libearly_ctor.so"
run_json -- "$SAMPLES/leaky_client" 2
unset LD_PRELOAD
expect_rc 0
grep -q "early_ctor: socket/dup/close before main: ok" "$tmp/stderr" ||
    fail "the early constructor did not run or failed"
expect_json '.findings | length' 1
expect_site orphaned-socket leaky_client.c leak-site open_connection 2 > /dev/null
pass
