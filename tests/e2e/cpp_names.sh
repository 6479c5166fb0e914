#!/usr/bin/env bash
# cpp_names: a C++ program's leaks are named as its source spells them
# (issue 17). samples/cpp/pool.cpp leaks 4 sockets in net::tcp_socket()
# inlined into net::Pool::redial(), 3 in net::Pool::dial(int), 2 in the
# template instance net::open_as<net::Tcp>(int) and 1 in a lambda of main;
# built with -g (cpp_pool: the inlined frame is named from DWARF alone) and
# -g0 (cpp_pool_g0: names from the symbol table only, frames as
# module+0xoffset). Checked in the JSON report
# (readable "function", mangled "function_mangled"), in the text report (no
# mangled name anywhere; full signatures when not on a terminal; fitted to
# the width inside "<...>" on one), and the clean twin gives no finding.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

dial='net::Pool::dial(int)'
tmpl='int net::open_as<net::Tcp>(int)'
lambda='main::{lambda(int)#1}::operator()(int) const'
inl='net::tcp_socket()'
redial='net::Pool::redial()'

# no_mangled_names: no "function" field of the report is a mangled name,
# and every "function_mangled" is one, beside a readable name.
no_mangled_names() {
    expect_json '[.. | objects | select(has("function")) | .function | strings
                  | select(test("^_[ZR][A-Z0-9]"))] | length' 0
    expect_json '[.. | objects | select(has("function_mangled"))
                  | select((.function_mangled | startswith("_Z") | not) or .function == null
                           or .function == .function_mangled)] | length' 0
}

# The -g build: function, file:line of each site, the mangled name kept.
run_json_traced -- "$SAMPLES/cpp_pool"
expect_rc 0
grep -qx "cpp_pool: 10 connections, 0 failed, none closed" "$tmp/stdout" ||
    fail "the program's stdout did not come through: $(head -c 300 "$tmp/stdout")"
expect_json '[.findings[] | .kind] | unique' '["orphaned-socket"]'
expect_json '[.findings[] | .count]' '[4,3,2,1]'
# the inlined function, qualified (its DW_AT_name says only "tcp_socket"),
# then the function it was inlined into, at the call's line
f=$(expect_site orphaned-socket cpp/pool.cpp inline-site "$inl" 4)
jq -e --arg r "$redial" --argjson l "$(marker_line "$SRC/samples/cpp/pool.cpp" redial-site)" \
    '.stack[0].inlined and .stack[0].function_mangled == "_ZN3net10tcp_socketEv"
     and .stack[1].function == $r and .stack[1].line == $l and (.stack[1].inlined | not)' \
    <<< "$f" > /dev/null || fail "the inlined frame and its caller: $(jq -c '.stack[:2]' <<< "$f")"
f=$(expect_site orphaned-socket cpp/pool.cpp method-site "$dial" 3)
[[ $(jq -r .top_frame.function_mangled <<< "$f") == _ZN3net4Pool4dialEi ]] ||
    fail "function_mangled of the method is $(jq -c .top_frame <<< "$f")"
expect_site orphaned-socket cpp/pool.cpp template-site "$tmpl" 2 > /dev/null
f=$(expect_site orphaned-socket cpp/pool.cpp lambda-site "$lambda" 1)
# The lambda is called through std::function: its long template frames are there.
jq -e '[.stack[].function] | any(startswith("std::_Function_handler<int (int), main::{lambda(int)#1}>::_M_invoke("))' \
    <<< "$f" > /dev/null || fail "no std::_Function_handler frame: $(jq -c '[.stack[].function]' <<< "$f")"
no_mangled_names
fp=$(jqr '[.findings[] | .fingerprint]')

# Text, not on a terminal: headlines name the functions, stacks show the
# full signatures (nothing cut), and no mangled name appears anywhere.
run_connleak report --color never "$trace"
expect_rc 0
out=$tmp/stdout
line=$(marker_line "$SRC/samples/cpp/pool.cpp" method-site)
grep -qF "3 still open at exit, opened in $dial (" "$out" || fail "no headline naming $dial: $(grep 'opened in' "$out")"
grep -qF "pool.cpp:$line)" "$out" || fail "the headline of $dial does not say pool.cpp:$line"
grep -qF "opened in net::open_as<net::Tcp>(int) (" "$out" ||
    fail "no headline naming net::open_as<net::Tcp>(int) (return type dropped): $(grep 'opened in' "$out")"
