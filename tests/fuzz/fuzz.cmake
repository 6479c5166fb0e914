# fuzz.cmake - the libFuzzer targets: the HTTP/1.x exchange tracker (below)
# and the trace reader (fuzz_trace, at the end). The HTTP/1.x one
# (tests/fuzz/fuzz_http1.c + common/http1.c, http1_hdr.c, http1_memo.c) and the ctest that runs it for
# a bounded time on the seed corpus of tests/fuzz/corpus_http1/. libFuzzer
# needs clang: when the project is built with gcc, clang is called directly
# by a custom command (no ExternalProject, no second toolchain in CMake).
# New inputs go to a corpus directory in the build tree, crashes to
# fuzz_http1_crash-* next to it; the test fails when the fuzzer finds one.
set(FUZZ_HTTP1_SRC ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_http1.c ${PROJECT_SOURCE_DIR}/common/http1.c ${PROJECT_SOURCE_DIR}/common/http1_hdr.c ${PROJECT_SOURCE_DIR}/common/http1_memo.c)
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
    DEPENDS ${FUZZ_HTTP1_SRC} ${PROJECT_SOURCE_DIR}/common/http1.h ${PROJECT_SOURCE_DIR}/common/http1_internal.h
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

# fuzz_trace: the trace reader, the rules and the renderers as `connleak
# report` runs them (tests/fuzz/fuzz_trace.c), fed whole trace files; its
# seed corpus is tests/data and tests/golden/traces, its dictionary the
# format's record kinds and field names (trace.dict). Built by clang from
# the analyzer's sources (all but cli/), one object per source so that
# `make -j` builds them side by side, each rebuilt when a header it includes
# changes (the compiler's depfile); crashes go to fuzz_trace_crash-*.
pkg_check_modules(FUZZ_TRACE_DEPS REQUIRED libcjson libdw)
if(CMAKE_C_COMPILER_ID MATCHES "Clang")
  set(FUZZ_TRACE_CC ${CMAKE_C_COMPILER})
else()
  set(FUZZ_TRACE_CC ${FUZZ_CLANG})
endif()
set(FUZZ_TRACE_FLAGS -std=gnu11 -g -O1 -fsanitize=fuzzer-no-link,address,undefined
    -fno-sanitize-recover=all -Wall -Wextra -Werror
    -DCONNLEAK_VERSION=\"${PROJECT_VERSION}\"
    -DCONNLEAK_INSTALL_LIB=\"${CMAKE_INSTALL_FULL_LIBDIR}/connleak/libconnleak.so\"
    -I${PROJECT_SOURCE_DIR}/analyzer -I${PROJECT_SOURCE_DIR}/common)
foreach(dir ${FUZZ_TRACE_DEPS_INCLUDE_DIRS})
  list(APPEND FUZZ_TRACE_FLAGS -I${dir})
endforeach()
set(FUZZ_TRACE_OBJS)
foreach(src ${CONNLEAK_ANALYZER_CORE_SOURCES} ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_trace.c)
  file(RELATIVE_PATH rel ${PROJECT_SOURCE_DIR} ${src})
  string(REPLACE "/" "_" obj ${rel})
  set(obj ${CMAKE_CURRENT_BINARY_DIR}/fuzz_trace_objs/${obj}.o)
  add_custom_command(OUTPUT ${obj}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_CURRENT_BINARY_DIR}/fuzz_trace_objs
    COMMAND ${FUZZ_TRACE_CC} ${FUZZ_TRACE_FLAGS} -MD -MF ${obj}.d -c ${src} -o ${obj}
    DEPENDS ${src} DEPFILE ${obj}.d VERBATIM) # the headers too: a changed struct rebuilds all
  list(APPEND FUZZ_TRACE_OBJS ${obj})
endforeach()
set(FUZZ_TRACE_BIN ${CMAKE_CURRENT_BINARY_DIR}/fuzz_trace)
add_custom_command(OUTPUT ${FUZZ_TRACE_BIN}
  COMMAND ${FUZZ_TRACE_CC} -fsanitize=fuzzer,address,undefined ${FUZZ_TRACE_OBJS}
          ${FUZZ_TRACE_DEPS_LDFLAGS} ${CONNLEAK_LIBIBERTY} -lm -o ${FUZZ_TRACE_BIN}
  DEPENDS ${FUZZ_TRACE_OBJS}
  COMMENT "Linking fuzz_trace with clang (libFuzzer)" VERBATIM)
add_custom_target(fuzz_trace ALL DEPENDS ${FUZZ_TRACE_BIN})

set(FUZZ_TRACE_WORK ${CMAKE_CURRENT_BINARY_DIR}/fuzz_trace_corpus)
file(MAKE_DIRECTORY ${FUZZ_TRACE_WORK})
add_test(NAME fuzz_trace
  COMMAND ${FUZZ_TRACE_BIN} -max_total_time=25 -rss_limit_mb=2048 -timeout=10 -max_len=65536
          -dict=${CMAKE_CURRENT_SOURCE_DIR}/fuzz/trace.dict
          -print_final_stats=1 -artifact_prefix=${CMAKE_CURRENT_BINARY_DIR}/fuzz_trace_
          ${FUZZ_TRACE_WORK} ${PROJECT_SOURCE_DIR}/tests/data ${PROJECT_SOURCE_DIR}/tests/golden/traces
  WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
set_tests_properties(fuzz_trace PROPERTIES TIMEOUT 120 ENVIRONMENT "DEBUGINFOD_URLS=")
