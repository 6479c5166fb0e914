#!/usr/bin/env bash
# html_report: the HTML report (--format html, --html FILE) of real runs,
# opened in headless Chromium (Debian's chromium): its DOM holds what the
# JSON report of the same run holds (status, every finding's kind, count,
# top frame and stack, the notes: tests/e2e/html_check.py) and charts of
# the samples; the screenshot is not blank. The clean twin says clean with
# no finding; a damaged trace's notes are shown; markup planted in a trace
# (the request target, the host, the program's name) stays text.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/http_lib.sh
source "$(dirname "$0")/http_lib.sh"

if ! command -v chromium > /dev/null; then
    echo "SKIP [$TEST_NAME]: chromium is not installed (scripts/install-deps.sh installs it)"
    exit 77
fi
CHECK="$SRC/tests/e2e/html_check.py"
export HOME="$tmp/home" # chromium writes its profile and caches there
mkdir -p "$HOME"

# chrome ARGS... FILE: headless chromium on file://FILE, bounded.
chrome() {
    local file=${*: -1} rc=0
    timeout -k 5 60 chromium --headless --no-sandbox --disable-gpu --no-zygote \
        --hide-scrollbars --user-data-dir="$tmp/profile" "${@:1:$#-1}" "file://$file" \
        2> "$tmp/chrome.err" || rc=$?
    [[ $rc -eq 0 ]] || fail "chromium exited $rc on $file: $(grep -v dbus "$tmp/chrome.err" | tail -3)"
}

# dom_check HTML JSON: the DOM of HTML against the JSON report; its DOM in $tmp/dom.html.
dom_check() {
    chrome --dump-dom "$1" > "$tmp/dom.html"
    grep -q '</html>' "$tmp/dom.html" || fail "chromium dumped no DOM of $1"
    "$PYTHON" "$CHECK" dom "$tmp/dom.html" "$2" > "$tmp/dom.out" ||
        fail "the DOM of $1 does not hold the report (JSON: $2)"
}

# self_contained HTML: nothing in it is fetched from elsewhere.
self_contained() {
    ! grep -Eiq '(src|href)=|url\(|@import|<script|<link' "$1" ||
        fail "$1 refers to something outside itself: $(grep -Eio '(src|href)=[^ >]*|url\([^)]*|<script|<link' "$1" | head -3)"
}

# 1. A leaky server (five sockets left in CLOSE_WAIT), sampled: --format html.
export CONNLEAK_SAMPLE_MS=200
html="$tmp/cw.html"
run_connleak run --format html -o "$html" --json "$REPORT" -- \
    "$SAMPLES/closewait_server" --clients 5 --seconds 3
expect_rc 0
self_contained "$html"
dom_check "$html" "$REPORT"
jq -e '[.findings[].kind] | index("close-wait-pile") != null' "$REPORT" > /dev/null ||
    fail "the run found no close-wait-pile"
jq -e '.findings | length > 0' "$REPORT" > /dev/null || fail "no finding to compare"
jq -e '.charts | map(.[1]) | flatten | (index("open fds") != null and index("CLOSE_WAIT") != null)' \
    "$tmp/dom.out" > /dev/null || fail "no chart of open fds and of CLOSE_WAIT: $(cat "$tmp/dom.out")"
grep -q '<details class="stack" open="">' "$tmp/dom.html" || fail "no stack in a <details>"
chrome --screenshot="$tmp/shot.png" --window-size=1200,2000 "$html"
[[ -s "$tmp/shot.png" ]] || fail "chromium wrote no screenshot"
"$PYTHON" "$CHECK" png "$tmp/shot.png" '#d93025' || fail "the screenshot is blank or has no red (leaks)"
unset CONNLEAK_SAMPLE_MS

# 2. --html FILE beside the text report: the same findings in both.
run_connleak run --color never --json "$REPORT" --html "$tmp/two.html" -- "$SAMPLES/two_sites"
expect_rc 0
grep -q 'sockets leaked by two_sites' "$tmp/stderr" || fail "no text report next to --html"
self_contained "$tmp/two.html"
dom_check "$tmp/two.html" "$REPORT"
[[ $(jq '.findings | length' "$REPORT") -eq 2 ]] || fail "two_sites: expected two findings"
line=$(marker_line "$SRC/samples/two_sites.c" stream-site)
grep -qF "two_sites.c:$line" "$tmp/dom.html" || fail "the DOM does not name two_sites.c:$line"

# 3. The clean twin: says clean, no finding element.
run_connleak run --format html -o "$tmp/clean.html" --json "$REPORT" -- "$SAMPLES/clean_client" 3
expect_rc 0
dom_check "$tmp/clean.html" "$REPORT"
expect_json '.status' '"clean"'
! grep -q 'class="finding' "$tmp/dom.html" || fail "the clean report has a finding element"
grep -q 'data-status="clean"' "$tmp/dom.html" || fail "the clean report does not say clean"
grep -q 'connleak: no leaks' "$tmp/dom.html" || fail "the clean report has not the text's verdict"

# 4. Damaged and partial traces: the notes render, the verdict is not clean.
data="$SRC/tests/data"
run_connleak report --format html -o "$tmp/damaged.html" \
    "$data/garbage_middle.jsonl" "$data/truncated_last_line.jsonl" "$data/no_end.jsonl"
run_connleak report --format json -o "$REPORT" \
    "$data/garbage_middle.jsonl" "$data/truncated_last_line.jsonl" "$data/no_end.jsonl"
jq -e '.notes | length > 0' "$REPORT" > /dev/null || fail "the damaged traces gave no note"
dom_check "$tmp/damaged.html" "$REPORT"
grep -q '<li class="note">' "$tmp/dom.html" || fail "no note element"
! grep -q 'connleak: no leaks:' "$tmp/dom.html" || fail "partial traces reported as plainly clean"

# 5. Markup planted in a trace (a real run's, edited): request target, Host,
# the program's name. It must stay text: no element of its own in the DOM.
start_http_server
run_connleak run --keep-traces --trace-dir "$tmp/tr" -- "$SAMPLES/http_leaky" unclosed "$port" 2
expect_rc 0
trace=$(ls "$tmp"/tr/connleak-*.jsonl | head -1)
plant='<script>document.title=666</script><img src=x onerror=alert(1)>' # no " nor \: JSON as is
sed -i -e "s|/big|/big$plant|g" -e "s|\"127.0.0.1:$port\"|\"127.0.0.1:$port$plant\"|g" \
    -e "s|\"exe\":\"[^\"]*\"|\"exe\":\"/x/<b>evil</b>\"|" "$trace"
grep -qF '<script>' "$trace" || fail "nothing was planted in $trace"
run_connleak report --format html -o "$tmp/evil.html" "$trace"
run_connleak report --format json -o "$REPORT" "$trace"
jq -e '[.. | strings | select(contains("<script>"))] | length > 0' "$REPORT" > /dev/null ||
    fail "the planted markup is not in the report"
! grep -qiE '<(script|img|b)[ >]' "$tmp/evil.html" || fail "markup from the trace is in the HTML unescaped"
dom_check "$tmp/evil.html" "$REPORT"
grep -qF '&lt;script&gt;document.title' "$tmp/dom.html" || fail "the planted target is not shown as text"
grep -q '<title>connleak report' "$tmp/dom.html" || fail "the page title changed: a script ran"
pass
