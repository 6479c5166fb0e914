#!/usr/bin/env bash
# probe_go_tls: Go's HTTPS (crypto/tls, not OpenSSL: ciphertext on the
# wire) under the probe: the unclosed bodies are found at the user's line,
# with the method, host and path taken from the *Request at roundTrip and
# the connection marked TLS (status and sizes are not known: -1/0).
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/http_lib.sh
source "$(dirname "$0")/http_lib.sh"
# shellcheck source=tests/e2e/probe_lib.sh
source "$(dirname "$0")/probe_lib.sh"
probe_required

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" > "$tmp/openssl.log" 2>&1 ||
    fail "openssl could not make a certificate: $(tail -n 3 "$tmp/openssl.log")"
start_server tls_server "$PYTHON" "$PY_SAMPLES/tls_server.py" "$tmp/cert.pem" "$tmp/key.pem"

run_json --fail-on leak -- "$SAMPLES/go_client" -url "https://127.0.0.1:$port/items" \
    -mode leak-body -n 3 -insecure
expect_rc 99
grep -q "go_client: leak-body: 3 requests, 3 with status 200" "$tmp/stdout" ||
    fail "the client's output changed: $(head -c 300 "$tmp/stdout")"
f=$(expect_site unclosed-body go/client.go leak-body-site main.leakBody 3)
expect_field "$f" '.http | {host, request, tls}' \
    "{\"host\":\"127.0.0.1:$port\",\"request\":\"GET /items\",\"tls\":true}"
pass
