#!/usr/bin/env bash
# launchers: the preload follows exec through launchers (a shell, env in a
# #! line) into the program they start, even with --no-follow-exec; other
# programs' execs are followed unless --no-follow-exec. (Left to itself, connleak runs a launcher under
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

# python3 is no launcher: what it execs is traced all the same (issue 13,
# point 6), unless --no-follow-exec (or --follow-exec, the old spelling).
py=/usr/bin/python3
for follow in "" --follow-exec; do
    run_json --backend preload $follow -- $py -c "import os; os.execv('$SAMPLES/leaky_client', ['leaky_client', '2'])"
    expect_rc 0
    f=$(expect_site orphaned-socket leaky_client.c leak-site open_connection 2)
    [[ $(jq '.top_frame.line' <<< "$f") -eq $line ]] || fail "top frame line is not $line"
done
run_json --backend preload --no-follow-exec -- $py -c "import os; os.execv('$SAMPLES/leaky_client', ['leaky_client', '2'])"
expect_rc 0
expect_json '.status' '"clean"'
# ... and the report names what it did not follow
jq -e --arg p "$SAMPLES/leaky_client" '[.notes[] | select(contains($p) and contains("exec-not-followed"))] | length == 1' \
    "$REPORT" > /dev/null || fail "the report does not name the program it did not follow: $(jqr .notes)"
pass
