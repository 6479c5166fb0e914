#!/usr/bin/env bash
# kernel_reset: a connection its peer reset (RST), held open by the program,
# is in the kernel's CLOSE state, which the kernel's socket list does not
# hold: the sampler writes it as a `ktcp` CLOSE record after one
# getsockopt(TCP_INFO), and it is no reason to read that list, however
# long it stays. A connection the program half-closed for reading
# (shutdown(SHUT_RD), still ESTABLISHED) is no reason either. A socket
# whose peer closed and then reset it between the sample that noticed it
# and the (paced) walk is still written, as CLOSE after that walk.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
export CONNLEAK_SAMPLE_MS=100

run_json_traced --backend preload -- python3 -c '
import os, socket, struct, time
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(4)
reset = socket.create_connection(l.getsockname())
s, _ = l.accept()
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
half = socket.create_connection(l.getsockname())
h, _ = l.accept()
half.shutdown(socket.SHUT_RD)
time.sleep(3)
os._exit(0)'
expect_rc 0
closes=$(jq -s '[.[] | select(.t == "ktcp" and .state == "CLOSE")] | length' "$trace")
[[ $closes -eq 1 ]] || fail "want one ktcp CLOSE record (the reset socket), got $closes"
samples=$(jq -s '[.[] | select(.t == "sample")] | length' "$trace")
walks=$(jq -s '[.[] | select(.t == "sample" and .tcp)] | length' "$trace")
[[ $samples -ge 15 ]] || fail "only $samples samples"
[[ $walks -eq 0 ]] || fail "$walks of $samples samples read the kernel's sockets without a reason"

# A's peer closes (CLOSE_WAIT: a walk, whose cost paces the next one); then
# B's peer closes, and B is reset (the program writes to it) before that
# next walk: both get a ktcp record. (6 s: on a loaded machine a walk
# costs more, and the next one may come up to 5 s later.)
run_json_traced --backend preload -- python3 -c '
import os, socket, time
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(4)
A = socket.create_connection(l.getsockname()); a, _ = l.accept()
B = socket.create_connection(l.getsockname()); b, _ = l.accept()
time.sleep(1.2); a.close()
time.sleep(0.3); b.close()
time.sleep(0.3); B.send(b"x")
time.sleep(6)
os._exit(0)'
expect_rc 0
socks=$(jq -s '[.[] | select(.t == "ktcp" and (.state == "CLOSE_WAIT" or .state == "CLOSE"))
               | .sid] | unique | length' "$trace")
[[ $socks -eq 2 ]] ||
    fail "want ktcp records for both sockets, got $socks: $(jq -c 'select(.t == "ktcp")' "$trace")"
pass
