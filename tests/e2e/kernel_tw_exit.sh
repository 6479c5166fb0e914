#!/usr/bin/env bash
# kernel_tw_exit: a program that churns and exits (or execs) before its
# first sample still gets its time-wait-storm: with CONNLEAK_TW_MIN or more
# connections closed first at one (peer, stack) since the sampler last read
# TIME_WAIT, connleak reads it once more. Its clean twin (the server closes
# first) gets neither a finding nor a note. Reads during the run that saw
# no storm at any site (60 + 60 at two) or that failed (every fd taken,
# the limit not raisable) leave the exit's read to do; a program at its fd
# limit that may raise it is still read. Connections refused leave no
# TIME_WAIT and are not counted as closes first. Where no read came after
# the closes (fewer than the program's CONNLEAK_TW_MIN, reported later with
# a lower --tw-min; sampling off), the report says so in a tw-unread note
# instead of staying silent.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
export CONNLEAK_SAMPLE_MS=60000 # no sample comes during the run: only the exit's
export CONNLEAK_TW_MIN=100

# expect_one_storm WHAT: the report has one time-wait-storm, of all 150
# connections closed first, with a peak of at least 100.
expect_one_storm() {
    local f
    f=$(jqr '[.findings[] | select(.kind == "time-wait-storm")]')
    jq -e 'length == 1 and .[0].peak >= 100 and .[0].closes == 150' <<< "$f" > /dev/null ||
        fail "$1: want one storm of 150 closes: $f"
}

run_json -- "$SAMPLES/timewait_churn" --count 150 --rate 0
expect_rc 0
port=$(grep -o '127\.0\.0\.1:[0-9]*' "$tmp/stdout" | head -n 1)
f=$(jqr '[.findings[] | select(.kind == "time-wait-storm")][0]')
jq -e --arg p "$port" '.peer == $p and .peak >= 100 and .peak <= 150 and .closes == 150 and
       (.estimated | not)' <<< "$f" > /dev/null ||
    fail "a churn that ended before its first sample: want its storm, exact, to $port: $f"
expect_json '.notes' '[]'

# the clean twin: the server closes first, no TIME_WAIT on the client's side
run_json -- "$SAMPLES/timewait_churn" --count 150 --rate 0 --server-closes
expect_rc 0
expect_json '.summary.findings' 0
expect_json '.notes' '[]'

# the program's threshold above the report's: no read at exit, and a
# report with --tw-min 20 says what it could not see
run_connleak run --tw-min 200 --keep-traces --trace-dir "$tmp/tr" -- \
    "$SAMPLES/timewait_churn" --count 150 --rate 0
[[ $RC -eq 0 ]] || fail "connleak run --tw-min 200 exited $RC"
run_connleak report --tw-min 20 --format json -o "$REPORT" "$tmp/tr"
expect_json '.summary["time-wait-storm"]' 0
jqr '.notes[]' | grep -q '150 connections to 127.0.0.1:[0-9]* were closed first and no sample read .*TIME_WAIT.*(tw-unread)' ||
    fail "no tw-unread note: $(jqr '.notes')"
run_connleak report --tw-min 20 "$tmp/tr"
grep -q '^note: .*(tw-unread)' "$tmp/stdout" || fail "the text report has no tw-unread note"

# a sample during the run read 60 + 60 sockets at two sites: no storm
# anywhere, so the 150 closed first after it (another site) are read at
# exit, not left to a note
CONNLEAK_SAMPLE_MS=500 run_json -- "$SAMPLES/tw_phases" --a 60 --b 60 --pause 1200 --then 150
expect_rc 0
port=$(grep -o 'A=127\.0\.0\.1:[0-9]*' "$tmp/stdout" | cut -d= -f2)
f=$(jqr '[.findings[] | select(.kind == "time-wait-storm")]')
jq -e --arg p "$port" 'length == 1 and .[0].peer == $p and .[0].peak >= 100 and
       .[0].closes == 150' <<< "$f" > /dev/null ||
    fail "two sites read below the threshold, then a storm at exit: want its storm to $port: $f"
expect_json '.notes' '[]'

