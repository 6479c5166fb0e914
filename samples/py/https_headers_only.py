#!/usr/bin/env python3
"""https_headers_only.py - an HTTPS response whose body is never read.

    https_headers_only.py PORT

http.client over TLS (certificate not verified: the test server's is
self-signed) to 127.0.0.1:PORT: GET /big (1 MiB), reads the status and
headers only, keeps the connection open until the program ends.
Expected report: unclosed-body with http.tls true.
"""
import http.client
import os
import ssl
import sys


def main():
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        print("usage: https_headers_only.py PORT", file=sys.stderr)
        sys.exit(2)
    conn = http.client.HTTPSConnection("127.0.0.1", int(sys.argv[1]), timeout=10,
                                       context=ssl._create_unverified_context())
    conn.request("GET", "/big")
    resp = conn.getresponse()
    print(f"https_headers_only: status {resp.status}, length {resp.getheader('Content-Length')}, "
          "body not read, connection open", flush=True)
    # Interpreter shutdown would close the socket; a service never gets there.
    os._exit(0)


if __name__ == "__main__":
    main()
