#!/usr/bin/env bash
# package: the .deb (dist/CMakeLists.txt, CPack) holds the command, the
# library, the man page and bash completion under /usr, declares the
# libraries it needs (libunwind8 included: it is dlopen()ed), and connleak
# runs from its unpacked tree; the man page (help2man, from --help) and
# --help name the same options, completion offers them, and the README
# documents every option and environment variable --help names.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

build=$(dirname "$CONNLEAK")
(cd "$build" && cpack -G DEB -B "$tmp/pkg" > "$tmp/cpack.log" 2>&1) ||
    fail "cpack failed: $(tail -5 "$tmp/cpack.log")"
deb=$(ls "$tmp"/pkg/connleak_*_amd64.deb 2> /dev/null | head -n1)
[[ -n "$deb" ]] || fail "no .deb in $tmp/pkg: $(ls "$tmp/pkg")"

dpkg-deb -f "$deb" Package | grep -qx connleak || fail "the package is not named connleak"
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libunwind8 libcjson1 libdw1 libc6; do
    grep -q "$lib" <<< "$depends" || fail "Depends lacks $lib: $depends"
done
dpkg-deb -c "$deb" > "$tmp/contents"
for f in ./usr/bin/connleak ./usr/lib/connleak/libconnleak.so ./usr/share/man/man1/connleak.1.gz \
    ./usr/share/bash-completion/completions/connleak ./usr/include/connleak.h; do
    grep -q " $f\$" "$tmp/contents" || fail "the package lacks $f"
done

dpkg-deb -x "$deb" "$tmp/root"
RC=0
env -u CONNLEAK_LIB timeout 30 "$tmp/root/usr/bin/connleak" run --backend preload --format json \
    -o "$REPORT" -- "$SAMPLES/leaky_client" 2 > "$tmp/stdout" 2> "$tmp/stderr" || RC=$?
expect_rc 0
expect_site orphaned-socket leaky_client.c leak-site open_connection 2 > /dev/null
"$tmp/root/usr/bin/connleak" --version | grep -qE '^connleak [0-9.]+ \([0-9a-f]{7,}' ||
    fail "--version does not name the git revision: $("$tmp/root/usr/bin/connleak" --version)"

# Every option --help names is in the man page, and completion offers it.
"$CONNLEAK" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u > "$tmp/options"
[[ $(wc -l < "$tmp/options") -gt 20 ]] || fail "--help names too few options"
MANWIDTH=200 man -l "$tmp/root/usr/share/man/man1/connleak.1.gz" 2> /dev/null | sed 's/‐/-/g' > "$tmp/man.txt"
while read -r opt; do
    grep -qF -- "$opt" "$tmp/man.txt" || fail "the man page does not mention $opt"
done < "$tmp/options"
# ... and the README names every option and environment variable --help
# does, and --help every variable of the README's table (one source each way).
while read -r opt; do
    grep -qF -- "$opt" "$SRC/README.md" || fail "README.md does not mention $opt"
done < "$tmp/options"
# (--help into a file: `connleak --help | grep -q` would end in SIGPIPE,
# which pipefail reports as a failure)
"$CONNLEAK" --help > "$tmp/help.txt"
for v in $(grep -oE 'CONNLEAK_[A-Z_]+' "$tmp/help.txt" | sort -u); do
    grep -q "$v" "$SRC/README.md" || fail "README.md does not mention $v"
done
for v in $(awk '/^### Environment variables/,/^### Fleet/' "$SRC/README.md" | grep -oE '^\| `CONNLEAK_[A-Z_]+' | grep -oE 'CONNLEAK_[A-Z_]+'); do
    grep -q "$v" "$tmp/help.txt" || fail "--help does not mention $v (README's table does)"
done
completions=$(PATH="$tmp/root/usr/bin:$PATH" bash -c '
    source "$1"
    COMP_WORDS=(connleak run --no-); COMP_CWORD=2; _connleak
    printf "%s\n" "${COMPREPLY[@]}"' _ "$tmp/root/usr/share/bash-completion/completions/connleak")
grep -qx -- --no-wait-children <<< "$completions" || fail "completion does not offer --no-wait-children: $completions"
grep -qx -- --no-follow-exec <<< "$completions" || fail "completion does not offer --no-follow-exec: $completions"
pass
