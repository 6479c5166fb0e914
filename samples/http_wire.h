/* http_wire.h - a minimal blocking HTTP/1.1 client over raw sockets, shared
 * by the HTTP samples (http_leaky, http_clean).
 *
 * The samples open their sockets themselves, so that the line connleak
 * reports is in the sample's own function; these helpers only connect, write
 * a GET and read a response. Response heads are read one byte at a time:
 * not a byte of the body is consumed before the caller asks for it, so "read
 * only the headers" means exactly that (0 body bytes read). */
#ifndef HTTP_WIRE_H
#define HTTP_WIRE_H

#include <stdbool.h>

struct wire_resp {
    int status;
    long length;     /* Content-Length, -1 when none */
    bool chunked;    /* Transfer-Encoding: chunked */
    bool keep_alive; /* the connection may carry another request */
};

/* Connects fd to 127.0.0.1:port. Returns 0, or -1 with errno set. */
int wire_connect(int fd, int port);

/* Writes "GET path HTTP/1.1" with Host (the peer's address) and, unless
 * keep_alive, "Connection: close". Returns 0, or -1. */
int wire_send_get(int fd, const char *path, bool keep_alive);

/* Reads a response's status line and headers, and no byte more. Returns 0,
 * or -1 (connection closed, or not an HTTP/1.x response). */
int wire_read_head(int fd, struct wire_resp *r);

/* Reads the body of the response whose head was just read, to its end
 * (Content-Length, chunked, or EOF). Returns the body bytes, or -1. */
long wire_read_body(int fd, const struct wire_resp *r);

/* Parses a decimal port in 1..65535. Returns it, or -1. */
int wire_parse_port(const char *s);

#endif