grep -qF "opened in $lambda (" "$out" || fail "no headline naming the lambda: $(grep 'opened in' "$out")"
grep -qE '#[0-9]+ std::_Function_handler<int \(int\), main::\{lambda\(int\)#1\}>::_M_invoke\(std::_Any_data const&, int&&\) ' "$out" ||
    fail "the std::function frame is not shown in full off a terminal"
! grep -q '…' "$out" || fail "a report that is not on a terminal was shortened: $(grep '…' "$out")"
! grep -qE '_Z[A-Z0-9]' "$out" || fail "a mangled name in the text report: $(grep -E '_Z[A-Z0-9]' "$out")"

# On a terminal 100 columns wide the same stack loses the middle of its
# template arguments, never a name.
if command -v script > /dev/null; then
    printf -v cmd '%q ' "$CONNLEAK" report --color never "$trace"
    timeout -k 5 45 script -qec "stty cols 100; $cmd" /dev/null > "$tmp/tty" 2>&1 ||
        fail "connleak report on a pseudo-terminal failed: $(tail -5 "$tmp/tty")"
    tr -d '\r' < "$tmp/tty" > "$tmp/tty.txt"
    grep -qE '#[0-9]+ std::_Function_handler<[^>]*…[^>]*>::_M_invoke\(std::_Any_data const&, int&&\)' "$tmp/tty.txt" ||
        fail "on a 100-column terminal the std::function frame is not shortened inside <...>: $(grep _M_invoke "$tmp/tty.txt")"
    grep -qF "#0 $dial " "$tmp/tty.txt" || fail "on a terminal the frame of $dial changed: $(grep '#0' "$tmp/tty.txt")"
    ! grep -qE '_Z[A-Z0-9]' "$tmp/tty.txt" || fail "a mangled name in the terminal report"
else
    echo "note [$TEST_NAME]: script (util-linux) not found: the terminal width is not checked"
fi

# The same fingerprints in another run (they hash the mangled names).
run_json -- "$SAMPLES/cpp_pool"
expect_json '[.findings[] | .fingerprint]' "$fp"

# Without debug info (-g0): names from the symbol table, still demangled;
# frames name module+0xoffset, and that offset is the symbol's address in
# the file plus the offset into the function.
run_json_traced -- "$SAMPLES/cpp_pool_g0"
expect_rc 0
expect_json '[.findings[] | [.count, .top_frame.function, .top_frame.file]]' \
    "$(jq -cn --arg r "$redial" --arg a "$dial" --arg b "$tmpl" --arg c "$lambda" \
        '[[4,$r,null],[3,$a,null],[2,$b,null],[1,$c,null]]')"
expect_json '[.findings[] | .top_frame.function_mangled | startswith("_Z")] | all' true
no_mangled_names
run_connleak report --color never "$trace"
expect_rc 0
out=$tmp/stdout
grep -qE "opened in net::Pool::dial\(int\) \(cpp_pool_g0\+0x[0-9a-f]+\)" "$out" ||
    fail "no headline 'net::Pool::dial(int) (cpp_pool_g0+0x...)': $(grep 'opened in' "$out")"
frame=$(grep -oE "#0 net::Pool::dial\(int\)\+0x[0-9a-f]+ +cpp_pool_g0\+0x[0-9a-f]+" "$out") ||
    fail "no frame 'net::Pool::dial(int)+0x... cpp_pool_g0+0x...': $(grep '#0' "$out")"
off=$(sed -E 's/.*dial\(int\)\+0x([0-9a-f]+) .*/\1/' <<< "$frame")
rel=$(sed -E 's/.*cpp_pool_g0\+0x([0-9a-f]+)$/\1/' <<< "$frame")
sym=$(nm "$SAMPLES/cpp_pool_g0" | awk '$3 == "_ZN3net4Pool4dialEi" { print $1 }')
[[ -n $sym ]] || fail "nm found no _ZN3net4Pool4dialEi in cpp_pool_g0"
((0x$sym + 0x$off == 0x$rel)) || fail "cpp_pool_g0+0x$rel is not _ZN3net4Pool4dialEi (0x$sym) + 0x$off"
grep -qF 'no debug info for' "$out" || fail "no note that cpp_pool_g0 has no debug info"
! grep -qE '_Z[A-Z0-9]' "$out" || fail "a mangled name in the text report: $(grep -E '_Z[A-Z0-9]' "$out")"

# The clean twin: the same calls, every socket closed.
run_json -- "$SAMPLES/cpp_pool" clean
expect_rc 0
expect_json '.status' '"clean"'
expect_json '.findings | length' 0
run_json -- "$SAMPLES/cpp_pool_g0" clean
expect_json '.status' '"clean"'
expect_json '.findings | length' 0
pass
