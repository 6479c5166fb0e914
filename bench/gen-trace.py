#!/usr/bin/env python3
"""gen-trace.py - writes a synthetic connleak trace (docs/trace-format.md) of
N connections, one in LEAK_EVERY left open, from 4 call sites to 50 peers,
with the same records the preload writes for a churning client: open, conn,
close per connection, a live record per leaked socket, and the end record.

    bench/gen-trace.py N OUT.jsonl [LEAK_EVERY]   (default 10)
"""
import sys


def main():
    n = int(sys.argv[1])
    out = sys.argv[2]
    leak_every = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    w = open(out, "w", buffering=1 << 20)
    w.write('{"t":"hdr","format":"connleak-trace","version":1,"tool":"connleak gen",'
            '"pid":4242,"ppid":1,"exe":"/bin/bench","argv":["bench"],"start_mono_ns":1,'
            '"start_unix_ns":1,"clock":"monotonic","depth":32,"flush_ms":200,"forked":false}\n')
    for s in range(1, 5):
        w.write('{"t":"stk","id":%d,"pc":["0x%x","0x401000"]}\n' % (s * 1000, 0x400000 + s))
    live = []
    ts = 1000
    for sid in range(1, n + 1):
        stk = 1000 * (sid % 4 + 1)
        fd = 3 + sid % 500
        peer = "10.0.%d.1:443" % (sid % 50)
        ts += 100
        w.write('{"t":"open","ts":%d,"sid":%d,"fd":%d,"fam":"inet","type":"stream",'
                '"role":"socket","stk":%d}\n' % (ts, sid, fd, stk))
        w.write('{"t":"conn","ts":%d,"sid":%d,"fd":%d,"peer":"%s"}\n' % (ts + 10, sid, fd, peer))
        if sid % leak_every == 0:
            live.append((sid, fd, stk, peer, ts))
        else:
            w.write('{"t":"close","ts":%d,"sid":%d,"fd":%d,"how":"close","last":true,'
                    '"in":512,"out":78}\n' % (ts + 50, sid, fd))
    for sid, fd, stk, peer, opened in live:
        w.write('{"t":"live","ts":%d,"sid":%d,"fds":[%d],"fam":"inet","type":"stream",'
                '"role":"client","peer":"%s","local":"10.9.9.9:40000","stk":%d,"opened":%d,'
                '"last_io":%d,"in":512,"out":78,"inherited":false}\n'
                % (ts, sid, fd, peer, stk, opened, opened + 20))
    w.write('{"t":"end","ts":%d,"why":"exit","opened":%d,"closed":%d,"live":%d,'
            '"badclose_dropped":0,"lost":0}\n' % (ts + 1, n, n - len(live), len(live)))
    w.close()


if __name__ == "__main__":
    main()
