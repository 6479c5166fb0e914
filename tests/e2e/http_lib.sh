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
