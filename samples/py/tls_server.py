#!/usr/bin/env python3
"""tls_server.py - a small HTTPS/1.1 server on 127.0.0.1 for the TLS tests.

    tls_server.py CERT KEY

Listens on a port the kernel picks, prints it and a newline once listening,
and serves GET with keep-alive, one thread per connection: /big is a 1 MiB
body with Content-Length, any other path 64 bytes. SIGTERM stops it.
"""
import http.server
import signal
import ssl
import sys

BIG = 1 << 20


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        size = BIG if self.path.split("?")[0] == "/big" else 64
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        block = bytes(ord("a") + i % 26 for i in range(65536))
        left = size
        while left > 0:
            n = min(left, len(block))
            self.wfile.write(block[:n])
            left -= n

    def log_message(self, format, *args):
        pass


def main():
    if len(sys.argv) != 3:
        print("usage: tls_server.py CERT KEY", file=sys.stderr)
        sys.exit(2)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[1], sys.argv[2])
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
