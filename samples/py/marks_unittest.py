"""marks_unittest.py - per-test attribution from Python: each test names
itself through ctypes (connleak_mark, exported by libconnleak.so when it is
preloaded; a no-op otherwise), as a pytest fixture would (README, "Which
test leaked?").

    python3 marks_unittest.py [--clean]

test_leaks keeps its connection open (unless --clean); test_closes opens
and closes one; test_no_socket opens none. Expected report: one
orphaned-socket at the create_connection line of test_leaks, in the test
"marks_unittest/test_leaks"."""

import ctypes
import socket
import sys
import unittest

CLEAN = "--clean" in sys.argv
KEPT = []  # what test_leaks forgets to close


def connleak_mark(name):
    """connleak_mark(name) when preloaded; None: between tests."""
    try:
        mark = ctypes.CDLL(None).connleak_mark
    except AttributeError:  # not under connleak
        return
    mark.argtypes = [ctypes.c_char_p]
    mark(name.encode() if name else None)


class MarksTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.listener = socket.socket()
        cls.listener.bind(("127.0.0.1", 0))
        cls.listener.listen(8)

    @classmethod
    def tearDownClass(cls):
        cls.listener.close()

    def setUp(self):
        connleak_mark("marks_unittest/" + self._testMethodName)

    def tearDown(self):
        connleak_mark(None)

    def test_closes(self):
        s = socket.create_connection(self.listener.getsockname(), timeout=5)
        s.close()

    def test_leaks(self):
        s = socket.create_connection(self.listener.getsockname(), timeout=5)  # connleak-test: leak-site
        if CLEAN:
            s.close()
        else:
            KEPT.append(s)

    def test_no_socket(self):
        self.assertEqual(int("42"), 42)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=0)
