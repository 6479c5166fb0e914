# The layer check (scripts/check-layers.sh, docs/architecture.md): the tree
# follows the documented include direction, and a planted include against
# it in a copy of the tree is caught.
add_test(NAME check_layers
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/layers/check_layers_test.sh ${CMAKE_SOURCE_DIR})
set_tests_properties(check_layers PROPERTIES TIMEOUT 300 LABELS layers)
