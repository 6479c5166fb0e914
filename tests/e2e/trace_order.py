#!/usr/bin/env python3
"""trace_order.py - checks that a trace's records, in file order, tell a
consistent fd story: a socket's records come after its open, a close, conn
or shut names the socket its fd holds, and an fd is opened (or dup'ed onto)
again only after the close of its previous socket. Records from several
threads merged in the wrong order break it.

    trace_order.py DUMP.jsonl [--reverse]

DUMP is `connleak trace-dump` output. --reverse checks the records backwards
(the test's proof that the check can fail). Prints the first records that
break it and exits 1, or exits 0."""
import json
import sys


def check(records):
    fds, sids, bad = {}, set(), []
    for r in records:
        t = r.get("t")
        if t == "open":
            if r["fd"] in fds:
                bad.append(r)
            fds[r["fd"]] = r["sid"]
            sids.add(r["sid"])
        elif t == "dup":
            if r["sid"] not in sids or r["nfd"] in fds:
                bad.append(r)
            fds[r["nfd"]] = r["sid"]
        elif t in ("close", "conn", "shut"):
            if r["sid"] not in sids or fds.get(r["fd"]) != r["sid"]:
                bad.append(r)
            if t == "close":
                fds.pop(r["fd"], None)
    return bad


def main():
    with open(sys.argv[1]) as f:
        records = [json.loads(line) for line in f if line.strip()]
    if "--reverse" in sys.argv[2:]:
        records.reverse()
    bad = check(records)
    for r in bad[:5]:
        print(json.dumps(r))
    print(f"{len(bad)} of {len(records)} records out of order")
    return 1 if bad else 0


sys.exit(main())
