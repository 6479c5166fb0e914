# unit_analyzer.cmake - unit tests of the analyzer (analyzer/, the connleak
# command): the trace reader on the hand-written traces of tests/data, the
# rules, the renderers, the option parser, and the command line as a whole;
# test_analyzer_http writes its own small traces for the HTTP and
# client-handle findings (test_analyzer_http_render: their JSON and text), test_analyzer_kernel for the sampler's findings
# (close-wait-pile, time-wait-storm, fd-growth, unbounded-pool, dumps),
# test_analyzer_agg for bounded traces (agg records, late open records),
# test_analyzer_exit for what a correct program may hold at exit,
# test_analyzer_demangle for readable C++ and Rust names (symbols/demangle.c),
# test_analyzer_suppress for suppression rules (matcher, parser) and the
# baseline key, test_analyzer_cause for the headline frame (--skip-frames)
# and handle folding, test_analyzer_html for the HTML report (escaping,
# charts), test_analyzer_marks for per-test attribution (mark records),
# test_analyzer_perfmap for JIT frames named from a perf map (symbols/perfmap.c),
# test_analyzer_binrec for trace format 2's binary records (common/tracebin.h),
# test_analyzer_twunread for the tw-unread note (report/twunread.c).
# Each test links connleak_analyzer, the library behind the connleak binary.
set(ANALYZER_TESTS reader header notes rules render options scale cli files http http_render
                   kernel agg exit demangle suppress cause html marks perfmap binrec sidmap
                   twunread)
foreach(t ${ANALYZER_TESTS})
  add_executable(test_analyzer_${t} ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_analyzer_${t}.c)
  target_link_libraries(test_analyzer_${t} PRIVATE connleak_analyzer PkgConfig::CMOCKA)
  target_compile_definitions(test_analyzer_${t} PRIVATE
    _GNU_SOURCE TEST_DATA="${PROJECT_SOURCE_DIR}/tests/data")
  set_target_properties(test_analyzer_${t} PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  add_test(NAME analyzer_${t} COMMAND test_analyzer_${t})
endforeach()
set_tests_properties(analyzer_reader analyzer_header analyzer_notes analyzer_rules analyzer_render analyzer_options
                     analyzer_scale analyzer_cli analyzer_files analyzer_http analyzer_http_render
                     analyzer_kernel
                     analyzer_agg analyzer_exit analyzer_demangle analyzer_suppress analyzer_cause analyzer_html
                     analyzer_marks analyzer_perfmap analyzer_binrec analyzer_twunread
                     PROPERTIES ENVIRONMENT "DEBUGINFOD_URLS=;CONNLEAK_CACHE_DIR=")

# The CLI test runs the real binaries: connleak, and libconnleak.so for `run`.
target_compile_definitions(test_analyzer_cli PRIVATE
  CONNLEAK_BIN="$<TARGET_FILE:connleak_cli>" CONNLEAK_PRELOAD="$<TARGET_FILE:connleak>")
add_dependencies(test_analyzer_cli connleak_cli connleak)

# The report path must not leak: connleak report under valgrind, on every
# usable fixture, in both formats.
find_program(ANALYZER_VALGRIND valgrind REQUIRED) # installed by scripts/install-deps.sh
if(ANALYZER_VALGRIND)
  set(_data ${PROJECT_SOURCE_DIR}/tests/data)
  set(_traces ${_data}/complete.jsonl ${_data}/truncated_last_line.jsonl
      ${_data}/garbage_middle.jsonl ${_data}/no_end.jsonl ${_data}/dup_close.jsonl
      ${_data}/badclose.jsonl ${_data}/fork ${_data}/no_header.jsonl ${_data}/escape.jsonl
      ${_data}/after_end.jsonl ${_data}/two_traces.jsonl ${_data}/child_far_sids.jsonl
      ${_data}/stale_live.jsonl ${_data}/partial_clean.jsonl)
  foreach(fmt text json)
    add_test(NAME analyzer_report_valgrind_${fmt}
      COMMAND ${ANALYZER_VALGRIND} --error-exitcode=1 --leak-check=full
              --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect
              $<TARGET_FILE:connleak_cli> report --format ${fmt} --include-listeners ${_traces})
    set_tests_properties(analyzer_report_valgrind_${fmt} PROPERTIES
      ENVIRONMENT "DEBUGINFOD_URLS=" TIMEOUT 300)
  endforeach()
  # The CI flags on the same traces: suppressions (one rule that takes
  # findings, one stale), a baseline, every format at once, the rules
  # generated; and report --diff.
  set(_ci ${_data}/ci)
  add_test(NAME analyzer_report_valgrind_ci
    COMMAND ${ANALYZER_VALGRIND} --error-exitcode=1 --leak-check=full
            --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect
            $<TARGET_FILE:connleak_cli> report --format text --gen-suppressions
            --gen-suppressions=/dev/null --suppressions ${_ci}/valgrind.supp
            --baseline ${_ci}/baseline.json --json /dev/null --sarif /dev/null
            --junit /dev/null --html /dev/null --include-listeners ${_traces})
  add_test(NAME analyzer_report_valgrind_diff
    COMMAND ${ANALYZER_VALGRIND} --error-exitcode=1 --leak-check=full
            --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect
            $<TARGET_FILE:connleak_cli> report --diff --fail-on leak ${_ci}/baseline.json
            ${_ci}/baseline.json)
  set_tests_properties(analyzer_report_valgrind_ci analyzer_report_valgrind_diff PROPERTIES
    ENVIRONMENT "DEBUGINFOD_URLS=" TIMEOUT 300)
  # The rule tests under valgrind, on their hostile traces too: the HTTP and
  # client-handle findings, the sampler's findings, bounded traces; the
  # suppression matcher and parser.
  foreach(t http kernel agg suppress)
    add_test(NAME analyzer_${t}_valgrind
      COMMAND ${ANALYZER_VALGRIND} --error-exitcode=1 --leak-check=full
              --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect
              $<TARGET_FILE:test_analyzer_${t}>)
    set_tests_properties(analyzer_${t}_valgrind PROPERTIES
      ENVIRONMENT "DEBUGINFOD_URLS=" TIMEOUT 300)
  endforeach()
endif()
