#!/usr/bin/env python3
"""html_check.py - checks of tests/e2e/html_report.sh on what Chromium made
of an HTML report (Python's standard library only):

  html_check.py dom DOM REPORT.json   the DOM (chromium --dump-dom) holds the
      JSON report's status, every finding (kind, count, top frame, every
      frame's function of its stack), every note; and no element the report
      does not write (a <script>, an <img>: markup planted in a trace).
  html_check.py png SHOT.png [COLOR]  the screenshot is not blank: enough
      pixels differ from white, in enough colours; COLOR (#rrggbb): some
      pixels are (nearly) that colour.

Prints what differs and exits 1; exits 0 when all holds."""
import json
import struct
import sys
import zlib
from html.parser import HTMLParser

ALLOWED = {"html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3",
           "p", "code", "table", "tbody", "tr", "th", "td", "section", "article", "span",
           "details", "summary", "ol", "ul", "li", "i", "pre", "div", "svg", "rect", "text",
           "line", "polyline", "circle", "footer"}


class Dom(HTMLParser):
    """The report's parts, from the class names render_html.c writes."""

    def __init__(self):
        super().__init__()
        self.stack = []  # (tag, classes) of the open elements
        self.findings = []
        self.notes = []
        self.status = None
        self.tags = set()
        self.charts = []  # (pid, [series names])

    def inside(self, cls):
        return any(cls in c for _, c in self.stack)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = set((a.get("class") or "").split())
        self.tags.add(tag)
        if tag == "article" and "finding" in cls:
            self.findings.append({"kind": a.get("data-kind"), "count": int(a.get("data-count")),
                                  "site": "", "frames": [], "top": None, "text": ""})
        if tag == "p" and "verdict" in cls:
            self.status = a.get("data-status")
        if tag == "svg" and "chart" in cls:
            self.charts.append((a.get("data-pid"), []))
        if tag == "polyline" and self.charts:
            self.charts[-1][1].append(a.get("data-name"))
        if tag == "li" and "note" in cls:
            self.notes.append("")
        if tag == "li" and "frame" in cls and self.findings:
            self.findings[-1]["frames"].append({"fn": "", "top": "top" in cls})
        if tag not in ("meta", "rect", "line", "polyline", "circle"):  # void or self-closed
            self.stack.append((tag, cls))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if not self.stack:
            return
        tag, cls = self.stack[-1]
        if self.findings and self.inside("finding"):
            f = self.findings[-1]
            f["text"] += data
            if "site" in cls:
                f["site"] += data
            if "fn" in cls and f["frames"]:
                f["frames"][-1]["fn"] += data
        if "note" in cls:
            self.notes[-1] += data


def parse(path):
    d = Dom()
    with open(path, encoding="utf-8") as f:
        d.feed(f.read())
    return d


def frame_name(fr):
    return fr["function"] if fr["function"] else fr["pc"]


def check_dom(dom_path, json_path):
    d = parse(dom_path)
    with open(json_path, encoding="utf-8") as f:
        rep = json.load(f)
    errs = []
    if d.status != rep["status"]:
        errs.append(f"verdict status {d.status!r}, JSON {rep['status']!r}")
    extra = d.tags - ALLOWED
    if extra:
        errs.append(f"elements the report does not write: {sorted(extra)}")
    if len(d.findings) != len(rep["findings"]):
        errs.append(f"{len(d.findings)} findings in the DOM, {len(rep['findings'])} in JSON")
    for i, (h, j) in enumerate(zip(d.findings, rep["findings"])):
        if (h["kind"], h["count"]) != (j["kind"], j["count"]):
            errs.append(f"finding {i}: {h['kind']} x{h['count']}, JSON {j['kind']} x{j['count']}")
        top = j.get("top_frame")
        if top and top.get("function") and not h["site"].startswith(top["function"]):
            errs.append(f"finding {i}: site {h['site']!r}, JSON top frame {top['function']!r}")
        want = [frame_name(fr) for fr in j.get("stack", [])]
        got = [fr["fn"] for fr in h["frames"]][: len(want)]
        if got != want:
            errs.append(f"finding {i}: stack {got}, JSON {want}")
        tops = [k for k, fr in enumerate(h["frames"][: len(want)]) if fr["top"]]
        if top and tops != [top["index"]]:
            errs.append(f"finding {i}: top frame marked at {tops}, JSON {top['index']}")
        for p in j.get("peers", []):
            if p["peer"] not in h["text"]:
                errs.append(f"finding {i}: peer {p['peer']} not shown")
    if sorted(d.notes) != sorted(rep["notes"]):
        errs.append(f"notes {d.notes}, JSON {rep['notes']}")
    pids = {str(p["pid"]) for p in rep["processes"]}
    for pid, series in d.charts:
        if pid not in pids:
            errs.append(f"a chart of pid {pid}, not a process of the report")
    print(json.dumps({"findings": len(d.findings), "notes": len(d.notes),
                      "charts": [[p, s] for p, s in d.charts]}))
    return errs


def png_pixels(path):
    """(width, height, rows of RGB tuples) of an 8-bit RGB or RGBA PNG."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, hdr = 8, b"", None
    while pos < len(data):
        n, typ = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if typ == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif typ == b"IDAT":
            idat += body
    w, h, depth, ctype, _, _, interlace = hdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError(f"PNG depth {depth} colour type {ctype} interlace {interlace}")
    bpp = 3 if ctype == 2 else 4
    raw, stride, prev, rows, i = zlib.decompress(idat), w * bpp, bytearray(w * bpp), [], 0
    for _ in range(h):
        ft, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b, c = prev[x], prev[x - bpp] if x >= bpp else 0
            if ft == 1:
                line[x] = (line[x] + a) & 255
            elif ft == 2:
                line[x] = (line[x] + b) & 255
            elif ft == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif ft == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[x:x + 3]) for x in range(0, stride, bpp)])
        prev = line
    return w, h, rows


def check_png(path, color=None):
    w, h, rows = png_pixels(path)
    total = w * h
    nonwhite = sum(1 for r in rows for px in r if min(px) < 235)
    colours = {px for r in rows[::4] for px in r[::4]}
    errs = []
    frac = nonwhite / total
    print(json.dumps({"size": [w, h], "non_white": round(frac, 4), "colours": len(colours)}))
    if frac < 0.01:
        errs.append(f"the screenshot is blank: {frac:.4f} of its pixels are not white")
    if len(colours) < 16:
        errs.append(f"the screenshot has {len(colours)} colours")
    if color:
        want = tuple(int(color[k:k + 2], 16) for k in (1, 3, 5))
        near = sum(1 for r in rows for px in r if all(abs(px[k] - want[k]) < 24 for k in range(3)))
        if near < 50:
            errs.append(f"only {near} pixels of colour {color}")
    return errs


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "dom":
        errs = check_dom(sys.argv[2], sys.argv[3])
    elif len(sys.argv) >= 3 and sys.argv[1] == "png":
        errs = check_png(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    for e in errs:
        print("html_check:", e, file=sys.stderr)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
