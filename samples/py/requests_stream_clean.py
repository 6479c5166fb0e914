#!/usr/bin/env python3
"""requests_stream_clean.py - the clean twin of requests_stream_leak.py.

    requests_stream_clean.py PORT [N]

One requests.Session, in a with-block, streams /big (1 MiB) N times
(default 3) from samples/http_server on 127.0.0.1:PORT: each response is
used in its own with-block and its body read to the end, so the connection
goes back to the pool and is reused; leaving the session closes it.
Expected report: clean.
"""
import sys

import requests


def fetch_all(url, n):
    """Streams url n times on one session; returns the body bytes read."""
    total = 0
    with requests.Session() as session:
        for _ in range(n):
            with session.get(url, stream=True, timeout=10) as r:
                r.raise_for_status()
                for chunk in r.iter_content(chunk_size=65536):
                    total += len(chunk)
    return total


def main():
    if len(sys.argv) not in (2, 3) or not sys.argv[1].isdigit():
        print("usage: requests_stream_clean.py PORT [N]", file=sys.stderr)
        sys.exit(2)
    n = int(sys.argv[2]) if len(sys.argv) == 3 else 3
    total = fetch_all(f"http://127.0.0.1:{sys.argv[1]}/big", n)
    print(f"requests_stream_clean: {n} responses, {total} body bytes read, all closed")


if __name__ == "__main__":
    main()
