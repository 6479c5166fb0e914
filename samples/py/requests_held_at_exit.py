#!/usr/bin/env python3
"""requests_held_at_exit.py - responses the program still holds when it ends.

    requests_held_at_exit.py PORT N [--close-at-exit]

N times, requests.get(..., stream=True) of /big (1 MiB) from
samples/http_server on 127.0.0.1:PORT, each response kept in a global list
and never read nor closed; then the program returns normally. Interpreter
shutdown closes the sockets, but the program never did.
Expected report: unclosed-body, count N, at the requests.get line (marked
leak-site) in keep_responses - not discarded-body.

With --close-at-exit (the clean twin), an atexit handler reads each body to
its end and closes it: closed by the program (atexit handlers run before
finalization), no finding.
"""
import atexit
import sys

import requests

HELD = []


def keep_responses(url, n):
    """Keeps n streamed responses in HELD, bodies unread."""
    for _ in range(n):
        HELD.append(requests.get(url, stream=True, timeout=10))  # connleak-test: leak-site


def read_and_close():
    total = 0
    for r in HELD:
        total += len(r.content)
        r.close()
    print(f"requests_held_at_exit: {total} body bytes read and closed at exit", flush=True)


def main():
    args = sys.argv[1:]
    close_at_exit = "--close-at-exit" in args
    args = [a for a in args if a != "--close-at-exit"]
    if len(args) != 2 or not all(a.isdigit() for a in args):
        print("usage: requests_held_at_exit.py PORT N [--close-at-exit]", file=sys.stderr)
        sys.exit(2)
    if close_at_exit:
        atexit.register(read_and_close)
    keep_responses(f"http://127.0.0.1:{args[0]}/big", int(args[1]))
    print(f"requests_held_at_exit: {len(HELD)} responses held", flush=True)


if __name__ == "__main__":
    main()
