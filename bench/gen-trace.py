#!/usr/bin/env python3
"""gen-trace.py - writes a synthetic connleak trace (docs/trace-format.md) of
N connections, one in LEAK_EVERY left open, from 4 call sites to 50 peers,
with the same records the preload writes for a churning client: open, conn,
close per connection, a live record per leaked socket, and the end record.
With --binary, open, conn and close are format 2's binary records, as the
preload writes them (common/tracebin.h; an encoder of its own here, from
docs/trace-format.md): the report must be the same either way.

    bench/gen-trace.py [--binary] N OUT.jsonl [LEAK_EVERY]   (default 10)
"""
import sys

# docs/trace-format.md, "Binary records": record, field and word codes
OPEN, CONN, CLOSE = 1, 2, 3
F_TS, F_TSD, F_SID, F_FD, F_FAM, F_TYPE, F_ROLE, F_STK = 1, 2, 3, 4, 5, 6, 7, 8
F_PEER, F_HOW, F_LAST, F_IN, F_OUT = 10, 19, 20, 21, 22
W_INET, W_STREAM, W_SOCKET, W_CLOSE = 1, 6, 10, 16


def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def zigzag(v):
    return (v << 1) ^ (v >> 63)


class Frames:
    """Binary records, each time a delta from the previous one's."""

    def __init__(self):
        self.last = None

    def frame(self, code, ts, fields):
        if self.last is None:
            body = bytes([F_TS]) + varint(ts)
        else:
            body = bytes([F_TSD]) + varint(zigzag(ts - self.last))
        self.last = ts
        for f, v in fields:
            body += bytes([f]) + v
        return bytes([0x80 | code]) + varint(len(body)) + body + b"\n"


def word(w):
    return varint(w << 1 | 1)


def inet(text):
    ip, port = text.split(":")
    return varint(2) + bytes(int(x) for x in ip.split(".")) + varint(int(port))


def main():
    args = sys.argv[1:]
    binary = args[:1] == ["--binary"]
    args = args[1:] if binary else args
    n = int(args[0])
    out = args[1]
    leak_every = int(args[2]) if len(args) > 2 else 10
    w = open(out, "wb", buffering=1 << 20)
    fr = Frames()
    w.write(b'{"t":"hdr","format":"connleak-trace","version":%d,"tool":"connleak gen",'
            b'"pid":4242,"ppid":1,"exe":"/bin/bench","argv":["bench"],"start_mono_ns":1,'
            b'"start_unix_ns":1,"clock":"monotonic","depth":32,"flush_ms":200,"forked":false}\n'
            % (2 if binary else 1))
    for s in range(1, 5):
        w.write(b'{"t":"stk","id":%d,"pc":["0x%x","0x401000"]}\n' % (s * 1000, 0x400000 + s))
    live = []
    ts = 1000
    for sid in range(1, n + 1):
        stk = 1000 * (sid % 4 + 1)
        fd = 3 + sid % 500
        peer = "10.0.%d.1:443" % (sid % 50)
        ts += 100
        if binary:
            ids = [(F_SID, varint(sid)), (F_FD, varint(zigzag(fd)))]
            w.write(fr.frame(OPEN, ts, ids + [(F_FAM, word(W_INET)), (F_TYPE, word(W_STREAM)),
                                             (F_ROLE, word(W_SOCKET)), (F_STK, varint(stk))]))
            w.write(fr.frame(CONN, ts + 10, ids + [(F_PEER, inet(peer))]))
        else:
            w.write(b'{"t":"open","ts":%d,"sid":%d,"fd":%d,"fam":"inet","type":"stream",'
                    b'"role":"socket","stk":%d}\n' % (ts, sid, fd, stk))
            w.write(b'{"t":"conn","ts":%d,"sid":%d,"fd":%d,"peer":"%s"}\n'
                    % (ts + 10, sid, fd, peer.encode()))
        if sid % leak_every == 0:
            live.append((sid, fd, stk, peer, ts))
        elif binary:
            w.write(fr.frame(CLOSE, ts + 50, ids + [(F_HOW, word(W_CLOSE)), (F_LAST, b"\x01"),
                                                   (F_IN, varint(512)), (F_OUT, varint(78))]))
        else:
            w.write(b'{"t":"close","ts":%d,"sid":%d,"fd":%d,"how":"close","last":true,'
                    b'"in":512,"out":78}\n' % (ts + 50, sid, fd))
    for sid, fd, stk, peer, opened in live:
        w.write(b'{"t":"live","ts":%d,"sid":%d,"fds":[%d],"fam":"inet","type":"stream",'
                b'"role":"client","peer":"%s","local":"10.9.9.9:40000","stk":%d,"opened":%d,'
                b'"last_io":%d,"in":512,"out":78,"inherited":false}\n'
                % (ts, sid, fd, peer.encode(), stk, opened, opened + 20))
    w.write(b'{"t":"end","ts":%d,"why":"exit","opened":%d,"closed":%d,"live":%d,'
            b'"badclose_dropped":0,"lost":0}\n' % (ts + 1, n, n - len(live), len(live)))
    w.close()


if __name__ == "__main__":
    main()
