#!/usr/bin/env bash
# node_jit: JavaScript frames named from node's perf map (issue 15). A node
# HTTP client (tests/e2e/node/fetch.js) leaves 3 responses of a keep-alive
# agent unconsumed, its clean twin reads them and destroys the agent.
#  - with NODE_OPTIONS="--perf-basic-prof --interpreted-frames-native-stack"
#    the finding's headline is the script's function (fetchItems, at the
#    line the map gives: where the function starts), node's own JS frames
#    (node:net, node:_http_agent) and the installed package's are named but
#    not the headline, and no note says frames are unnamed;
#  - with --perf-basic-prof alone, a note says interpreted frames need
#    --interpreted-frames-native-stack;
#  - without a map, the same finding, and a note naming node and
#    --perf-basic-prof (never named frames from a stale map);
#  - the clean twin is clean either way;
#  - the finding's fingerprint is the same in two runs (JIT frames' module
#    is "[jit]", not the map's path, which has the pid).
# shellcheck shell=bash
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/http_lib.sh
source "$(dirname "$0")/http_lib.sh"

command -v node > /dev/null || {
    echo "SKIP [$TEST_NAME]: node not installed (scripts/install-deps.sh installs nodejs)"
    exit 77
}
script="$SRC/tests/e2e/node/fetch.js"
fn_line=$(marker_line "$script" jit-function)
# --perf-basic-prof also writes isolate-*-v8.log into the current directory
cd "$tmp"
start_http_server

# run_node OPTS [leak]: fetch.js under connleak with NODE_OPTIONS=OPTS; the
# perf map node wrote (if any) is removed when the test ends.
run_node() {
    local opts=$1 pid
    shift
    NODE_OPTIONS="$opts" run_json --backend preload --fail-on leak -- node "$script" "$port" 3 "$@"
    pid=$(jqr '.processes[0].pid')
    on_exit "rm -f /tmp/perf-$pid.map"
    jit_notes=$(jq -r '.notes[]? | select(test("jit-frames"))' "$REPORT")
}

flags="--perf-basic-prof --interpreted-frames-native-stack"
run_node "$flags" leak
expect_rc 99
expect_kinds unclosed-body=3
expect_json '.findings[0].top_frame.function' '"fetchItems"'
expect_json '.findings[0].top_frame.file | endswith("tests/e2e/node/fetch.js")' true
expect_json '.findings[0].top_frame.line' "$fn_line"
expect_json '.findings[0].top_frame.module' '"[jit]"'
# node's own frames are named from the map, and are not the user's
expect_json '[.findings[0].stack[] | select(.file == "node:net" and .function == "Socket.connect")] | length' 1
expect_json '[.findings[0].stack[] | select(.file // "" | startswith("node:")) | .user] | unique' '[false]'
expect_json '[.findings[0].stack[] | select(.function == "staticLookup") | .user]' '[false]'
[[ -z "$jit_notes" ]] || fail "with a full perf map, a note says frames are unnamed: $jit_notes"
fingerprint=$(jqr '.findings[0].fingerprint')

run_node "$flags"
expect_rc 0
expect_json '.status' '"clean"'

run_node "--perf-basic-prof" leak
expect_rc 99
expect_kinds unclosed-body=3
grep -q 'node (pid [0-9]*): interpreted JavaScript frames .* --interpreted-frames-native-stack' <<< "$jit_notes" ||
    fail "with --perf-basic-prof alone, no note asks for --interpreted-frames-native-stack: '$jit_notes'"

run_node "" leak
expect_rc 99
expect_kinds unclosed-body=3
expect_json '[.findings[0].stack[] | select(.function == "fetchItems")] | length' 0
grep -q 'node (pid [0-9]*): .* --perf-basic-prof --interpreted-frames-native-stack' <<< "$jit_notes" ||
    fail "without a perf map, no note names node and --perf-basic-prof: '$jit_notes'"

# the same leak in another run (another pid, another map): the same finding
run_node "$flags" leak
expect_json '.findings[0].fingerprint' "$fingerprint"

run_node ""
expect_rc 0
expect_json '.status' '"clean"'
expect_json '.notes | length' 0
pass
