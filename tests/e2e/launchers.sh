#!/usr/bin/env bash
# launchers: the preload follows exec through launchers (a shell, env in a
# #! line) into the program they start; other programs' execs are followed
# only with --follow-exec. (Left to itself, connleak runs a launcher under
# the probe where the probe can run: probe_launcher.)
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

line=$(marker_line "$SRC/samples/leaky_client.c")

# sh forks and execs the client: the client is traced, sh is clean.
run_json --backend preload -- sh -c "$SAMPLES/leaky_client 3; true"
expect_rc 0
expect_json '.status' '"leaks"'
expect_site orphaned-socket leaky_client.c leak-site open_connection 3 > /dev/null

# A script whose #! line goes through env, which execs bash, which execs the
# client in place.
cat > "$tmp/script" <<SCRIPT
#!/usr/bin/env bash
exec "$SAMPLES/leaky_client" 2
SCRIPT
chmod +x "$tmp/script"
run_json --backend preload -- "$tmp/script"
expect_rc 0
expect_site orphaned-socket leaky_client.c leak-site open_connection 2 > /dev/null

# python3 is no launcher: what it execs is not traced unless asked.
run_json --backend preload -- python3 -c "import os; os.execv('$SAMPLES/leaky_client', ['leaky_client', '2'])"
expect_rc 0
expect_json '.status' '"clean"'
run_json --backend preload --follow-exec -- python3 -c "import os; os.execv('$SAMPLES/leaky_client', ['leaky_client', '2'])"
expect_rc 0
f=$(expect_site orphaned-socket leaky_client.c leak-site open_connection 2)
[[ $(jq '.top_frame.line' <<< "$f") -eq $line ]] || fail "top frame line is not $line"
pass
