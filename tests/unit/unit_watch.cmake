# unit_watch.cmake - unit tests of `connleak watch`'s pieces: the sock_diag
# and /proc/PID/fd readers of common/ (compiled straight into the test, as
# the preload's sampler will compile them, with ASan/UBSan) against real
# loopback sockets, and the watch model and findings of analyzer/watch*.c.
add_executable(test_sockdiag ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_sockdiag.c
                             ${PROJECT_SOURCE_DIR}/common/sockdiag.c
                             ${PROJECT_SOURCE_DIR}/common/procfd.c)
target_include_directories(test_sockdiag PRIVATE ${PROJECT_SOURCE_DIR}/common)
target_compile_options(test_sockdiag PRIVATE -fsanitize=address,undefined -fno-sanitize-recover=all)
target_link_options(test_sockdiag PRIVATE -fsanitize=address,undefined)
target_link_libraries(test_sockdiag PRIVATE PkgConfig::CMOCKA)
set_target_properties(test_sockdiag PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
add_test(NAME sockdiag COMMAND test_sockdiag)
set_tests_properties(sockdiag PROPERTIES TIMEOUT 60)

# The watch model and findings, on hand-made snapshots (links the analyzer).
add_executable(test_watch_model ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_watch_model.c)
target_link_libraries(test_watch_model PRIVATE connleak_analyzer PkgConfig::CMOCKA)
target_compile_definitions(test_watch_model PRIVATE _GNU_SOURCE)
set_target_properties(test_watch_model PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
add_test(NAME watch_model COMMAND test_watch_model)
