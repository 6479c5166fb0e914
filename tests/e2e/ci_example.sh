#!/usr/bin/env bash
# ci_example: samples/ci/ci.sh, the example CI job of issue 14 (fails on
# the vendor's leak, passes with the generated suppression, passes with a
# baseline, fails on a new leak), run against the real connleak.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
rc=0
bash "$SRC/samples/ci/ci.sh" "$CONNLEAK" "$tmp/job" > "$tmp/stdout" 2> "$tmp/stderr" || rc=$?
[[ $rc -eq 0 ]] || fail "samples/ci/ci.sh exited $rc: $(cat "$tmp/stdout")"
[[ $(grep -c ": exit [0-9]* as expected" "$tmp/stdout") -eq 5 ]] || fail "not every step ran: $(cat "$tmp/stdout")"
pass
