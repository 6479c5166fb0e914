# cpp.cmake - the C++ sample (samples/cpp/pool.cpp: leaks in a namespaced
# method, a function template and a lambda), built twice: cpp_pool with full
# debug info, cpp_pool_g0 without any (-g0: its names come from the symbol
# table only, its frames from module+offset). The only C++ in the project,
# so C++ is enabled here, for the samples alone.
enable_language(CXX)
foreach(variant cpp_pool cpp_pool_g0)
  add_executable(${variant} cpp/pool.cpp)
  target_compile_options(${variant} PRIVATE ${SAMPLE_FLAGS})
  set_target_properties(${variant} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/samples)
endforeach()
target_compile_options(cpp_pool_g0 PRIVATE -g0) # after SAMPLE_FLAGS' -g: it wins
