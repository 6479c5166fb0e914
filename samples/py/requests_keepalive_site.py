#!/usr/bin/env python3
"""requests_keepalive_site.py - a keep-alive requests.Session whose abandoned
response was requested on a reused connection, in another function than the
one whose request opened it (request-site attribution, issue 15).

    requests_keepalive_site.py leaky|clean PORT

fetch_ok() gets /small from samples/http_server on 127.0.0.1:PORT and reads
it whole: the session's connection is opened there (marked open-site). Then
fetch_items() gets /big with stream=True on the same connection (marked
request-site). leaky: the body is neither read nor closed, the response still
referenced at the end -> unclosed-body at the request-site line, the socket
shown opened at the open-site line. clean: the body is read and the response
closed, the session closed -> no finding.
"""
import os
import sys

import requests


def fetch_ok(session, base):
    """A complete exchange: opens the session's connection."""
    return len(session.get(base + "/small", timeout=10).content)  # connleak-test: open-site


def fetch_items(session, base):
    """The request whose response is left streaming."""
    return session.get(base + "/big", stream=True, timeout=10)  # connleak-test: request-site


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("leaky", "clean") or not sys.argv[2].isdigit():
        print("usage: requests_keepalive_site.py leaky|clean PORT", file=sys.stderr)
        sys.exit(2)
    base = f"http://127.0.0.1:{sys.argv[2]}"
    session = requests.Session()
    small = fetch_ok(session, base)
    items = fetch_items(session, base)
    if sys.argv[1] == "clean":
        body = len(items.content)
        items.close()
        session.close()
        print(f"requests_keepalive_site clean: {small} + {body} body bytes read, all closed",
              flush=True)
        return
    print(f"requests_keepalive_site leaky: {small} body bytes read, then status "
          f"{items.status_code} left unread and open", flush=True)
    # Interpreter shutdown would close the socket; a service never gets there.
    os._exit(0)


if __name__ == "__main__":
    main()