# the program at its fd limit (every number under a soft limit of 256
# taken): a sample's sock_diag socket is made with the soft limit raised
# for a moment, so the read still works and finds the storm during the run
# (the first sample, a second in, must come after the 150 closes, during
# the pause: later ones do not walk again so soon)
CONNLEAK_SAMPLE_MS=1000 run_json_traced -- "$SAMPLES/tw_phases" --a 150 --b 0 --pause 2000 --then 0 \
    --hog soft
expect_rc 0
jq -se '[.[] | select(.t == "sample" and .fds >= 250 and .tw != null)] | length >= 1' \
    "$trace" > /dev/null || fail "--hog soft: no sample read the kernel while every fd was taken"
expect_one_storm "a program at its fd limit"
expect_json '.notes' '[]'

# the same with the hard limit lowered too and no CAP_SYS_RESOURCE: the
# samples cannot read the kernel (EMFILE); a read that failed is no read,
# so the exit reads, and finds the storm
CONNLEAK_SAMPLE_MS=500 run_json_traced -- setpriv --inh-caps=-sys_resource \
    --bounding-set=-sys_resource "$SAMPLES/tw_phases" --a 150 --b 0 --pause 1200 --then 0 --hog hard
expect_rc 0
jq -se '[.[] | select(.t == "sample" and .fds >= 250 and .tw == null)] | length >= 1' \
    "$trace" > /dev/null || fail "--hog hard: no sample failed to read the kernel"
expect_one_storm "walks that failed during the run, then exit"
expect_json '[.notes[] | select(test("tw-unread"))]' '[]'

# the image ends in an exec, not an exit: the same read comes before it
run_json -- "$SAMPLES/tw_phases" --a 150 --b 0 --pause 0 --then 0 --exec
expect_rc 0
expect_one_storm "a churn that ended in an exec"
expect_json '[.notes[] | select(test("tw-unread"))]' '[]'

# 150 non-blocking connects refused by a port nobody listens on, each
# closed: they leave no TIME_WAIT. At its close each says it never was
# (conn, err ENOTCONN): no exit read, no note, sampling on or off
CONNLEAK_SAMPLE_MS=60000 run_json_traced -- "$SAMPLES/tw_phases" --a 0 --b 0 --pause 0 --then 150 --refused
expect_rc 0
expect_json '.summary.findings' 0
expect_json '.notes' '[]'
[[ $(jq -s '[.[] | select(.t == "conn" and .err == "ENOTCONN")] | length' "$trace") -eq 150 ]] ||
    fail "refused connects: want 150 conn records with err ENOTCONN at their close"
jq -se '[.[] | select(.t == "sample")] | length == 0' "$trace" > /dev/null ||
    fail "refused connects: an exit read came for connections that never were"
CONNLEAK_SAMPLE_MS=0 run_json -- "$SAMPLES/tw_phases" --a 0 --b 0 --pause 0 --then 150 --refused
expect_json '.summary.findings' 0
expect_json '.notes' '[]'
# the same counted, not written (a bounded trace's agg records): not active
CONNLEAK_DETAIL_SOCKETS=10 CONNLEAK_SAMPLE_MS=0 run_json -- "$SAMPLES/tw_phases" --a 0 --b 0 \
    --pause 0 --then 150 --refused
expect_json '.summary.findings' 0
expect_json '.notes' '[]'

# connections that did connect and end in TIME_WAIT are not taken for
# refused ones: shut down and closed by the server before our close (the
# socket is in CLOSE, nothing read or written), or connect() called again
# on them (a conn record with err EISCONN)
CONNLEAK_SAMPLE_MS=60000 run_json -- "$SAMPLES/tw_phases" --a 150 --b 0 --pause 0 --then 0 --shut
expect_rc 0
expect_one_storm "--shut: connections in TIME_WAIT taken for never connected"
CONNLEAK_SAMPLE_MS=0 run_json -- "$SAMPLES/tw_phases" --a 150 --b 0 --pause 0 --then 0 --reconnect
jqr '.notes[]' | grep -q '150 connections to .*(tw-unread)' ||
    fail "--reconnect, sampling off: want the tw-unread note: $(jqr '.notes')"

# sampling off: never a read, said so
CONNLEAK_SAMPLE_MS=0 run_json -- "$SAMPLES/timewait_churn" --count 150 --rate 0
expect_json '.summary["time-wait-storm"]' 0
jqr '.notes[]' | grep -q '(tw-unread)' || fail "sampling off: no tw-unread note: $(jqr '.notes')"
pass
