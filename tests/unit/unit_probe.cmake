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
