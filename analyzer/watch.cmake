# watch.cmake - `connleak watch`: a process seen from outside (/proc/PID/fd
# and netlink sock_diag), for Go and static programs that LD_PRELOAD cannot
# observe. The readers in common/ are plain C with no allocation, shared
# with the preload library's sampler.
target_sources(connleak_analyzer PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/watch.c
  ${CMAKE_CURRENT_LIST_DIR}/watch_find.c
  ${CMAKE_CURRENT_LIST_DIR}/watch_json.c
  ${CMAKE_CURRENT_LIST_DIR}/watch_model.c
  ${CMAKE_CURRENT_LIST_DIR}/watch_opts.c
  ${CMAKE_CURRENT_LIST_DIR}/watch_sample.c
  ${CMAKE_CURRENT_LIST_DIR}/watch_text.c
  ${PROJECT_SOURCE_DIR}/common/procfd.c
  ${PROJECT_SOURCE_DIR}/common/sockdiag.c)
target_include_directories(connleak_analyzer PUBLIC ${PROJECT_SOURCE_DIR}/common)
