# samples/http.cmake: the HTTP samples of issue 3 (included by
# samples/CMakeLists.txt). http_leaky, http_clean and http_reqsite speak HTTP/1.1 on raw
# sockets through http_wire.c; curl_leaky / curl_clean use libcurl. All of
# them talk to samples/http_server. Same flags as the other samples, so the
# marked lines are the reported ones. The Python samples (samples/py/) are
# run from the source tree.
pkg_check_modules(SAMPLE_CURL REQUIRED IMPORTED_TARGET libcurl)

add_library(http_wire STATIC http_wire.c)
target_compile_options(http_wire PRIVATE ${SAMPLE_FLAGS})

foreach(s http_leaky http_clean http_reqsite curl_leaky curl_clean)
  add_executable(${s} ${s}.c)
  target_compile_options(${s} PRIVATE ${SAMPLE_FLAGS})
  set_target_properties(${s} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/samples)
endforeach()
target_link_libraries(http_leaky PRIVATE http_wire)
target_link_libraries(http_clean PRIVATE http_wire)
target_link_libraries(http_reqsite PRIVATE http_wire)
target_link_libraries(curl_leaky PRIVATE PkgConfig::SAMPLE_CURL)
target_link_libraries(curl_clean PRIVATE PkgConfig::SAMPLE_CURL)
