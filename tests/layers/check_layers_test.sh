#!/usr/bin/env bash
# check_layers_test.sh SRC: scripts/check-layers.sh passes on the tree at
# SRC, and fails, naming the file and the include, on copies of its C
# sources with one include planted against the documented direction.
set -uo pipefail
src=${1:?usage: check_layers_test.sh SRC}
check=$src/scripts/check-layers.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
    echo "FAIL [check_layers]: $*" >&2
    exit 1
}

"$check" "$src" > "$tmp/out" 2>&1 || { cat "$tmp/out"; fail "the tree itself breaks a layer rule"; }
grep -q "analyzer/report -> analyzer/rules" "$tmp/out" || { cat "$tmp/out"; fail "the edges are not listed"; }

# copy: a fresh copy of the tree's C sources under $tmp/tree
copy() {
    rm -rf "$tmp/tree"
    mkdir -p "$tmp/tree"
    (cd "$src" && find . \( -name .git -o -name 'build*' \) -prune -o -type f \( -name '*.c' -o -name '*.h' \) \
        -print0 | xargs -0 cp --parents -t "$tmp/tree")
}

# plant FILE INCLUDE EXPECTED-EDGE: FILE gets INCLUDE; the check must fail
# and name FILE, the include and the edge.
plant() {
    local file=$1 inc=$2 edge=$3
    copy
    [[ -f $tmp/tree/$file ]] || fail "$file is not in the tree"
    printf '#include "%s"\n' "$inc" >> "$tmp/tree/$file"
    if "$check" "$tmp/tree" > "$tmp/out" 2>&1; then
        cat "$tmp/out"
        fail "a planted #include \"$inc\" in $file was not caught"
    fi
    grep -qF "$file:" "$tmp/out" && grep -qF "#include \"$inc\"" "$tmp/out" && grep -qF "$edge" "$tmp/out" ||
        { cat "$tmp/out"; fail "the failure does not name $file, \"$inc\" and $edge"; }
    echo "caught: $file: #include \"$inc\" ($edge)"
}

# An earlier stage reaching into a later one (the model into a renderer).
plant analyzer/model/model.c render/render.h "analyzer/model -> analyzer/render"
# A rule reaching into the report, by a relative path.
plant analyzer/rules/rules_close.c ../report/report.h "analyzer/rules -> analyzer/report"
# common reaching back into the analyzer.
plant common/sockdiag.c ../analyzer/util/util.h "common -> analyzer/util"
# The analyzer reaching into the preload library.
plant analyzer/trace/trace_read.c ../../preload/fdtable.h "analyzer/trace -> preload"
# A stage reaching into another's internals, even in the allowed direction.
plant analyzer/report/report.c trace/reader_internal.h "analyzer/report -> analyzer/trace"
echo "PASS [check_layers]"
