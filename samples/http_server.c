/* http_server.c - a standalone loopback HTTP/1.1 server for tests and bench.
 *
 *   http_server [--port N] [--body BYTES]
 *
 * Listens on 127.0.0.1:N (N = 0, the default, lets the kernel choose), prints
 * the port and a newline on stdout once listening, and serves GET with a body
 * of BYTES bytes (default 64) to any number of concurrent connections, with
 * keep-alive, from one poll() loop: no thread per connection, so the
 * benchmark measures the client and not the server's scheduling. SIGTERM or
 * SIGINT make it close every connection and the listener and exit with 0, so
 * a run under connleak is clean. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define IN_MAX 8192

struct conn {
    char in[IN_MAX + 1];
    size_t in_len;
    const char *out; /* response being sent (one of the prebuilt ones) */
    size_t out_len, out_off;
    bool close_after; /* close once out is sent */
};

/* Prebuilt responses: 200 keep-alive, 200 close, 405 close. */
static char *resp_keep, *resp_close, *resp_bad;
static size_t resp_keep_len, resp_close_len, resp_bad_len;

static struct pollfd *pfds; /* pfds[0] is the listener */
static struct conn **conns; /* conns[i] belongs to pfds[i] */
static size_t nfds, cap;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void usage(void)
{
    fprintf(stderr, "usage: http_server [--port N] [--body BYTES]\n");
    exit(2);
}

static char *build_response(const char *status, const char *conn_hdr, const char *body,
                            size_t body_len, size_t *len)
{
    char head[256];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
                     "Connection: %s\r\n\r\n",
                     status, body_len, conn_hdr);
    char *r = malloc((size_t)n + body_len);
    if (!r) {
        perror("http_server: malloc");
        exit(1);
    }
    memcpy(r, head, (size_t)n);
    memcpy(r + n, body, body_len);
    *len = (size_t)n + body_len;
    return r;
}

static void build_responses(size_t body_len)
{
    char *body = malloc(body_len + 1);
    if (!body) {
        perror("http_server: malloc");
        exit(1);
    }
    for (size_t i = 0; i < body_len; i++) body[i] = (char)('a' + i % 26);
    if (body_len > 0) body[body_len - 1] = '\n';
    resp_keep = build_response("200 OK", "keep-alive", body, body_len, &resp_keep_len);
    resp_close = build_response("200 OK", "close", body, body_len, &resp_close_len);
    resp_bad = build_response("405 Method Not Allowed", "close", "only GET\n", 9, &resp_bad_len);
    free(body);
}

static int open_listener(int port)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    socklen_t alen = sizeof(addr);
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 1024) < 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &alen) < 0) {
        perror("http_server: listen");
        exit(1);
    }
    pfds = calloc(16, sizeof(*pfds));
    conns = calloc(16, sizeof(*conns));
    if (!pfds || !conns) exit(1);
    cap = 16;
    pfds[0] = (struct pollfd){.fd = fd, .events = POLLIN};
    nfds = 1;
    return ntohs(addr.sin_port);
}

static void add_conn(int fd)
{
    if (nfds == cap) {
        struct pollfd *np = realloc(pfds, 2 * cap * sizeof(*pfds));
        if (np) pfds = np;
        struct conn **nc = realloc(conns, 2 * cap * sizeof(*conns));
        if (nc) conns = nc;
        if (!np || !nc) {
            close(fd);
            return;
        }
        cap *= 2;
    }
    struct conn *c = calloc(1, sizeof(*c));
    if (!c) {
        close(fd);
        return;
    }
    pfds[nfds] = (struct pollfd){.fd = fd, .events = POLLIN};
    conns[nfds++] = c;
}

/* Closes connection i; the last one takes its slot. */
static void drop_conn(size_t i)
{
    close(pfds[i].fd);
    free(conns[i]);
    nfds--;
    pfds[i] = pfds[nfds];
    conns[i] = conns[nfds];
}

