# unit_http1.cmake - unit tests of the HTTP/1.x exchange tracker
# (common/http1.c), compiled straight into the test: the tracker is a
# self-contained module with no dependency on the rest of the preload.
# Built with ASan/UBSan so that any read outside a buffer fails the test.
add_executable(test_http1 ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_http1.c
                          ${PROJECT_SOURCE_DIR}/common/http1.c ${PROJECT_SOURCE_DIR}/common/http1_hdr.c)
target_include_directories(test_http1 PRIVATE ${PROJECT_SOURCE_DIR}/common)
target_compile_definitions(test_http1 PRIVATE _GNU_SOURCE)
target_compile_options(test_http1 PRIVATE -fsanitize=address,undefined -fno-sanitize-recover=all)
target_link_options(test_http1 PRIVATE -fsanitize=address,undefined)
target_link_libraries(test_http1 PRIVATE PkgConfig::CMOCKA)
set_target_properties(test_http1 PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
add_test(NAME http1 COMMAND test_http1)
set_tests_properties(http1 PROPERTIES TIMEOUT 120)

# test_http1_lines: the one-pass request and header line paths against
# byte by byte (whole, every cut, one byte at a time), on the odd cases.
add_executable(test_http1_lines ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_http1_lines.c
                                ${PROJECT_SOURCE_DIR}/common/http1.c ${PROJECT_SOURCE_DIR}/common/http1_hdr.c)
target_include_directories(test_http1_lines PRIVATE ${PROJECT_SOURCE_DIR}/common)
target_compile_definitions(test_http1_lines PRIVATE _GNU_SOURCE)
target_compile_options(test_http1_lines PRIVATE -fsanitize=address,undefined -fno-sanitize-recover=all)
target_link_options(test_http1_lines PRIVATE -fsanitize=address,undefined)
target_link_libraries(test_http1_lines PRIVATE PkgConfig::CMOCKA)
set_target_properties(test_http1_lines PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
add_test(NAME http1_lines COMMAND test_http1_lines)
set_tests_properties(http1_lines PROPERTIES TIMEOUT 120)
