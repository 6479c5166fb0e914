#!/usr/bin/env bash
# git_http: git clones over HTTP through a helper it forks and execs
# (git-remote-http, libcurl). connleak follows exec'd programs by default
# (issue 13, point 6): the helper's sockets are in the report, and a correct
# clone gives no finding; --no-follow-exec leaves the helper out.
# The server is python's http.server serving a bare repository for git's
# "dumb" HTTP protocol (git update-server-info): no CGI needed.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/http_lib.sh
source "$(dirname "$0")/http_lib.sh"
command -v git > /dev/null || fail "git not installed: run scripts/install-deps.sh"

start_git_server
url=$git_url

run_json --backend preload --fail-on leak -- git clone -q "$url" "$tmp/clone1"
expect_rc 0
[[ -f "$tmp/clone1/file" ]] || fail "the clone did not happen"
expect_json '.status' '"clean"'
expect_json '.findings' '[]'
expect_json '[.processes[] | select(.exe | endswith("/git-remote-http")) | .opened > 0] | any' true

run_json --backend preload --no-follow-exec -- git clone -q "$url" "$tmp/clone2"
expect_rc 0
expect_json '[.processes[] | select(.exe | endswith("/git-remote-http"))] | length' 0
pass
