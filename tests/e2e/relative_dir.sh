#!/usr/bin/env bash
# relative_dir: a relative CONNLEAK_DIR set by hand is taken as of the
# program's start (issue 11, point 13): a program that chdir's and then
# forks still gets its child's trace in that directory, and nothing is
# said on its stderr.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
PYTHON=${PYTHON:-/usr/bin/python3}

lib="$(dirname "$CONNLEAK")/libconnleak.so"
mkdir -p "$tmp/work/tr"
(cd "$tmp/work" && CONNLEAK_DIR=tr LD_PRELOAD="$lib" "$PYTHON" -c '
import os, socket
os.chdir("/")
pid = os.fork()
if pid == 0:
    s = socket.socket()
    os._exit(0)
os.waitpid(pid, 0)
' 2> "$tmp/err") || fail "the program failed: $(cat "$tmp/err")"
[[ ! -s "$tmp/err" ]] || fail "connleak wrote to the program's stderr: $(cat "$tmp/err")"
n=$(find "$tmp/work/tr" -name 'connleak-*.jsonl' | wc -l)
[[ $n -eq 2 ]] || fail "expected the parent's and the child's traces in tr/, found $n"
pass
