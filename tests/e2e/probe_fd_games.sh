#!/usr/bin/env bash
# probe_fd_games: under the probe, sockets ended by fclose, dup2,
# close_range, F_DUPFD_CLOEXEC + close and closefrom (glibc's close_range)
# are all closed: no orphan, 10 opened and 10 closed. (The double close in
# the same program is the preload's to report: the probe does not follow
# failed closes.)
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/probe_lib.sh
source "$(dirname "$0")/probe_lib.sh"
probe_required

run_json --backend probe -- "$SAMPLES/fd_games"
expect_rc 0
grep -qx "fd_games: 6 steps, 0 failures" "$tmp/stdout" ||
    fail "fd_games failed its own checks under the probe: $(cat "$tmp/stdout")"
expect_json '.backend' '"probe"'
expect_json '.summary["orphaned-socket"]' 0
expect_json '.processes[0].complete' true
expect_json '[.processes[0] | .opened, .closed, .live]' '[10,10,0]'
pass
