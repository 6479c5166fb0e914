/* http_wire.c - the blocking HTTP/1.1 client of the HTTP samples (see
 * http_wire.h). Plain read()/write() on the socket: exactly the calls that
 * connleak's hooks follow. */
#define _GNU_SOURCE
#include "http_wire.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define HEAD_MAX 4096

int wire_connect(int fd, int port)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return connect(fd, (struct sockaddr *)&addr, sizeof(addr));
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

int wire_send_get(int fd, const char *path, bool keep_alive)
{
    struct sockaddr_in peer;
    socklen_t plen = sizeof(peer);
    char req[512];

    if (getpeername(fd, (struct sockaddr *)&peer, &plen) < 0) return -1;
    int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s\r\n", path,
                     ntohs(peer.sin_port), keep_alive ? "" : "Connection: close\r\n");
    if (n < 0 || (size_t)n >= sizeof(req)) return -1;
    return write_all(fd, req, (size_t)n);
}

/* Reads one line (up to and without its CRLF) one byte at a time. */
static int read_line(int fd, char *line, size_t cap)
{
    size_t len = 0;
    for (;;) {
        char c;
        ssize_t n = read(fd, &c, 1);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        if (c == '\n') break;
        if (len + 1 < cap) line[len++] = c;
    }
    if (len > 0 && line[len - 1] == '\r') len--;
    line[len] = '\0';
    return 0;
}

static void parse_header(const char *line, struct wire_resp *r)
{
    const char *colon = strchr(line, ':');
    if (!colon) return;
    const char *value = colon + 1 + strspn(colon + 1, " \t");
    size_t name_len = (size_t)(colon - line);
    if (name_len == 14 && strncasecmp(line, "Content-Length", 14) == 0)
        r->length = strtol(value, NULL, 10);
    else if (name_len == 17 && strncasecmp(line, "Transfer-Encoding", 17) == 0)
        r->chunked = strcasestr(value, "chunked") != NULL;
    else if (name_len == 10 && strncasecmp(line, "Connection", 10) == 0)
        r->keep_alive = strcasestr(value, "close") == NULL;
}

int wire_read_head(int fd, struct wire_resp *r)
{
    char line[HEAD_MAX];
    int minor;

    *r = (struct wire_resp){.length = -1};
    if (read_line(fd, line, sizeof(line)) < 0) return -1;
    if (sscanf(line, "HTTP/1.%d %d", &minor, &r->status) != 2) return -1;
    r->keep_alive = minor >= 1;
    for (;;) {
        if (read_line(fd, line, sizeof(line)) < 0) return -1;
        if (line[0] == '\0') return 0;
        parse_header(line, r);
    }
}

/* Reads len bytes (or to EOF when len < 0). Returns the bytes read, or -1
 * when the connection ended before len. */
static long read_bytes(int fd, long len)
{
    static char buf[65536];
    long got = 0;
    while (len < 0 || got < len) {
        size_t want = len < 0 || len - got > (long)sizeof(buf) ? sizeof(buf) : (size_t)(len - got);
        ssize_t n = read(fd, buf, want);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        if (n == 0) return len < 0 ? got : -1;
        got += n;
    }
    return got;
}

static long read_chunked(int fd)
{
    char line[256];
    long total = 0;
    for (;;) {
        if (read_line(fd, line, sizeof(line)) < 0) return -1;
        long size = strtol(line, NULL, 16); /* chunk extensions end the number */
        if (size < 0) return -1;
        if (size == 0) break;
        if (read_bytes(fd, size) != size || read_line(fd, line, sizeof(line)) < 0) return -1;
        total += size;
    }
    do { /* trailers, then the empty line */
        if (read_line(fd, line, sizeof(line)) < 0) return -1;
    } while (line[0] != '\0');
    return total;
}

long wire_read_body(int fd, const struct wire_resp *r)
{
    if (r->status / 100 == 1 || r->status == 204 || r->status == 304) return 0;
    if (r->chunked) return read_chunked(fd);
    return read_bytes(fd, r->length);
}

int wire_parse_port(const char *s)
{
    char *end;
    long port = strtol(s, &end, 10);
    return *s && !*end && port > 0 && port <= 65535 ? (int)port : -1;
}
