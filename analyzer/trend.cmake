# trend.cmake - the trend statistics (Theil-Sen, Mann-Kendall, sparklines)
# used by the growth findings and `connleak watch`.
target_sources(connleak_analyzer PRIVATE ${CMAKE_CURRENT_LIST_DIR}/trend.c)
target_link_libraries(connleak_analyzer PUBLIC m)
