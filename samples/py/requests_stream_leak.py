#!/usr/bin/env python3
"""requests_stream_leak.py - the classic Python unclosed body.

    requests_stream_leak.py PORT [N]

N times (default 3), requests.get(..., stream=True) of /big (1 MiB) from
samples/http_server on 127.0.0.1:PORT: the status and headers are read, the
body is neither read nor closed, and the responses stay referenced until the
program ends, holding their connections open.
Expected report: unclosed-body, count N, GET /big, 0 < read < 1048576, at
the requests.get line (marked leak-site) in fetch_headers_only.
"""
import os
import sys

import requests


def fetch_headers_only(url, n):
    """Returns n streamed responses whose bodies nobody reads or closes."""
    responses = []
    for _ in range(n):
        responses.append(requests.get(url, stream=True, timeout=10))  # connleak-test: leak-site
    return responses


def main():
    if len(sys.argv) not in (2, 3) or not sys.argv[1].isdigit():
        print("usage: requests_stream_leak.py PORT [N]", file=sys.stderr)
        sys.exit(2)
    n = int(sys.argv[2]) if len(sys.argv) == 3 else 3
    responses = fetch_headers_only(f"http://127.0.0.1:{sys.argv[1]}/big?session=abc", n)
    statuses = sorted({r.status_code for r in responses})
    print(f"requests_stream_leak: {n} responses, status {statuses}, "
          f"length {responses[0].headers['Content-Length']}, bodies left unread and open",
          flush=True)
    # Interpreter shutdown would close the sockets; a service never gets there.
    os._exit(0)


if __name__ == "__main__":
    main()
