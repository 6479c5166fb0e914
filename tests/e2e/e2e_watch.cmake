# e2e_watch.cmake - end-to-end tests of `connleak watch`: real processes
# (the Go sample, python3 clients and servers, the C samples) watched from
# outside over 127.0.0.1; each script stays well under 20 s. watch_same
# shows that watch and run find the same close-wait-pile (one model).
connleak_e2e(watch_go watch_steady watch_tcp watch_errors watch_same)
