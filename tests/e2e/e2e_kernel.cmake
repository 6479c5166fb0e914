# e2e_kernel.cmake - end-to-end tests of the sampler's findings under
# `connleak run` / `connleak report`: close-wait-pile, time-wait-storm (matched
# by 4-tuple among other processes' TIME_WAIT sockets: kernel_tw_exact; read
# at exit, or said unread: kernel_tw_exit),
# fd-growth (and its steady twin), a dump of a running service. The samples
# of samples/kernel.cmake, CONNLEAK_SAMPLE_MS=200, each script under ~20 s.
# agg_*: bounded traces (CONNLEAK_DETAIL_SOCKETS=0, every socket only counted
# or written late) of the HTTP samples give the findings of detailed ones.
connleak_e2e(kernel_closewait kernel_timewait kernel_tw_exact kernel_tw_exit kernel_growth kernel_steady
             kernel_dump kernel_fdcount kernel_reset
             agg_noreuse agg_discarded agg_unclosed)
