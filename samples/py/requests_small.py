#!/usr/bin/env python3
"""requests_small.py - small responses the socket view cannot vouch for.

    requests_small.py PORT N drop|session

drop: N times requests.get(..., stream=True) of a 64-byte response from
samples/http_server on 127.0.0.1:PORT, never read nor closed, dropped (the
garbage collector closes each connection). The whole response arrived in
one recv into http.client's buffer: at the socket it looks read.
Expected report: no finding, and a python-buffered note counting N
connections (the socket view cannot tell).

session (the clean twin): one requests.Session, each response read and
closed, the session closed: one connection carries the N requests, no note.
"""
import sys

import requests


def drop_responses(url, n):
    for _ in range(n):
        requests.get(url, stream=True, timeout=10)  # connleak-test: leak-site


def read_in_session(url, n):
    with requests.Session() as s:
        for _ in range(n):
            with s.get(url, stream=True, timeout=10) as r:
                r.content


def main():
    if len(sys.argv) != 4 or sys.argv[3] not in ("drop", "session"):
        print("usage: requests_small.py PORT N drop|session", file=sys.stderr)
        sys.exit(2)
    url = f"http://127.0.0.1:{sys.argv[1]}/small"
    n = int(sys.argv[2])
    (drop_responses if sys.argv[3] == "drop" else read_in_session)(url, n)
    print(f"requests_small: {n} requests ({sys.argv[3]})", flush=True)


if __name__ == "__main__":
    main()
