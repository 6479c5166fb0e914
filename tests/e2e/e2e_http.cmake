# tests/e2e/e2e_http.cmake: the HTTP end-to-end tests of issue 3 (included
# by tests/CMakeLists.txt): raw-socket, libcurl, Python and TLS clients run
# under `connleak run` against servers on 127.0.0.1 (http_samples_bare: the
# samples alone). http_lib.sh holds their shared helpers and is not a test.
connleak_e2e(http_samples_bare http_unclosed http_discarded http_noreuse http_stuck
             http_orphan_context http_clean curl_leaky curl_clean py_requests py_urllib tls
             py_buffered http_reqsite)
# Python frames and interpreter shutdown (issue 15). py_versions runs the
# CPython 3.12 / 3.13 found on the machine, and skips when there is none.
connleak_e2e(py_finalize py_versions)
set_tests_properties(e2e_py_versions PROPERTIES SKIP_RETURN_CODE 77)
