# sanitize.cmake - the analyzer under AddressSanitizer and
# UndefinedBehaviorSanitizer over every checked-in trace (issue 11, item 15):
# check.sh runs connleak_san (analyzer/CMakeLists.txt: the command built
# with -fsanitize=address,undefined beside the normal one), or connleak
# itself in a -DCONNLEAK_SANITIZE=ON build, over the golden cases,
# tests/data and tests/sanitize/traces. About 10 s.
if(CONNLEAK_SANITIZE)
  set(_san_bin $<TARGET_FILE:connleak_cli>)
else()
  set(_san_bin $<TARGET_FILE:connleak_san>)
endif()
add_test(NAME analyzer_sanitized_reports
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/sanitize/check.sh ${_san_bin})
set_tests_properties(analyzer_sanitized_reports PROPERTIES TIMEOUT 300)
