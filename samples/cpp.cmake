# cpp.cmake - the C++ sample (samples/cpp/pool.cpp: leaks in a namespaced
# method, a function template, a lambda and an inlined function), built
# twice: cpp_pool with full debug info, cpp_pool_g0 without any (-g0: its
# names come from the symbol table only, its frames from module+offset).
# The only C++ of the project: compiled by a custom command, as the Go and
# Rust samples are, rather than by enabling CXX for the whole project
# (which costs every configure a C++ compiler check).
find_program(CPP_SAMPLE_CXX NAMES g++ c++)
if(NOT CPP_SAMPLE_CXX)
  message(FATAL_ERROR "samples: no C++ compiler (g++) for samples/cpp/pool.cpp; "
                      "run scripts/install-deps.sh (build-essential brings g++).")
endif()
set(CPP_SAMPLE_SRC ${CMAKE_CURRENT_SOURCE_DIR}/cpp/pool.cpp)
foreach(variant cpp_pool cpp_pool_g0)
  set(out ${CMAKE_BINARY_DIR}/samples/${variant})
  set(debug -g)
  if(variant STREQUAL cpp_pool_g0)
    set(debug -g0) # after SAMPLE_FLAGS' -g: it wins
  endif()
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CPP_SAMPLE_CXX} -std=gnu++17 -Wall -Wextra -Werror ${SAMPLE_FLAGS} ${debug}
            -o ${out} ${CPP_SAMPLE_SRC}
    DEPENDS ${CPP_SAMPLE_SRC}
    COMMENT "Building the C++ sample ${variant}"
    VERBATIM)
  add_custom_target(${variant} ALL DEPENDS ${out})
endforeach()
