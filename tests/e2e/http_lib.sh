# shellcheck shell=bash
# http_lib.sh - helpers of the HTTP end-to-end tests (issue 3), sourced after
# lib.sh: the test servers, run outside connleak, and checks of the HTTP
# findings (docs/report-json.md). Not a test itself.
# shellcheck disable=SC2154 # $tmp and the helpers come from lib.sh

# Debian's python3, which has python3-requests (scripts/install-deps.sh);
# not whatever python3 comes first in PATH.
PYTHON=${PYTHON:-/usr/bin/python3}
# shellcheck disable=SC2034 # used by the tests that source this file
PY_SAMPLES="$SRC/samples/py"
[[ -x "$PYTHON" ]] || fail "$PYTHON not found: run scripts/install-deps.sh"

# start_server NAME CMD ARGS...: starts CMD in the background (stopped with
# SIGTERM when the test ends); it must print its port on its first line of
# stdout. Sets $port.
start_server() {
    local name=$1 pid
    shift
    "$@" > "$tmp/$name.out" 2> "$tmp/$name.err" &
    pid=$!
    on_exit "kill -TERM $pid 2> /dev/null; wait $pid 2> /dev/null"
    wait_for_file "$tmp/$name.out"
    port=$(head -n1 "$tmp/$name.out")
    [[ "$port" =~ ^[0-9]+$ ]] || fail "$name printed '$port', not a port"
}

# start_http_server: samples/http_server on 127.0.0.1; sets $port.
start_http_server() { start_server http_server "$SAMPLES/http_server"; }

# start_git_server: a bare repository with one commit, served for git's
# "dumb" HTTP protocol by python's http.server on 127.0.0.1; sets $git_url.
start_git_server() {
    local port
    git init -q "$tmp/src"
    echo hello > "$tmp/src/file"
    git -C "$tmp/src" add file
    git -C "$tmp/src" -c user.email=t@t -c user.name=t commit -qm init
    git clone -q --bare "$tmp/src" "$tmp/www/repo.git"
    git -C "$tmp/www/repo.git" update-server-info
    start_server git_http "$PYTHON" -c 'import functools, http.server, sys
h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
s = http.server.HTTPServer(("127.0.0.1", 0), h)
print(s.server_address[1], flush=True)
s.serve_forever()' "$tmp/www"
    git_url="http://127.0.0.1:$port/repo.git"
}

# require_programs PROG...: skips the test (77) naming the first missing one.
require_programs() {
    local prog
    for prog in "$@"; do
        command -v "$prog" > /dev/null || {
            echo "SKIP [$TEST_NAME]: $prog not installed (scripts/install-deps.sh)"
            exit 77
        }
    done
}

# require_lwp: skips the test (77) without Perl's LWP::UserAgent.
require_lwp() {
    perl -MLWP::UserAgent -e 1 2> /dev/null || {
        echo "SKIP [$TEST_NAME]: Perl's LWP::UserAgent not installed (libwww-perl, scripts/install-deps.sh)"
        exit 77
    }
}

# free_port: a TCP port on 127.0.0.1 free a moment ago.
free_port() {
    "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# expect_stdout LINE: the program's stdout (of the last run) is exactly LINE.
expect_stdout() {
    [[ "$(cat "$tmp/stdout")" == "$1" ]] ||
        fail "the program printed '$(head -c 300 "$tmp/stdout")', expected '$1'"
}

# expect_field FINDING FILTER EXPECTED [JQ ARGS...]: FILTER over one finding
# (compact JSON, as expect_site prints it) must give EXPECTED.
expect_field() {
    local f=$1 filter=$2 expected=$3 actual
    shift 3
    actual=$(jq -c "$@" "$filter" <<< "$f") || fail "jq filter failed: $filter"
    [[ "$actual" == "$expected" ]] ||
        fail "$(jq -r .kind <<< "$f"): $filter is $actual, expected $expected"
}

# expect_kinds KIND=N...: summary counts of these kinds; every other HTTP
# kind and orphaned-socket not named must be 0.
# shellcheck disable=SC2120 # expect_clean calls it without arguments
expect_kinds() {
    local k
    local -A want=([orphaned-socket]=0 [unclosed-body]=0 [discarded-body]=0
        [stuck-request]=0 [no-connection-reuse]=0 [client-handle-leak]=0)
    for k in "$@"; do want[${k%=*}]=${k#*=}; done
    for k in "${!want[@]}"; do
        expect_json ".summary[\"$k\"]" "${want[$k]}"
    done
}

# expect_no_secret WORD...: no WORD anywhere in the report (query strings
# and credentials are redacted).
expect_no_secret() {
    local w
    for w in "$@"; do
        ! grep -qF "$w" "$REPORT" || fail "the report contains '$w' (should be redacted)"
    done
}

# expect_clean: status clean, no finding, every kind at 0.
expect_clean() {
    expect_json '.status' '"clean"'
    expect_json '.findings' '[]'
    # shellcheck disable=SC2119
    expect_kinds
}
