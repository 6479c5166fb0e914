# go.cmake - Go programs that `connleak watch` diagnoses from outside (a Go
# binary cannot be preloaded). Built like go_hello in CMakeLists.txt: with
# Debian's go, offline (GO111MODULE=off, GOPROXY=off), every cache inside
# the build tree. The binaries land in build/samples as go_<name>.
set(GO_WATCH_SAMPLES leaky_http client cw_server)
foreach(s ${GO_WATCH_SAMPLES})
  set(_out ${CMAKE_BINARY_DIR}/samples/go_${s})
  add_custom_command(
    OUTPUT ${_out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${GO_WORK}
    COMMAND ${CMAKE_COMMAND} -E env GO111MODULE=off GOFLAGS= GOPROXY=off GOTOOLCHAIN=local
            GOCACHE=${GO_WORK}/cache GOPATH=${GO_WORK}/gopath HOME=${GO_WORK}
            ${GO_EXECUTABLE} build -o ${_out} ${CMAKE_CURRENT_SOURCE_DIR}/go/${s}.go
    DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/go/${s}.go
    COMMENT "Building the Go sample go_${s}"
    VERBATIM)
  add_custom_target(go_${s} ALL DEPENDS ${_out})
endforeach()

# go_client_stripped: the same client without symbol table nor DWARF
# (-ldflags='-s -w', as release builds often are): only .gopclntab names
# its functions and lines.
set(_out ${CMAKE_BINARY_DIR}/samples/go_client_stripped)
add_custom_command(
  OUTPUT ${_out}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${GO_WORK}
  COMMAND ${CMAKE_COMMAND} -E env GO111MODULE=off GOFLAGS= GOPROXY=off GOTOOLCHAIN=local
          GOCACHE=${GO_WORK}/cache GOPATH=${GO_WORK}/gopath HOME=${GO_WORK}
          ${GO_EXECUTABLE} build -ldflags=-s\ -w -o ${_out} ${CMAKE_CURRENT_SOURCE_DIR}/go/client.go
  DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/go/client.go
  COMMENT "Building the Go sample go_client_stripped"
  VERBATIM)
add_custom_target(go_client_stripped ALL DEPENDS ${_out})
