#!/usr/bin/env python3
"""gen-trace.py - writes a synthetic connleak trace (docs/trace-format.md) of
N connections, one in LEAK_EVERY left open, from 4 call sites to 50 peers,
with the same records the preload writes for a churning client: open, conn,
close per connection, a live record per leaked socket, and the end record.
With --binary, open, conn and close are format 3's binary records, as the
preload writes them (common/tracebin.h; an encoder of its own here, from
docs/trace-format.md): the report must be the same either way.

    bench/gen-trace.py [--binary] N OUT.jsonl [LEAK_EVERY]   (default 10)
"""
import sys

# docs/trace-format.md, "Binary records": record codes, tag flags, mask
# bits of each record's fields, words
OPEN, CONN, CLOSE = 1, 2, 3
ANCHOR, SAME = 0x40, 0x20
OPEN_FAM, OPEN_TYPE, OPEN_ROLE, OPEN_STK = 0, 1, 2, 3
CONN_PEER = 0
CLOSE_HOW, CLOSE_LAST, CLOSE_IN, CLOSE_OUT = 0, 1, 2, 3
W_INET, W_STREAM, W_SOCKET, W_CLOSE = 1, 6, 10, 16
ANCHOR_EVERY = 64


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
    """Binary records: time and socket relative to the previous frame's,
    an anchor every 64 frames (and first)."""

    def __init__(self):
        self.ts = self.sid = self.fd = None
        self.frames = ANCHOR_EVERY

    def frame(self, code, ts, sid, fd, fields):
        """fields: (bit, value bytes) in bit order."""
        anchor = self.frames >= ANCHOR_EVERY
        if anchor:
            self.frames, self.sid = 0, 0
            self.fd = None
        self.frames += 1
        same = not anchor and (sid, fd) == (self.sid, self.fd)
        body = varint(ts if anchor else zigzag(ts - self.ts))
        body += varint(sum(1 << b for b, _ in fields))
        if not same:
            body += varint(zigzag(sid - self.sid)) + varint(zigzag(fd))
        self.ts, self.sid, self.fd = ts, sid, fd
        for _, v in fields:
            body += v
        tag = 0x80 | (ANCHOR if anchor else 0) | (SAME if same else 0) | code
        return bytes([tag]) + varint(len(body)) + body + b"\n"


def word(w):
    return varint(w << 1 | 1)


def inet(text):
    ip, port = text.split(":")
    return varint(2) + bytes(int(x) for x in ip.split(".")) + int(port).to_bytes(2, "big")


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
            % (3 if binary else 1))
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
            w.write(fr.frame(OPEN, ts, sid, fd, [(OPEN_FAM, word(W_INET)),
                                                 (OPEN_TYPE, word(W_STREAM)),
                                                 (OPEN_ROLE, word(W_SOCKET)),
                                                 (OPEN_STK, varint(stk))]))
            w.write(fr.frame(CONN, ts + 10, sid, fd, [(CONN_PEER, inet(peer))]))
        else:
            w.write(b'{"t":"open","ts":%d,"sid":%d,"fd":%d,"fam":"inet","type":"stream",'
                    b'"role":"socket","stk":%d}\n' % (ts, sid, fd, stk))
            w.write(b'{"t":"conn","ts":%d,"sid":%d,"fd":%d,"peer":"%s"}\n'
                    % (ts + 10, sid, fd, peer.encode()))
        if sid % leak_every == 0:
            live.append((sid, fd, stk, peer, ts))
        elif binary:
            w.write(fr.frame(CLOSE, ts + 50, sid, fd, [(CLOSE_HOW, word(W_CLOSE)),
                                                       (CLOSE_LAST, b"\x01"),
                                                       (CLOSE_IN, varint(512)),
                                                       (CLOSE_OUT, varint(78))]))
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
