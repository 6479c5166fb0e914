#!/usr/bin/env python3
"""urllib_leak.py - urllib.request.urlopen() left open.

    urllib_leak.py PORT [--clean]

Opens http://127.0.0.1:PORT/big (1 MiB, samples/http_server) with
urllib.request.urlopen, looks at the status and headers, and never reads
nor closes the response; it stays referenced until the program ends.
Expected report: unclosed-body, count 1, GET /big, at the urlopen line
(marked leak-site) in main. With --clean (the twin), the body is read in a
with-block: no finding.
"""
import os
import sys
import urllib.request


def main():
    clean = sys.argv[2:] == ["--clean"]
    if len(sys.argv) not in (2, 3) or not sys.argv[1].isdigit() or (len(sys.argv) == 3
                                                                    and not clean):
        print("usage: urllib_leak.py PORT [--clean]", file=sys.stderr)
        sys.exit(2)
    url = f"http://127.0.0.1:{sys.argv[1]}/big?q=1"
    if clean:
        with urllib.request.urlopen(url, timeout=10) as resp:
            body = resp.read()
        print(f"urllib_leak: status {resp.status}, {len(body)} body bytes read and closed",
              flush=True)
        os._exit(0)
    resp = urllib.request.urlopen(url, timeout=10)  # connleak-test: leak-site
    print(f"urllib_leak: status {resp.status}, length {resp.headers['Content-Length']}, "
          "response left open", flush=True)
    # Interpreter shutdown would close the socket; a service never gets there.
    os._exit(0)


if __name__ == "__main__":
    main()
