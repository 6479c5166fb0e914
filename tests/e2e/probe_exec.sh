#!/usr/bin/env bash
# probe_exec: an exec under the probe ends one trace and starts the next.
# A socket the exec keeps (bash's /dev/tcp fd, no close-on-exec) moves to
# the new image as inherited: no finding for bash, and the new image's
# report lists it with --include-inherited; a close-on-exec socket
# (Python's default) is closed by the exec: no finding either way.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/http_lib.sh
source "$(dirname "$0")/http_lib.sh"
# shellcheck source=tests/e2e/probe_lib.sh
source "$(dirname "$0")/probe_lib.sh"
probe_required
start_http_server

run_json --backend probe -- bash -c "exec 3<>/dev/tcp/127.0.0.1/$port; exec sleep 0.3"
expect_rc 0
expect_json '[.processes[].exe | split("/") | last]' '["bash","sleep"]'
expect_json '.status' '"clean"'
expect_json '[.processes[] | .live]' '[0,1]'
run_json --backend probe --include-inherited -- bash -c "exec 3<>/dev/tcp/127.0.0.1/$port; exec sleep 0.3"
expect_json '[.findings[] | select(.kind == "orphaned-socket") | .count] | add' 1
expect_json '[.findings[] | select(.kind == "orphaned-socket") | .pids | length] | add' 1

run_json --backend probe --include-inherited -- "$PYTHON" -c \
    "import socket, os; s = socket.create_connection(('127.0.0.1', $port)); os.execv('/bin/sleep', ['sleep', '0.3'])"
expect_rc 0
expect_json '.status' '"clean"'
expect_json '[.processes[] | {live, closed}]' '[{"live":0,"closed":1},{"live":0,"closed":0}]'
pass
