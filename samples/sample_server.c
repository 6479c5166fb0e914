/* sample_server.c - a tiny in-process HTTP/1.1 server for the samples.
 *
 * One thread accepts on 127.0.0.1:0; each accepted connection gets a detached
 * thread that reads requests, answers GET with a small fixed body and a
 * Content-Length, keeps the connection alive unless the request says
 * "Connection: close" (or is HTTP/1.0 without keep-alive), and closes the
 * accepted socket after such a response, at EOF or on any error. So a client
 * that reads to EOF knows the server side is already closed: the samples'
 * reports then show only the client's own sockets. */
#define _GNU_SOURCE
#include "sample_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define REQ_MAX 4096

static int listen_fd = -1;

/* Sends all of buf; false on error (the peer went away). */
static bool send_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        buf += n;
        len -= (size_t)n;
    }
    return true;
}

/* True when the header block (up to and excluding the blank line) has a
 * Connection header whose value contains `token`, ignoring case. */
static bool has_connection_token(const char *hdrs, const char *token)
{
    const char *line = hdrs;
    while (line && *line) {
        const char *eol = strstr(line, "\r\n");
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        if (len > 11 && strncasecmp(line, "Connection:", 11) == 0) {
            char value[256];
            size_t vlen = len - 11 < sizeof(value) - 1 ? len - 11 : sizeof(value) - 1;
            memcpy(value, line + 11, vlen);
            value[vlen] = '\0';
            if (strcasestr(value, token)) return true;
        }
        line = eol ? eol + 2 : NULL;
    }
    return false;
}

/* Answers one request whose header block is `req` (NUL-terminated, without
 * the final blank line). Returns true to keep the connection open. */
static bool answer(int fd, char *req)
{
    bool is_get = strncmp(req, "GET ", 4) == 0;
    char *eol = strstr(req, "\r\n");
    bool http10 = eol && eol - req >= 8 && strncmp(eol - 8, "HTTP/1.0", 8) == 0;
    bool keep =
        http10 ? has_connection_token(req, "keep-alive") : !has_connection_token(req, "close");
    const char *status = is_get ? "200 OK" : "405 Method Not Allowed";
    const char *body = is_get ? SAMPLE_SERVER_BODY : "only GET\n";
    char head[256];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
                     "Connection: %s\r\n\r\n",
                     status, strlen(body), keep ? "keep-alive" : "close");
    if (!send_all(fd, head, (size_t)n) || !send_all(fd, body, strlen(body))) return false;
    return keep && is_get;
}

/* Serves one accepted connection until it should close, then closes it. */
static void *serve_connection(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[REQ_MAX + 1];
    size_t len = 0;
    bool open = true;

    while (open) {
        char *end;
        buf[len] = '\0';
        while (open && (end = strstr(buf, "\r\n\r\n")) != NULL) {
            size_t used = (size_t)(end - buf) + 4;
            end[2] = '\0'; /* keep the last header's CRLF for the parser */
            open = answer(fd, buf);
            memmove(buf, buf + used, len - used);
            len -= used;
            buf[len] = '\0';
        }
        if (!open) break;
        if (len == REQ_MAX) break; /* request head too large: give up */
        ssize_t n = recv(fd, buf + len, REQ_MAX - len, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break; /* EOF or error */
        len += (size_t)n;
    }
    close(fd);
    return NULL;
}

static void *accept_loop(void *arg)
{
    (void)arg;
    for (;;) {
        int fd = accept(listen_fd, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            return NULL;
        }
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&t, &attr, serve_connection, (void *)(intptr_t)fd) != 0)
            serve_connection((void *)(intptr_t)fd);
        pthread_attr_destroy(&attr);
    }
}

int sample_server_start(void)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    socklen_t alen = sizeof(addr);
    sigset_t all, old;
    pthread_t t;
    int err;

    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0); /* connleak-test: listener-site */
    if (listen_fd < 0) return -1;
    if (bind(listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(listen_fd, 128) < 0 ||
        getsockname(listen_fd, (struct sockaddr *)&addr, &alen) < 0) {
        err = errno;
        close(listen_fd);
        errno = err;
        return -1;
    }
    /* The server threads take no signals: they stay with the program. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    err = pthread_create(&t, NULL, accept_loop, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err != 0) {
        close(listen_fd);
        errno = err;
        return -1;
    }
    pthread_detach(t);
    return ntohs(addr.sin_port);
}
