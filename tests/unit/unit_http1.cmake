# unit_http1.cmake - unit tests of the HTTP/1.x exchange tracker
# (common/http1.c, http1_hdr.c, http1_memo.c), compiled straight into each test: the
# tracker is a self-contained module with no dependency on the rest of the
# preload. Built with ASan/UBSan so that any read outside a buffer fails
# the test.
function(add_http1_test name source)
  add_executable(${source} ${CMAKE_CURRENT_SOURCE_DIR}/unit/${source}.c
                 ${PROJECT_SOURCE_DIR}/common/http1.c ${PROJECT_SOURCE_DIR}/common/http1_hdr.c ${PROJECT_SOURCE_DIR}/common/http1_memo.c)
  target_include_directories(${source} PRIVATE ${PROJECT_SOURCE_DIR}/common)
  target_compile_definitions(${source} PRIVATE _GNU_SOURCE)
  target_compile_options(${source} PRIVATE -fsanitize=address,undefined -fno-sanitize-recover=all)
  target_link_options(${source} PRIVATE -fsanitize=address,undefined)
  target_link_libraries(${source} PRIVATE PkgConfig::CMOCKA)
  set_target_properties(${source} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  add_test(NAME ${name} COMMAND ${source})
  set_tests_properties(${name} PROPERTIES TIMEOUT 120)
endfunction()

add_http1_test(http1 test_http1)
# http1_lines: the one-pass request and header line paths against byte by
# byte (whole, every cut, one byte at a time), on the odd cases.
add_http1_test(http1_lines test_http1_lines)
# http1_memo: heads replayed from the memo against the same bytes parsed.
add_http1_test(http1_memo test_http1_memo)
