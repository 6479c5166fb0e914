#!/usr/bin/env bash
# tls: HTTP over TLS is followed through OpenSSL (plaintext of SSL_read /
# SSL_write), against a Python HTTPS server with a self-signed certificate
# made here. (a) Python http.client reads only the headers of a 1 MiB
# response and ends with the connection open: unclosed-body with
# http.tls = true, and its SSL object never freed (client-handle-leak
# "ssl"). (b) curl -k fetching the same body and a small one: clean.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/http_lib.sh
source "$(dirname "$0")/http_lib.sh"

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" > "$tmp/openssl.log" 2>&1 ||
    fail "openssl could not make a certificate: $(tail -n 3 "$tmp/openssl.log")"
start_server tls_server "$PYTHON" "$PY_SAMPLES/tls_server.py" "$tmp/cert.pem" "$tmp/key.pem"
host="127.0.0.1:$port"

# (a)
run_json -- "$PYTHON" "$PY_SAMPLES/https_headers_only.py" "$port"
expect_rc 0
expect_stdout "https_headers_only: status 200, length 1048576, body not read, connection open"
expect_json '.status' '"leaks"'
expect_kinds unclosed-body=1 client-handle-leak=1
f=$(jq -c '.findings[] | select(.kind == "unclosed-body")' "$REPORT")
expect_field "$f" '.count' 1
expect_field "$f" '.http | {host, request, status, expect, tls}' \
    "{\"host\":\"$host\",\"request\":\"GET /big\",\"status\":200,\"expect\":1048576,\"tls\":true}"
expect_field "$f" '.http.read < 1048576' true
expect_field "$f" '[.peers[] | .peer, .count]' "[\"$host\",1]"
f=$(jq -c '.findings[] | select(.kind == "client-handle-leak")' "$REPORT")
expect_field "$f" '[.handle, .count, .open_sockets]' '["ssl",1,1]'

# (b)
run_json -- curl -sk --max-time 10 -o "$tmp/big" -o "$tmp/small" \
    "https://127.0.0.1:$port/big" "https://127.0.0.1:$port/x"
expect_rc 0
[[ $(wc -c < "$tmp/big") -eq 1048576 && $(wc -c < "$tmp/small") -eq 64 ]] ||
    fail "curl did not get the bodies over TLS"
expect_clean
pass
