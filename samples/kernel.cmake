# kernel.cmake - the kernel-view samples (issue 4): a CLOSE_WAIT pile (from
# the server side, and from the client side: closewait_client), a TIME_WAIT
# storm, and fd growth with its steady twin. They are fixtures of
# the sampler's findings and of `connleak watch`; kernel_sample.c holds what
# they share (flags, loopback helpers, the peer process), never a marked site.
add_library(kernel_sample STATIC kernel_sample.c)
target_compile_options(kernel_sample PRIVATE ${SAMPLE_FLAGS})

set(KERNEL_SAMPLES closewait_server closewait_client timewait_churn leak_growth tw_phases)
foreach(s ${KERNEL_SAMPLES})
  add_executable(${s} ${s}.c)
  target_compile_options(${s} PRIVATE ${SAMPLE_FLAGS})
  target_link_libraries(${s} PRIVATE kernel_sample)
  set_target_properties(${s} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/samples)
endforeach()
target_link_libraries(timewait_churn PRIVATE Threads::Threads)
target_link_libraries(tw_phases PRIVATE Threads::Threads)
