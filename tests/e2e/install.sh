#!/usr/bin/env bash
# install: `cmake --install` lays out bin/connleak and lib/connleak/
# libconnleak.so so that the installed command finds its library with no
# environment variable, from any working directory.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

build=$(dirname "$CONNLEAK")
cmake --install "$build" --prefix "$tmp/prefix" > "$tmp/install.log" 2>&1 ||
    fail "cmake --install failed: $(tail -3 "$tmp/install.log")"
[[ -x "$tmp/prefix/bin/connleak" ]] || fail "no bin/connleak in the install prefix"
lib=$(find "$tmp/prefix" -name libconnleak.so | head -n1)
[[ -n "$lib" ]] || fail "no libconnleak.so in the install prefix"

cd /
RC=0
env -u CONNLEAK_LIB timeout 30 "$tmp/prefix/bin/connleak" run --format json -o "$REPORT" \
    -- "$SAMPLES/leaky_client" 2 > "$tmp/stdout" 2> "$tmp/stderr" || RC=$?
expect_rc 0
expect_json '.status' '"leaks"'
expect_site orphaned-socket leaky_client.c leak-site open_connection 2 > /dev/null
pass
