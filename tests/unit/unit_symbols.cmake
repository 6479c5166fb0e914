# unit_symbols.cmake - unit tests of analyzer/symbols/symbols.c and analyzer/util/binkind.c
# and the fixtures they run: sym_fixture (-g -O2) as PIE, as non-PIE and as a
# --strip-debug copy; -static, -static-pie and -shared builds of bk_hello; a
# Go hello world (only when `go` is found - test_binkind then fails without it).
include(CheckCSourceCompiles)
pkg_check_modules(SYMT_DW REQUIRED IMPORTED_TARGET libdw)
pkg_check_modules(SYMT_ELF REQUIRED IMPORTED_TARGET libelf)

set(SYMT_SRC ${CMAKE_CURRENT_SOURCE_DIR}/unit)
set(SYMT_FIX ${CMAKE_CURRENT_BINARY_DIR}/fixtures)

# --- symbolizer fixtures: a real run, with an inlined helper -----------------
add_executable(symfix_pie ${SYMT_SRC}/fixtures/sym_fixture.c)
add_executable(symfix_nopie ${SYMT_SRC}/fixtures/sym_fixture.c)
foreach(t symfix_pie symfix_nopie)
  target_compile_options(${t} PRIVATE -g -O2)
  target_link_options(${t} PRIVATE -Wl,--build-id)
  set_target_properties(${t} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${SYMT_FIX})
endforeach()
target_compile_options(symfix_pie PRIVATE -fPIE)
target_link_options(symfix_pie PRIVATE -pie)
target_compile_options(symfix_nopie PRIVATE -fno-pie)
target_link_options(symfix_nopie PRIVATE -no-pie)

find_program(SYMT_OBJCOPY NAMES objcopy ${CMAKE_OBJCOPY} REQUIRED)
add_custom_command(OUTPUT ${SYMT_FIX}/symfix_stripped
  COMMAND ${SYMT_OBJCOPY} --strip-debug $<TARGET_FILE:symfix_pie> ${SYMT_FIX}/symfix_stripped
  DEPENDS symfix_pie VERBATIM)
add_custom_target(symfix_stripped ALL DEPENDS ${SYMT_FIX}/symfix_stripped)

# --- binkind fixtures ---------------------------------------------------------
add_executable(bkfix_static ${SYMT_SRC}/fixtures/bk_hello.c)
target_link_options(bkfix_static PRIVATE -static)
add_library(bkfix_shared SHARED ${SYMT_SRC}/fixtures/bk_hello.c)
target_compile_definitions(bkfix_shared PRIVATE BK_NO_MAIN)
set_target_properties(bkfix_static bkfix_shared PROPERTIES
  RUNTIME_OUTPUT_DIRECTORY ${SYMT_FIX} LIBRARY_OUTPUT_DIRECTORY ${SYMT_FIX})

set(CMAKE_REQUIRED_FLAGS -fPIE)
set(CMAKE_REQUIRED_LINK_OPTIONS -static-pie)
check_c_source_compiles("int main(void) { return 0; }" SYMT_HAVE_STATIC_PIE)
unset(CMAKE_REQUIRED_FLAGS)
unset(CMAKE_REQUIRED_LINK_OPTIONS)
set(SYMT_STATIC_PIE "")
if(SYMT_HAVE_STATIC_PIE)
  add_executable(bkfix_static_pie ${SYMT_SRC}/fixtures/bk_hello.c)
  target_compile_options(bkfix_static_pie PRIVATE -fPIE)
  target_link_options(bkfix_static_pie PRIVATE -static-pie)
  set_target_properties(bkfix_static_pie PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${SYMT_FIX})
  set(SYMT_STATIC_PIE $<TARGET_FILE:bkfix_static_pie>)
endif()

find_program(SYMT_GO go)
set(SYMT_GO_HELLO "")
if(SYMT_GO)
  set(SYMT_GO_HELLO ${SYMT_FIX}/go_hello)
  add_custom_command(OUTPUT ${SYMT_GO_HELLO}
    COMMAND ${CMAKE_COMMAND} -E env GOCACHE=${SYMT_FIX}/gocache GOPATH=${SYMT_FIX}/gopath
            GOENV=off GOFLAGS= GO111MODULE=off GOPROXY=off CGO_ENABLED=0
            ${SYMT_GO} build -o ${SYMT_GO_HELLO} ${SYMT_SRC}/fixtures/go_hello/hello.go
    DEPENDS ${SYMT_SRC}/fixtures/go_hello/hello.go VERBATIM)
  # The same without its marker sections: only runtime.buildVersion is left.
  add_custom_command(OUTPUT ${SYMT_GO_HELLO}_nosect
    COMMAND ${SYMT_OBJCOPY} --remove-section .note.go.buildid --remove-section .go.buildinfo
            ${SYMT_GO_HELLO} ${SYMT_GO_HELLO}_nosect
    DEPENDS ${SYMT_GO_HELLO} VERBATIM)
  add_custom_target(bkfix_go ALL DEPENDS ${SYMT_GO_HELLO} ${SYMT_GO_HELLO}_nosect)
