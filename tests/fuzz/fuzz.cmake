# fuzz.cmake - the libFuzzer target of the HTTP/1.x exchange tracker
# (tests/fuzz/fuzz_http1.c + common/http1.c) and the ctest that runs it for
# a bounded time on the seed corpus of tests/fuzz/corpus_http1/. libFuzzer
# needs clang: when the project is built with gcc, clang is called directly
# by a custom command (no ExternalProject, no second toolchain in CMake).
# New inputs go to a corpus directory in the build tree, crashes to
# fuzz_http1_crash-* next to it; the test fails when the fuzzer finds one.
set(FUZZ_HTTP1_SRC ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_http1.c ${PROJECT_SOURCE_DIR}/common/http1.c)
set(FUZZ_HTTP1_FLAGS -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined
    -fno-sanitize-recover=all -Wall -Wextra -Werror)

if(CMAKE_C_COMPILER_ID MATCHES "Clang")
  add_executable(fuzz_http1 ${FUZZ_HTTP1_SRC})
  target_include_directories(fuzz_http1 PRIVATE ${PROJECT_SOURCE_DIR}/common)
  target_compile_options(fuzz_http1 PRIVATE ${FUZZ_HTTP1_FLAGS})
  target_link_options(fuzz_http1 PRIVATE -fsanitize=fuzzer,address,undefined)
  set_target_properties(fuzz_http1 PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  set(FUZZ_HTTP1_BIN $<TARGET_FILE:fuzz_http1>)
else()
  find_program(FUZZ_CLANG clang REQUIRED) # installed by scripts/install-deps.sh
  set(FUZZ_HTTP1_BIN ${CMAKE_CURRENT_BINARY_DIR}/fuzz_http1)
  add_custom_command(OUTPUT ${FUZZ_HTTP1_BIN}
    COMMAND ${FUZZ_CLANG} ${FUZZ_HTTP1_FLAGS} -I${PROJECT_SOURCE_DIR}/common
            ${FUZZ_HTTP1_SRC} -o ${FUZZ_HTTP1_BIN}
    DEPENDS ${FUZZ_HTTP1_SRC} ${PROJECT_SOURCE_DIR}/common/http1.h
    COMMENT "Building fuzz_http1 with clang (libFuzzer)" VERBATIM)
  add_custom_target(fuzz_http1 ALL DEPENDS ${FUZZ_HTTP1_BIN})
endif()

set(FUZZ_HTTP1_WORK ${CMAKE_CURRENT_BINARY_DIR}/fuzz_http1_corpus)
file(MAKE_DIRECTORY ${FUZZ_HTTP1_WORK})
add_test(NAME fuzz_http1
  COMMAND ${FUZZ_HTTP1_BIN} -max_total_time=20 -rss_limit_mb=1024 -timeout=10
          -print_final_stats=1 -artifact_prefix=${CMAKE_CURRENT_BINARY_DIR}/fuzz_http1_
          ${FUZZ_HTTP1_WORK} ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus_http1
  WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
set_tests_properties(fuzz_http1 PROPERTIES TIMEOUT 120)
