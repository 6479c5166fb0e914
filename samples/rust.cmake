# rust.cmake - the Rust sample (samples/rust/leak.rs) built with Debian's
# rustc twice: rust_leak_legacy with rustc's default (legacy) mangling,
# "_ZN...17h<hash>E", and rust_leak_v0 with -C symbol-mangling-version=v0,
# "_R...". /usr/bin/rustc is preferred over a rustup one on PATH (the
# project's tools come from Debian). Without rustc the sample is not built
# and tests/e2e/rust_names.sh skips.
find_program(RUSTC_EXECUTABLE rustc PATHS /usr/bin NO_DEFAULT_PATH)
find_program(RUSTC_EXECUTABLE rustc)
if(RUSTC_EXECUTABLE)
  set(RUST_FLAGS --edition 2021 -g -C opt-level=1 -C force-frame-pointers=yes --crate-name leak)
  foreach(mangling legacy v0)
    set(out ${CMAKE_BINARY_DIR}/samples/rust_leak_${mangling})
    set(flags ${RUST_FLAGS})
    if(mangling STREQUAL v0)
      list(APPEND flags -C symbol-mangling-version=v0)
    endif()
    add_custom_command(
      OUTPUT ${out}
      COMMAND ${RUSTC_EXECUTABLE} ${flags} -o ${out} ${CMAKE_CURRENT_SOURCE_DIR}/rust/leak.rs
      DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/rust/leak.rs
      COMMENT "Building the Rust sample rust_leak_${mangling}"
      VERBATIM)
    add_custom_target(rust_leak_${mangling} ALL DEPENDS ${out})
  endforeach()
else()
  message(WARNING "rustc not found: the Rust sample is not built, e2e_rust_names skips "
                  "(scripts/install-deps.sh installs rustc)")
endif()