else()
  message(WARNING "go not found: test_binkind will fail its Go case (install golang-go)")
endif()

# --- the tests ----------------------------------------------------------------
add_executable(test_symbols ${SYMT_SRC}/test_symbols.c)
add_executable(test_binkind ${SYMT_SRC}/test_binkind.c)
foreach(t test_symbols test_binkind)
  target_include_directories(${t} PRIVATE ${PROJECT_SOURCE_DIR}/analyzer)
  target_link_libraries(${t} PRIVATE PkgConfig::CMOCKA)
  set_target_properties(${t} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
endforeach()
if(TARGET connleak_analyzer)
  target_link_libraries(test_symbols PRIVATE connleak_analyzer)
  target_link_libraries(test_binkind PRIVATE connleak_analyzer)
else()
  target_sources(test_symbols PRIVATE ${PROJECT_SOURCE_DIR}/analyzer/symbols/symbols.c
                                          ${PROJECT_SOURCE_DIR}/analyzer/symbols/dwarf.c
                                          ${PROJECT_SOURCE_DIR}/analyzer/symbols/cufind.c
                                          ${PROJECT_SOURCE_DIR}/analyzer/symbols/symtab.c)
  target_link_libraries(test_symbols PRIVATE PkgConfig::SYMT_DW PkgConfig::SYMT_ELF)
  target_sources(test_binkind PRIVATE ${PROJECT_SOURCE_DIR}/analyzer/util/binkind.c)
  target_link_libraries(test_binkind PRIVATE PkgConfig::SYMT_ELF)
endif()

target_compile_definitions(test_symbols PRIVATE
  SYMFIX_PIE="$<TARGET_FILE:symfix_pie>"
  SYMFIX_NOPIE="$<TARGET_FILE:symfix_nopie>"
  SYMFIX_STRIPPED="${SYMT_FIX}/symfix_stripped"
  SYMFIX_SOURCE="${SYMT_SRC}/fixtures/sym_fixture.c")
add_dependencies(test_symbols symfix_pie symfix_nopie symfix_stripped)

target_compile_definitions(test_binkind PRIVATE
  BK_DYNAMIC="$<TARGET_FILE:symfix_pie>"
  BK_STATIC="$<TARGET_FILE:bkfix_static>"
  BK_STATIC_PIE="${SYMT_STATIC_PIE}"
  BK_SHARED="$<TARGET_FILE:bkfix_shared>"
  BK_GO="${SYMT_GO_HELLO}")
add_dependencies(test_binkind symfix_pie bkfix_static bkfix_shared)
if(SYMT_HAVE_STATIC_PIE)
  add_dependencies(test_binkind bkfix_static_pie)
endif()
if(SYMT_GO)
  add_dependencies(test_binkind bkfix_go)
endif()

add_test(NAME unit_symbols COMMAND test_symbols)
add_test(NAME unit_binkind COMMAND test_binkind)
set_tests_properties(unit_symbols unit_binkind PROPERTIES ENVIRONMENT "DEBUGINFOD_URLS=")

find_program(SYMT_VALGRIND valgrind REQUIRED) # installed by scripts/install-deps.sh
if(SYMT_VALGRIND)
  add_test(NAME unit_symbols_valgrind
    COMMAND ${SYMT_VALGRIND} --error-exitcode=1 --leak-check=full
            --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect
            $<TARGET_FILE:test_symbols>)
  set_tests_properties(unit_symbols_valgrind PROPERTIES
    ENVIRONMENT "CONNLEAK_TEST_NO_TIMING=1;DEBUGINFOD_URLS=" TIMEOUT 600)
endif()

# cufind.c and symtab.c against libdwfl and the sorted table (through
# symbols/lookupcheck.c, so only with the analyzer library)
if(TARGET connleak_analyzer)
  add_executable(test_symbols_lookup ${SYMT_SRC}/test_symbols_lookup.c)
  target_compile_options(test_symbols_lookup PRIVATE -g)
  target_include_directories(test_symbols_lookup PRIVATE ${PROJECT_SOURCE_DIR}/analyzer)
  target_link_libraries(test_symbols_lookup PRIVATE connleak_analyzer PkgConfig::CMOCKA)
  set_target_properties(test_symbols_lookup PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  add_test(NAME unit_symbols_lookup COMMAND test_symbols_lookup)
  set_tests_properties(unit_symbols_lookup PROPERTIES ENVIRONMENT "DEBUGINFOD_URLS=")
endif()
