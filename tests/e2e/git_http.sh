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

git init -q "$tmp/src"
echo hello > "$tmp/src/file"
git -C "$tmp/src" add file
git -C "$tmp/src" -c user.email=t@t -c user.name=t commit -qm init
git clone -q --bare "$tmp/src" "$tmp/www/repo.git"
git -C "$tmp/www/repo.git" update-server-info
"$PYTHON" -c 'import functools, http.server, sys
h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
s = http.server.HTTPServer(("127.0.0.1", 0), h)
print(s.server_address[1], flush=True)
s.serve_forever()' "$tmp/www" > "$tmp/srv.out" 2> /dev/null &
on_exit "kill $! 2> /dev/null"
wait_for_file "$tmp/srv.out"
url="http://127.0.0.1:$(head -n1 "$tmp/srv.out")/repo.git"

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
