#!/usr/bin/env bash
# record.sh BUILD_DIR: re-records the traces under tests/golden/traces/ by
# running every sample that `connleak run` works on, then sanitises them so
# that reports rendered from them depend on nothing outside the trace:
#   - the checkout path becomes /src, and every module path, the exe and
#     argv[0] move under /nonexistent-golden/ (basenames are kept: the
#     runtime-frame filters look at them), so frames print unsymbolised on
#     any machine, whatever is installed there.
#   - binary records (trace format 2) are written out as JSON lines
#     (`connleak trace-dump`), so that a re-recording is reviewed as text.
# Samples not in the list: static_hello and go_hello (no trace: not
# observable), signal_storm (a 3 MB trace), http_server (runs until killed).
# Run it by hand only when the trace format changes on purpose; then
# regenerate the golden reports with `check.sh CONNLEAK --update` and review
# the diff.
set -euo pipefail
build=$(cd "${1:?usage: record.sh BUILD_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
S=$build/samples
C=$build/connleak
out=$here/traces
tmp=$(mktemp -d)
export TMPDIR=$tmp CONNLEAK_TW_MIN=1000000
pids=()
trap 'for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; rm -rf "$tmp"' EXIT

"$S/http_server" > "$tmp/port" 2> /dev/null &
pids+=($!)
for _ in $(seq 50); do [[ -s $tmp/port ]] && break; sleep 0.1; done
port=$(head -n1 "$tmp/port")

rec() { # rec NAME [RUN OPTIONS] -- PROG ARGS...
    local name=$1
    shift
    rm -rf "${out:?}/$name"
    mkdir -p "$tmp/$name"
    timeout -k 5 60 "$C" run --keep-traces --trace-dir "$tmp/$name" -o /dev/null "$@" \
        > /dev/null 2>&1 < /dev/null || true
    mkdir -p "$out/$name"
    local f
    for f in "$tmp/$name"/connleak-*.jsonl; do # as JSON Lines, to review as text
        "$C" trace-dump "$f" | sed -e "s#$src/#/src/#g" \
            -e 's#"\(path\|exe\)":"/#"\1":"/nonexistent-golden/#g' \
            -e 's#"argv":\["/#"argv":["/nonexistent-golden/#g' \
            > "$out/$name/$(basename "$f")"
    done
    echo "recorded $name: $(ls "$out/$name" | wc -l) trace(s)"
}

rec leaky_client -- "$S/leaky_client" 3
rec clean_client -- "$S/clean_client" 3
rec mt_churn -- "$S/mt_churn" 4
rec forker -- "$S/forker"
rec forker_inherited -- "$S/forker"
rec fd_games -- "$S/fd_games"
rec daemon_closeall -- "$S/daemon_closeall"
rec killed -- "$S/killed"
rec fd_traps -- "$S/fd_traps"
rec quick_exit -- "$S/quick_exit"
rec two_sites -- "$S/two_sites"
rec recv_trunc -- "$S/recv_trunc" "$port"
rec errno_probe -- "$S/errno_probe"
rec dlopener -- "$S/dlopener" "$S/libplugin.so"
rec ssl_copies -- "$S/ssl_copies" "$S/sslcopies/a/libssl_plugin.so" "$S/sslcopies/b/libssl_plugin.so"


rec http_unclosed -- "$S/http_leaky" unclosed "$port" 3
rec http_discarded -- "$S/http_leaky" discarded "$port" 3
rec http_noreuse -- "$S/http_leaky" noreuse "$port" 12
rec http_orphan -- "$S/http_leaky" orphan "$port" 2
CONNLEAK_STUCK_MS=500 rec http_stuck -- "$S/http_leaky" stuck "$port" 2
rec http_clean -- "$S/http_clean" "$port" 5
rec http_reqsite -- "$S/http_reqsite" leaky "$port"
rec curl_clean -- "$S/curl_clean" "$port" 4
rec curl_leaky_nocleanup -- "$S/curl_leaky" nocleanup "$port" 3
rec curl_leaky_perrequest -- "$S/curl_leaky" perrequest "$port" 4
rec closewait_server -- "$S/closewait_server" --clients 5 --seconds 3
rec leak_growth -- "$S/leak_growth" --seconds 8
CONNLEAK_TW_MIN=100 rec timewait_churn -- "$S/timewait_churn" --count 150 --rate 0 --hold 1