static bool has_connection_token(const char *hdrs, const char *token)
{
    for (const char *line = hdrs; line && *line;) {
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

/* Takes the next complete request out of c->in and queues its response.
 * Returns false when no complete request is buffered. */
static bool next_request(struct conn *c)
{
    c->in[c->in_len] = '\0';
    char *end = strstr(c->in, "\r\n\r\n");
    if (!end) return false;
    size_t used = (size_t)(end - c->in) + 4;
    end[2] = '\0';
    char *eol = strstr(c->in, "\r\n");
    bool http10 = eol && eol - c->in >= 8 && strncmp(eol - 8, "HTTP/1.0", 8) == 0;
    bool keep =
        http10 ? has_connection_token(c->in, "keep-alive") : !has_connection_token(c->in, "close");
    if (strncmp(c->in, "GET ", 4) != 0) {
        c->out = resp_bad;
        c->out_len = resp_bad_len;
        c->close_after = true;
    } else {
        c->out = keep ? resp_keep : resp_close;
        c->out_len = keep ? resp_keep_len : resp_close_len;
        c->close_after = !keep;
    }
    c->out_off = 0;
    memmove(c->in, c->in + used, c->in_len - used);
    c->in_len -= used;
    return true;
}

/* Moves connection i forward. Returns false when it was dropped. */
static bool serve(size_t i, short revents)
{
    struct conn *c = conns[i];
    int fd = pfds[i].fd;

    if (!c->out && (revents & (POLLIN | POLLHUP | POLLERR))) {
        ssize_t n = recv(fd, c->in + c->in_len, IN_MAX - c->in_len, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            drop_conn(i);
            return false;
        }
        if (n > 0) c->in_len += (size_t)n;
    } else if (revents & (POLLHUP | POLLERR)) {
        drop_conn(i);
        return false;
    }
    for (;;) {
        if (!c->out && !next_request(c)) {
            if (c->in_len == IN_MAX) { /* request head too large */
                drop_conn(i);
                return false;
            }
            break;
        }
        while (c->out_off < c->out_len) {
            ssize_t n = send(fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
            if (n <= 0) {
                drop_conn(i);
                return false;
            }
            c->out_off += (size_t)n;
        }
        if (c->out_off < c->out_len) break; /* wait for POLLOUT */
        c->out = NULL;
        if (c->close_after) {
            drop_conn(i);
            return false;
        }
    }
    pfds[i].events = c->out ? POLLOUT : POLLIN;
    return true;
}

static void accept_all(void)
{
    for (int k = 0; k < 64; k++) {
        int fd = accept4(pfds[0].fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return; /* EAGAIN, or a transient error: poll again */
        add_conn(fd);
    }
}

int main(int argc, char **argv)
{
    long port = 0, body = 64;
    sigset_t block, orig;
    struct sigaction sa = {.sa_handler = on_signal};

    for (int i = 1; i < argc; i++) {
        char *end;
        if (i + 1 >= argc) usage();
        if (strcmp(argv[i], "--port") == 0) {
            port = strtol(argv[++i], &end, 10);
            if (*end || port < 0 || port > 65535) usage();
        } else if (strcmp(argv[i], "--body") == 0) {
            body = strtol(argv[++i], &end, 10);
            if (*end || body < 0 || body > (1L << 26)) usage();
        } else {
            usage();
        }
    }
    build_responses((size_t)body);
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &orig);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    printf("%d\n", open_listener((int)port));
    fflush(stdout);

    while (!stop) {
        /* Signals are delivered only inside ppoll: no lost wake-up. */
        if (ppoll(pfds, nfds, NULL, &orig) < 0) {
            if (errno == EINTR) continue;
            perror("http_server: ppoll");
            return 1;
        }
        if (pfds[0].revents & POLLIN) accept_all();
        for (size_t i = nfds; i-- > 1;) {
            if (pfds[i].revents && serve(i, pfds[i].revents)) pfds[i].revents = 0;
        }
    }
    while (nfds > 1) drop_conn(nfds - 1);
    close(pfds[0].fd);
    free(pfds);
    free(conns);
    free(resp_keep);
    free(resp_close);
    free(resp_bad);
    return 0;
}
