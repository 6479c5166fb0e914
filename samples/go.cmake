# go.cmake - the Go samples besides go_hello, built by go_sample()
# (CMakeLists.txt). go_leaky_http is watched from outside (`connleak
# watch`); go_client and go_cw_server are followed by the probe backend
# (`connleak run`, `connleak attach`); go_client_stripped is go_client
# without symbol table nor DWARF (-ldflags='-s -w', as release builds
# often are): only .gopclntab names its functions and lines.
go_sample(go_leaky_http leaky_http.go)
go_sample(go_client client.go)
go_sample(go_cw_server cw_server.go)
go_sample(go_client_stripped client.go -ldflags=-s\ -w)
# the same as a PIE: its table is .data.rel.ro.gopclntab, its text linked at
# 0x400000 while a PIE's first segment usually is at 0
go_sample(go_client_stripped_pie client.go -buildmode=pie -ldflags=-s\ -w)
