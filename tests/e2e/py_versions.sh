#!/usr/bin/env bash
# py_versions: Python frames on the CPython versions other than Debian's
# 3.11 that are on this machine (3.12 read with its own layout table, 3.13
# with _Py_DebugOffsets): urllib_leak.py's finding names its urlopen line in
# main, its clean twin gives none. The interpreters are looked for as
# $PYTHON312 / $PYTHON313, then python3.12 / python3.13 on PATH and under
# ~/.pyenv/versions; the test is skipped (77) when neither is found, and
# says which ones it ran. A CPython 3.10 (found the same way, if any) gets
# native frames only, and the report's note says so.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/http_lib.sh
source "$(dirname "$0")/http_lib.sh"

# find_python MINOR: the path of a real python3.MINOR executable, or nothing
# (a pyenv shim is a script: its exec would be followed, but skip it).
find_python() {
    local minor=$1 var="PYTHON3$1" c
    for c in "${!var:-}" "$(command -v "python3.$minor" 2> /dev/null)" \
        "$HOME"/.pyenv/versions/3."$minor".*/bin/python3."$minor"; do
        [[ -n "$c" && -x "$c" ]] && head -c 4 "$c" | grep -q ELF && {
            echo "$c"
            return
        }
    done
}

ran=()
start_http_server
for minor in 12 13; do
    py=$(find_python "$minor")
    [[ -n "$py" ]] || continue
    ran+=("3.$minor ($py)")
    run_json -- "$py" "$PY_SAMPLES/urllib_leak.py" "$port"
    expect_rc 0
    expect_kinds unclosed-body=1
    expect_json '[.notes[] | select(test("python-frames"))] | length' 0
    site=$(expect_site unclosed-body py/urllib_leak.py leak-site main 1)
    expect_field "$site" '[.stack[] | select(.function == "urlopen")] | length' 1
    expect_field "$site" '[.stack[].function // "" | select(startswith("_PyEval"))]' '[]'
    run_json -- "$py" "$PY_SAMPLES/urllib_leak.py" "$port" --clean
    expect_rc 0
    expect_clean
done
py=$(find_python 10)
if [[ -n "$py" ]]; then
    ran+=("3.10 ($py, native frames only)")
    run_json -- "$py" "$PY_SAMPLES/urllib_leak.py" "$port"
    expect_rc 0
    expect_kinds unclosed-body=1
    expect_json '[.notes[] | select(test("CPython older than 3.11: Python frames are read from CPython 3.11, 3.12 and 3.13 only"))] | length' 1
fi
if [[ ${#ran[@]} -eq 0 ]]; then
    echo "SKIP [$TEST_NAME]: no python3.12 or python3.13 found (set PYTHON312 / PYTHON313)"
    exit 77
fi
echo "ran with: ${ran[*]}"
pass
