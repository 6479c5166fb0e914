#!/usr/bin/env bash
# ssl_copies: a process with two copies of libssl, each reached by a plugin
# loaded with dlopen(RTLD_LOCAL) (Python's libssl and a wheel's bundled,
# renamed one). Every caller binds to connleak's SSL_read first; each must
# still reach its own copy (they once all went to the first one found: an
# SSL object handed to another OpenSSL corrupts memory), in either order.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

a="$SAMPLES/sslcopies/a/libssl_plugin.so"
b="$SAMPLES/sslcopies/b/libssl_plugin.so"
for order in "$a $b" "$b $a" "$b"; do
    # shellcheck disable=SC2086
    bare=$("$SAMPLES/ssl_copies" $order) || fail "ssl_copies failed bare ($order)"
    # shellcheck disable=SC2086
    run_json -- "$SAMPLES/ssl_copies" $order
    expect_rc 0
    [[ $(cat "$tmp/stdout") == "$bare" ]] ||
        fail "under connleak: $(tr '\n' ' ' < "$tmp/stdout"); bare: $(tr '\n' ' ' <<< "$bare")"
done
grep -q ": 222$" <<< "$bare" || fail "the second copy never answered: $bare"
pass
