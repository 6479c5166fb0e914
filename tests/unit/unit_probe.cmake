# unit_probe.cmake - unit tests of the probe's loader pieces that need no
# privilege: what it reads from Go binaries (probe/gosyms.c). Built only
# with the probe.
if(CONNLEAK_HAVE_PROBE)
  add_executable(test_probe_gosyms ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_probe_gosyms.c)
  target_include_directories(test_probe_gosyms PRIVATE ${PROJECT_SOURCE_DIR}/probe
                             ${PROJECT_SOURCE_DIR}/preload ${PROJECT_SOURCE_DIR}/common)
  target_link_libraries(test_probe_gosyms PRIVATE connleak_probe PkgConfig::CMOCKA)
  set_target_properties(test_probe_gosyms PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  add_dependencies(test_probe_gosyms go_client go_client_stripped leaky_client)
  add_test(NAME unit_probe_gosyms COMMAND test_probe_gosyms ${CMAKE_BINARY_DIR}/samples)
  set_tests_properties(unit_probe_gosyms PROPERTIES TIMEOUT 60)
endif()

# common/gopclntab.c on the stripped Go sample, under ASan and UBSan (it
# reads untrusted binaries: the analyzer's and the probe's input).
pkg_check_modules(GOPCLN_ELF REQUIRED IMPORTED_TARGET libelf)
add_executable(test_gopclntab ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_gopclntab.c
                              ${PROJECT_SOURCE_DIR}/common/gopclntab.c)
target_include_directories(test_gopclntab PRIVATE ${PROJECT_SOURCE_DIR}/common)
target_compile_options(test_gopclntab PRIVATE -fsanitize=address,undefined -fno-sanitize-recover=all)
target_link_options(test_gopclntab PRIVATE -fsanitize=address,undefined)
target_link_libraries(test_gopclntab PRIVATE PkgConfig::CMOCKA PkgConfig::GOPCLN_ELF)
set_target_properties(test_gopclntab PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
add_dependencies(test_gopclntab go_client_stripped)
add_test(NAME unit_gopclntab COMMAND test_gopclntab)
set_tests_properties(unit_gopclntab PROPERTIES TIMEOUT 120 ENVIRONMENT "SAMPLES=${CMAKE_BINARY_DIR}/samples")
