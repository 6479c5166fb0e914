# End-to-end tests: bash + jq scripts that run the samples under the real
# `connleak run` and check the JSON report (docs/report-json.md). Each script
# is one ctest test; they need build/connleak, build/libconnleak.so and the
# samples, and only use 127.0.0.1.
find_program(JQ_EXECUTABLE jq)
find_program(CURL_EXECUTABLE curl)
if(NOT JQ_EXECUTABLE OR NOT CURL_EXECUTABLE)
  message(FATAL_ERROR "tests/e2e needs jq and curl: run scripts/install-deps.sh")
endif()

set(E2E_TESTS
    samples_bare leaky_client clean_client mt_churn forker fd_games daemon_closeall killed
    not_observable http_server_curl cli_errors exit_codes report_truncated text_report
    same_behaviour signal_storm launchers install fd_traps early_ctor two_sites messages
    http_records dlopen bounded_trace recv_trunc ssl_copies unread_idle relative_dir secrets
    sanitizers daemons real_exit cpp_names git_http own_fds dump_signal_owner prometheus
    exec_flush disk_full privdrop raw_close node_closes ipc_pair nginx debug_cache trace_dump
    many_threads exit_threads)
# connleak_e2e(NAME...): one ctest test per tests/e2e/NAME.sh. The other
# e2e_*.cmake fragments (one per area) call it for their own scripts.
function(connleak_e2e)
  foreach(t ${ARGN})
    add_test(NAME e2e_${t} COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e/${t}.sh)
    set_tests_properties(e2e_${t} PROPERTIES
      ENVIRONMENT "CONNLEAK=${CMAKE_BINARY_DIR}/connleak;SAMPLES=${CMAKE_BINARY_DIR}/samples;SRC=${CMAKE_SOURCE_DIR}"
      TIMEOUT 60
      LABELS e2e)
  endforeach()
endfunction()
connleak_e2e(${E2E_TESTS})
# install configures and builds a second tree (the prefix /usr): on a loaded
# two-core machine that alone can take a minute
set_tests_properties(e2e_install PROPERTIES TIMEOUT 240)
# package builds the .deb with cpack (an install and dpkg-shlibdeps: a minute)
connleak_e2e(package)
set_tests_properties(e2e_package PROPERTIES TIMEOUT 300)
# Rust names (issue 17): skips when rustc was not found (samples/rust.cmake).
connleak_e2e(rust_names)
set_tests_properties(e2e_rust_names PROPERTIES SKIP_RETURN_CODE 77)
# disk_full mounts a tmpfs: skipped (77, with the reason) where it may not
set_tests_properties(e2e_disk_full PROPERTIES SKIP_RETURN_CODE 77)
set_tests_properties(e2e_debug_cache PROPERTIES SKIP_RETURN_CODE 77)
# node (libuv's raw closes, issue 13 point 2): skips when node is missing.
set_tests_properties(e2e_node_closes PROPERTIES SKIP_RETURN_CODE 77)
# node's JS frames from its perf map (issue 15): skips when node is missing.
connleak_e2e(node_jit)
set_tests_properties(e2e_node_jit PROPERTIES SKIP_RETURN_CODE 77)
# The remaining real programs of issue 13 (lighttpd, Perl LWP, ab,
# redis-benchmark, redis-cli) and the bare-vs-preloaded identity check of
# every real program: skipped (77, naming it) only when one is missing.
connleak_e2e(real_progs real_same)
set_tests_properties(e2e_real_progs e2e_real_same PROPERTIES SKIP_RETURN_CODE 77)
# real_same runs 14 cases twice (about 20 s alone, 35 s on a loaded machine):
# more room than the default 60 s when other tests load the two cores
set_tests_properties(e2e_real_same PROPERTIES TIMEOUT 150)
