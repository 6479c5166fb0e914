# Golden reports: the text and JSON reports of checked-in traces (one per
# sample, recorded by tests/golden/record.sh and sanitised, plus the
# hand-written tests/data/*.jsonl) must stay byte-identical. Checked in
# before analyzer/ was split into stages, as its proof of no behaviour change.
add_test(NAME golden_reports
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/golden/check.sh ${CMAKE_BINARY_DIR}/connleak)
set_tests_properties(golden_reports PROPERTIES TIMEOUT 120 LABELS golden)
