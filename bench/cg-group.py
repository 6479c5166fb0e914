#!/usr/bin/env python3
"""cg-group.py - per-unit instruction costs from two callgrind profiles.

Usage: cg-group.py SMALL.self LARGE.self UNITS
SMALL/LARGE are `callgrind_annotate --auto=no --inclusive=no` outputs of
the same run at two sizes; UNITS is the difference in connections (or
requests) between them. Prints the instructions each extra unit costs, by
component (what is fixed per run, such as start-up, cancels out)."""
import collections
import re
import sys


def component(name):
    if 'libunwind' in name:
        return 'libunwind (stack capture)'
    if 'http1' in name or 'httptrack' in name:
        return 'HTTP/1 tracker (common/http1*.c, preload/httptrack.c)'
    if 'jsonline' in name:
        return 'JSON formatting (common/jsonline.*)'
    if 'churn_client' in name:
        return 'the client itself'
    m = re.search(r'(?:^|/)(preload|common)/([\w.]+):', name)
    if m:
        return 'connleak: %s/%s' % (m.group(1), m.group(2))
    return 'libc, ld.so: ' + re.sub(r'\s*\[.*', '', name).split(':')[-1][:40]


def load(path):
    costs = collections.Counter()
    for line in open(path):
        m = re.match(r'\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)', line)
        if m and 'PROGRAM TOTALS' not in line:
            costs[component(m.group(2))] += int(m.group(1).replace(',', ''))
    return costs


def main():
    small, large, units = load(sys.argv[1]), load(sys.argv[2]), float(sys.argv[3])
    rows = sorted(((large[k] - small[k]) / units, k) for k in set(small) | set(large))
    rows.reverse()
    for per, k in rows:
        if abs(per) >= 20:
            print('%8.0f  %s' % (per, k))
    print('%8.0f  total' % sum(r[0] for r in rows))


main()
