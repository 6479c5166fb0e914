#!/usr/bin/env bash
# Installs everything connleak needs to build, test and benchmark on Debian 12.
# Every dependency of the project goes through this script, so that a fresh
# machine (and CI) gets exactly what a developer's machine has.
#   scripts/install-deps.sh          build + test dependencies
#   scripts/install-deps.sh --bench  also the comparison and load tools of bench/
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  help2man dpkg-dev  # the man page (from --help) and the .deb (CPack, dpkg-shlibdeps)
  libunwind-dev libcjson-dev libdw-dev libelf-dev
  libcmocka-dev libcurl4-openssl-dev libssl-dev
  jq python3 python3-requests openssl curl golang-go valgrind
  python3-jsonschema  # SARIF reports checked against the OASIS schema (tests/e2e/ci_sarif.sh)
  wget redis-server redis-tools nginx-light  # real programs under test (tests/e2e/)
  lighttpd libwww-perl apache2-utils  # more real programs (tests/e2e/real_progs.sh, real_same.sh)
  prometheus  # promtool checks the metrics files (tests/e2e/prometheus.sh)
  chromium    # tests only: opens the HTML report headless (tests/e2e/html_report.sh)
  nodejs         # libuv closes sockets with syscall(SYS_close) (tests/e2e/node_closes.sh)
  libc6-dbg  # file:line for libc frames in reports
  libiberty-dev  # cplus_demangle: readable C++ and Rust names in reports
  rustc          # the Rust sample (samples/rust); g++ comes with build-essential
  clang libclang-rt-14-dev  # libFuzzer for the HTTP/1 tracker; the probe's BPF programs
  libbpf-dev bpftool        # the probe backend (eBPF): its loader and skeleton
)
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(strace hyperfine wrk)  # wrk: load for bench/run-nginx.sh
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi
if [[ -n "$sudo" ]] && ! command -v sudo > /dev/null; then
  echo "install-deps: missing ${missing[*]}; not root and sudo is not installed: run this script as root" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
