#!/usr/bin/env bash
# kernel_steady: leak_growth --steady makes the same connections as
# leak_growth but closes all of them: no fd-growth, no unbounded-pool, no
# finding at all, although it was sampled every 200 ms for 12 s. Nor does
# it give the sampler a reason to walk the host's sockets (its peer closes
# first, and its sockets are closed as soon as they read EOF): hardly any
# sample reads the kernel.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
export CONNLEAK_SAMPLE_MS=200

run_json_traced -- "$SAMPLES/leak_growth" --steady --seconds 12
expect_rc 0
expect_json '.status' '"clean"'
expect_json '.findings' '[]'
samples=$(grep -c '"t":"sample"' "$trace")
[[ $samples -ge 40 ]] || fail "only $samples samples in the trace: the test saw no series"
# (a sample may land between a read of EOF and its close: a reason, rarely)
walks=$(grep '"t":"sample"' "$trace" | grep -c '"tcp":' || true)
[[ $walks -le 3 ]] || fail "$walks of $samples samples walked the kernel's sockets without reason"
pass
