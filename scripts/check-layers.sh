#!/usr/bin/env bash
# check-layers.sh [ROOT]: lists the #include edges between folders of the
# source tree at ROOT (default: this checkout) and fails on any edge against
# the documented direction (docs/architecture.md, "Layers"). In the spirit
# of Chromium's checkdeps, for a small tree: rules are by folder, never by
# file name, so files may move or split inside a folder freely.
#
# Folders ("layers"): analyzer/<stage> for each stage of the analyzer, and
# the top-level folders common, preload, probe, tests, samples, bench.
#
#   analyzer stages, lowest first; a stage may include its own folder and
#   any stage listed before it, never one after it:
#       util model trace symbols rules report filter watch render cli
#   analyzer/<stage> -> common           allowed
#   analyzer/cli -> probe                allowed (the probe's loader runs in
#                                        the connleak process, driven by cli)
#   preload -> common, probe -> common   allowed
#   common -> preload|probe|analyzer     forbidden (common depends on nothing)
#   preload <-> probe                    forbidden (both go through common)
#   anything -> analyzer/...             forbidden, except from analyzer
#                                        itself (by the order above) and
#                                        tests, samples, bench
#   tests, samples, bench -> anything    allowed
#   a header named *_internal.h may be included only from its own folder
#
# An include "X" is resolved as the compiler would find it: next to the
# including file, then under each include root (analyzer/, common/,
# preload/, probe/, the top), then by file name anywhere in the tree
# (same top folder first, then common/). Includes that resolve to no file
# of the tree (<stdio.h>, "cJSON.h"...) are outside the tree: ignored.
#
# Output: one line per folder edge with its number of includes, then one
# line per violation: "FILE:LINE: #include "X": FROM -> TO: WHY".
# Exit 0 when every edge is allowed, 1 on a violation, 2 on bad usage.
set -uo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
[[ -d $root ]] || {
    echo "check-layers: $root is not a directory" >&2
    exit 2
}
cd "$root"

STAGES=(util model trace symbols rules report filter watch render cli)

declare -A RANKS
for i in "${!STAGES[@]}"; do RANKS[${STAGES[$i]}]=$i; done

# layer_of PATH: sets LAYER, the folder a file belongs to, for the rules above.
layer_of() {
    local p=$1 top rest
    top=${p%%/*}
    if [[ $top == analyzer ]]; then
        rest=${p#analyzer/}
        if [[ $rest == */* ]]; then LAYER="analyzer/${rest%%/*}"; else LAYER="analyzer/(top)"; fi
    elif [[ $p == */* ]]; then
        LAYER=$top
    else
        LAYER="(top)"
    fi
}

# Every C source and header of the tree, relative to ROOT.
mapfile -t files < <(find . \( -name .git -o -name 'build*' -o -name .cache \) -prune -o \
    -type f \( -name '*.c' -o -name '*.h' \) -print | sed 's#^\./##' | LC_ALL=C sort)
declare -A exists byname
for f in "${files[@]}"; do
    exists[$f]=1
    byname[${f##*/}]+="$f "
done

# norm PATH: sets NORM, PATH with "." and ".." segments folded.
norm() {
    local IFS=/ part out=()
    for part in $1; do
        case $part in
        '' | .) ;;
        ..) [[ ${#out[@]} -gt 0 ]] && unset 'out[${#out[@]}-1]' ;;
        *) out+=("$part") ;;
        esac
    done
    NORM="${out[*]}"
}

# resolve FROM INCLUDE: sets TARGET, the tree file the include names, or "".
resolve() {
    local from=$1 inc=$2 dir cand r top
    TARGET=
    dir=.
    [[ $from == */* ]] && dir=${from%/*}
    for cand in "$dir/$inc" "analyzer/$inc" "common/$inc" "preload/$inc" "probe/$inc" "$inc"; do
        norm "$cand"
        [[ -n ${exists[$NORM]:-} ]] && { TARGET=$NORM; return 0; }
    done
    [[ $inc == */* ]] && return 0 # a path that names no file of the tree
    top=${from%%/*}
    local found=()
    read -r -a found <<< "${byname[$inc]:-}"
    [[ ${#found[@]} -eq 0 ]] && return 0
    for r in "${found[@]}"; do [[ ${r%%/*} == "$top" ]] && { TARGET=$r; return 0; }; done
    for r in "${found[@]}"; do [[ ${r%%/*} == common ]] && { TARGET=$r; return 0; }; done
    TARGET=${found[0]}
}

# why_not FROM_LAYER TO_LAYER: empty when the edge is allowed, else why not.
why_not() {
    local from=$1 to=$2 fr tr
    [[ $from == "$to" ]] && return
    case $from in
    tests | samples | bench) return ;;
    esac
    case $to in
    analyzer/*)
        if [[ $from != analyzer/* ]]; then
            echo "only analyzer/, tests/, samples/ and bench/ may include analyzer/"
            return
        fi
        fr=${RANKS[${from#analyzer/}]:--1}
        tr=${RANKS[${to#analyzer/}]:--1}
        if [[ $fr -lt 0 ]]; then
            echo "${from} is not a documented analyzer stage (${STAGES[*]})"
        elif [[ $tr -lt 0 ]]; then
            echo "${to} is not a documented analyzer stage (${STAGES[*]})"
        elif [[ $tr -gt $fr ]]; then
            echo "${from#analyzer/} comes before ${to#analyzer/} in ${STAGES[*]}: data flows the other way"
        fi
        return
        ;;
    esac
    case $from in
    analyzer/cli) [[ $to == common || $to == probe ]] ||
        echo "analyzer/cli may include only common/ and probe/ (the probe's loader runs in connleak) outside analyzer/" ;;
    analyzer/*) [[ $to == common ]] || echo "analyzer may include only common/ outside analyzer/" ;;
    common) echo "common/ includes nothing from the rest of the tree" ;;
    preload | probe) [[ $to == common ]] || echo "$from may include only common/ outside its own folder" ;;
    *) echo "$from is not a folder with include rules" ;;
    esac
}

declare -A edges
violations=()
for f in "${files[@]}"; do
    layer_of "$f"
    from_layer=$LAYER
    while IFS=: read -r line inc; do
        resolve "$f" "$inc"
        [[ -z $TARGET ]] && continue
        layer_of "$TARGET"
        to_layer=$LAYER
        [[ $from_layer == "$to_layer" ]] && continue
        key="$from_layer -> $to_layer"
        edges[$key]=$((${edges[$key]:-0} + 1))
        if [[ $TARGET == *_internal.h ]]; then
            why="${TARGET##*/} is internal to ${to_layer}: include that folder's interface header"
        else
            why=$(why_not "$from_layer" "$to_layer")
        fi
        [[ -n $why ]] && violations+=("$f:$line: #include \"$inc\": $key: $why")
    done < <(grep -n -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" |
        sed 's/^\([0-9]*\):[^"]*"\([^"]*\)".*/\1:\2/')
done

echo "check-layers: include edges between folders (includes):"
for k in "${!edges[@]}"; do printf '  %-40s %d\n' "$k" "${edges[$k]}"; done | LC_ALL=C sort
if [[ ${#violations[@]} -gt 0 ]]; then
    echo "check-layers: ${#violations[@]} include(s) against the documented direction:" >&2
    printf '  %s\n' "${violations[@]}" >&2
    exit 1
fi
echo "check-layers: every edge follows the documented direction"
