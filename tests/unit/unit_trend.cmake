# unit_trend.cmake - unit tests of the trend statistics (analyzer/util/trend.c),
# compiled straight into the test with the analyzer's util.c, under ASan and
# UBSan so that any read outside a series or a buffer fails the test.
add_executable(test_trend ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_trend.c
                          ${PROJECT_SOURCE_DIR}/analyzer/util/trend.c
                          ${PROJECT_SOURCE_DIR}/analyzer/util/util.c)
target_include_directories(test_trend PRIVATE ${PROJECT_SOURCE_DIR}/analyzer)
target_compile_options(test_trend PRIVATE -fsanitize=address,undefined -fno-sanitize-recover=all)
target_link_options(test_trend PRIVATE -fsanitize=address,undefined)
target_link_libraries(test_trend PRIVATE PkgConfig::CMOCKA m)
set_target_properties(test_trend PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
add_test(NAME unit_trend COMMAND test_trend)
set_tests_properties(unit_trend PROPERTIES TIMEOUT 120)
