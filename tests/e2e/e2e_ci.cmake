# e2e_ci.cmake - end-to-end tests of connleak in CI (README, "connleak in
# CI"): suppressions (generated, applied, stale, bad files), --baseline and
# `report --diff` (a program rebuilt with its lines shifted, then with a new
# leak), SARIF checked against the OASIS schema (tests/data/schemas, with
# Debian's python3-jsonschema) and JUnit XML, several outputs in one run.
connleak_e2e(ci_suppress ci_baseline ci_sarif ci_junit)
