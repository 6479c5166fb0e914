#!/usr/bin/env python3
"""py_requests_loop.py - the Python client of bench/run-python.sh.

    py_requests_loop.py PORT N

N sequential requests.get of / from samples/http_server on 127.0.0.1:PORT,
each on a new connection (requests.get makes a session per call), body read
and response closed: one socket open, so one stack capture with its Python
frames, per request. Prints the loop's wall time and the CPU time (user +
system, all threads: connleak's too) it took, in ms (interpreter start and
imports excluded).
"""
import sys
import time

import requests


def main():
    port, n = sys.argv[1], int(sys.argv[2])
    url = f"http://127.0.0.1:{port}/"
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(n):
        with requests.get(url, timeout=10) as r:
            r.content
    print(f"{(time.perf_counter() - t0) * 1000:.1f} {(time.process_time() - c0) * 1000:.1f}")


if __name__ == "__main__":
    main()
