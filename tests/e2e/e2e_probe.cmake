# e2e_probe.cmake - end-to-end tests of the probe backend (eBPF): Go programs
# run and attached to, and a C program attached to. Each test checks first
# that the probe can load here and exits 77 (ctest: skipped, with the
# reason) when it cannot: no root, no BTF, no tracepoints or uprobes.
if(CONNLEAK_HAVE_PROBE)
  connleak_e2e(probe_go_body probe_go_transport probe_go_growth probe_launcher probe_fd_games probe_go_closewait probe_go_stripped probe_go_tls probe_timewait probe_exec probe_attach probe_disk_full)
  foreach(t probe_go_body probe_go_transport probe_go_growth probe_launcher probe_fd_games probe_go_closewait probe_go_stripped probe_go_tls probe_timewait probe_exec probe_attach probe_disk_full)
    set_tests_properties(e2e_${t} PROPERTIES SKIP_RETURN_CODE 77)
  endforeach()
else()
  message(STATUS "tests: the probe backend is not built: its end-to-end tests are left out")
endif()
# What connleak says when the probe cannot run (built or not): never clean.
connleak_e2e(probe_refused)
set_tests_properties(e2e_probe_refused PROPERTIES SKIP_RETURN_CODE 77)
