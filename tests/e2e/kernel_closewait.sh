#!/usr/bin/env bash
# kernel_closewait: closewait_server accepts N connections whose clients hang
# up and never closes them: one close-wait-pile of N at the accept site (the
# marked line), none of them also an orphaned-socket. With --no-read the
# program never sees the EOF: only the kernel's view (sock_diag, ktcp
# records) knows, and the clients' lines are bytes never read.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
export CONNLEAK_SAMPLE_MS=200

run_json -- "$SAMPLES/closewait_server" --clients 20 --seconds 3
expect_rc 0
expect_json '.status' '"leaks"'
expect_json '.summary["close-wait-pile"]' 20
expect_json '.summary["orphaned-socket"]' 0
f=$(expect_site close-wait-pile closewait_server.c closewait-site server_accept 20)
jq -e '.severity == "error" and .role == "accepted" and .dump == null' <<< "$f" > /dev/null ||
    fail "close-wait-pile: severity, role or dump wrong: $f"
jq -e '.waited_ms.max >= 1000 and .waited_ms.max <= 3500 and .waited_ms.min <= .waited_ms.max' \
    <<< "$f" > /dev/null || fail "close-wait-pile: waited_ms out of range: $f"
jq -e '[.peers[].peer | startswith("127.0.0.1:")] | all' <<< "$f" > /dev/null ||
    fail "close-wait-pile: peers not on 127.0.0.1: $f"

# --fail-on takes the new kind (and leak covers it)
run_json --fail-on close-wait-pile -- "$SAMPLES/closewait_server" --clients 3 --seconds 2
expect_rc 99
run_json --fail-on leak -- "$SAMPLES/closewait_server" --clients 3 --seconds 2
expect_rc 99

# Never read: EOF unseen by the program, the kernel says CLOSE_WAIT.
run_json -- "$SAMPLES/closewait_server" --clients 5 --seconds 3 --no-read
expect_rc 0
f=$(expect_site close-wait-pile closewait_server.c closewait-site server_accept 5)
jq -e '.unread_bytes > 0' <<< "$f" > /dev/null || fail "--no-read: no unread bytes: $f"
expect_json '.summary["orphaned-socket"]' 0

# The text report: one block, in the existing style.
run_connleak run -- "$SAMPLES/closewait_server" --clients 4 --seconds 2
grep -q "^CLOSE_WAIT PILE  4 sockets the peer closed, still open at exit" "$tmp/stderr" ||
    fail "text: no CLOSE_WAIT PILE block"
pass
