# Unit tests of the preload's core (tests/unit/test_preload_*.c), linked
# against connleak_core: the library without its hooks and constructor; and
# the analyzer's library, whose reader decodes the traces they write.
pkg_check_modules(CJSON_T REQUIRED IMPORTED_TARGET libcjson)
foreach(name fmt fdtable stacks trace tring http dump tracefile)
  add_executable(test_preload_${name} ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_preload_${name}.c)
  target_link_libraries(test_preload_${name} PRIVATE connleak_core connleak_analyzer PkgConfig::CMOCKA PkgConfig::CJSON_T)
  target_compile_definitions(test_preload_${name} PRIVATE CONNLEAK_VERSION="${PROJECT_VERSION}")
  set_target_properties(test_preload_${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  add_test(NAME preload_${name} COMMAND test_preload_${name})
  set_tests_properties(preload_${name} PROPERTIES TIMEOUT 60)
endforeach()
# The line-table decoder of pyframes.c against CPython's own co_lines():
# skipped (77) without a python >= 3.11.
add_executable(test_preload_pylines ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_preload_pylines.c)
target_link_libraries(test_preload_pylines PRIVATE connleak_core)
set_target_properties(test_preload_pylines PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
add_test(NAME preload_pylines COMMAND test_preload_pylines ${CMAKE_CURRENT_SOURCE_DIR}/unit/pylines_dump.py)
set_tests_properties(preload_pylines PROPERTIES TIMEOUT 60 SKIP_RETURN_CODE 77)
