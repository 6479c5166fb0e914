# shellcheck shell=bash
# probe_lib.sh - helpers of the probe backend's end-to-end tests (sourced
# after lib.sh). The probe needs root (CAP_BPF, CAP_PERFMON) and a kernel
# with BTF, tracepoints and uprobes: a test that cannot have them exits 77,
# which ctest reports as skipped with the reason printed here, never passed.

# probe_required: skips the test (exit 77) unless `connleak run --backend
# probe` can load its programs here.
probe_required() {
    local out rc=0
    out=$(timeout -k 5 30 "$CONNLEAK" run --backend probe --format json -o /dev/null -- true 2>&1) || rc=$?
    if [[ $rc -ne 0 ]]; then
        echo "SKIP [$TEST_NAME]: the probe backend cannot run here: $(head -n 3 <<< "$out")"
        exit 77
    fi
}
