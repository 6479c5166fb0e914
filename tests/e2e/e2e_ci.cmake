# e2e_ci.cmake - end-to-end tests of connleak in CI (README, "connleak in
# CI"): suppressions (generated, applied, stale, bad files), --baseline and
# `report --diff` (a program rebuilt with its lines shifted, then with a new
# leak), SARIF checked against the OASIS schema (tests/data/schemas, with
# Debian's python3-jsonschema) and JUnit XML, several outputs in one run.
connleak_e2e(ci_suppress ci_baseline ci_sarif ci_junit ci_example)
# ci_baseline builds its program three times and runs eleven reports: on a
# loaded two-core machine that takes longer than the default minute
set_tests_properties(e2e_ci_baseline e2e_ci_suppress PROPERTIES TIMEOUT 180)
# html_report opens six reports in headless Chromium (15-20 s each on a
# loaded two-core machine); it skips (77, with the reason) without chromium
connleak_e2e(html_report)
set_tests_properties(e2e_html_report PROPERTIES TIMEOUT 360 SKIP_RETURN_CODE 77)
