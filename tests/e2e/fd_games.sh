#!/usr/bin/env bash
# fd_games: sockets ended by fclose, dup2, close_range, F_DUPFD_CLOEXEC +
# close and closefrom are all closed (no orphan), and the one deliberate
# double close is reported at its line, with the stack that opened the socket.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

run_json -- "$SAMPLES/fd_games"
expect_rc 0
grep -qx "fd_games: 6 steps, 0 failures" "$tmp/stdout" ||
    fail "fd_games failed its own checks under connleak: $(cat "$tmp/stdout") $(head -5 "$tmp/stderr")"
expect_json '.status' '"leaks"'
expect_json '.summary["orphaned-socket"]' 0
expect_json '.summary["foreign-close"]' 0
expect_json '.summary["double-close"]' 1
expect_json '.findings | length' 1
f=$(expect_site double-close fd_games.c double-close-site step_double_close 1)
[[ $(jq -r .severity <<< "$f") == error ]] || fail "severity is not error"
[[ $(jq '.fds | length' <<< "$f") -eq 1 ]] || fail "fds is $(jq -c .fds <<< "$f"), expected one fd"
open_line=$(marker_line "$SRC/samples/fd_games.c" double-open-site)
jq -e --argjson l "$open_line" '.open_stack | map(select(.line == $l and .function == "step_double_close")) | length == 1' \
    <<< "$f" > /dev/null || fail "open_stack does not name fd_games.c:$open_line: $(jq -c .open_stack <<< "$f")"
expect_json '.processes[0].complete' true
# 1 + 2 + 3 + 1 + 2 + 1 sockets, all closed.
expect_json '[.processes[0] | .opened, .closed, .live]' '[10,10,0]'
# With --close-stacks the first close of the double close is shown too.
run_json --close-stacks -- "$SAMPLES/fd_games"
expect_rc 0
first_line=$(marker_line "$SRC/samples/fd_games.c" first-close-site)
jq -e --argjson l "$first_line" '.findings[] | select(.kind == "double-close")
      | .first_close_stack[0] | select(.function == "step_double_close" and .line == $l)' \
    "$REPORT" > /dev/null || fail "first_close_stack does not start at fd_games.c:$first_line"
pass
