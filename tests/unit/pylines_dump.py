#!/usr/bin/env python3
"""pylines_dump.py - ground truth for test_preload_pylines.c.

Prints, for every code object of a few standard modules and of this file
(recursively through co_consts), one line "C FIRSTLINENO LINETABLE_HEX" and
then one "L OFFSET LINE" per instruction, LINE being what CPython's own
co_lines() says (-1 for no line). The C test decodes each table with the
preload's decoder and compares.
"""
import http.client
import json.decoder
import socket
import sys
import types


def weird(x):
    """Constructs whose line tables take the long and negative forms."""
    y = [i
         for i in range(x)
         if i %
         2]
    try:
        z = (x +
             1) / (
            x - x)
    except ZeroDivisionError:
        z = None
    def gen():
        yield from y
    return (y,
            z,
            list(gen()))


def walk(code, out):
    out.append(code)
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            walk(c, out)


def main():
    codes = []
    for mod in (socket, http.client, json.decoder, sys.modules[__name__]):
        with open(mod.__file__) as f:
            walk(compile(f.read(), mod.__file__, "exec"), codes)
    for code in codes:
        print("C", code.co_firstlineno, code.co_linetable.hex() or "-")
        for start, end, line in code.co_lines():
            for off in range(start, end, 2):
                print("L", off, -1 if line is None else line)


if __name__ == "__main__":
    main()
