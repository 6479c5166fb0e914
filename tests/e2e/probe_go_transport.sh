#!/usr/bin/env bash
# probe_go_transport: a Go client that builds a new http.Transport for every
# request: each connection is left idle in a pool nobody will use again.
# One no-connection-reuse finding at the user's line (main.newTransport)
# counting every stranded connection, and no unclosed-body (every body was
# read and closed).
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/http_lib.sh
source "$(dirname "$0")/http_lib.sh"
# shellcheck source=tests/e2e/probe_lib.sh
source "$(dirname "$0")/probe_lib.sh"
probe_required

start_http_server
run_json --fail-on no-connection-reuse -- "$SAMPLES/go_client" -url "http://127.0.0.1:$port/" -mode new-transport -n 12
expect_rc 99
expect_json '.backend' '"probe"'
f=$(expect_site no-connection-reuse go/client.go new-transport-site main.newTransport 12)
expect_json '[.findings[] | select(.kind == "unclosed-body" or .kind == "missing-body-close")] | length' 0
pass
