/* http_server.c - a standalone loopback HTTP/1.1 server for tests and bench.
 *
 *   http_server [--port N] [--body BYTES] [--close] [--idle-ms MS]
 *
 * Listens on 127.0.0.1:N (N = 0, the default, lets the kernel choose), prints
 * the port and a newline on stdout once listening, and serves GET with a body
 * of BYTES bytes (default 64) to any number of concurrent connections, with
 * keep-alive, from one poll() loop: no thread per connection, so the
 * benchmark measures the client and not the server's scheduling. SIGTERM or
 * SIGINT make it close every connection and the listener and exit with 0, so
 * a run under connleak is clean.
 *
 * A few paths (query string ignored) serve the HTTP samples' patterns:
 *   /big      a 1 MiB body with Content-Length (more than loopback socket
 *             buffers hold, so a client that reads only the headers cannot
 *             have the body in its buffers)
 *   /chunked  the same 1 MiB, Transfer-Encoding: chunked (16 KiB chunks)
 *   /hang     the request is read and never answered
 * Every other path gets the --body response. A request with "Connection:
 * close" (or HTTP/1.0 without keep-alive) gets "Connection: close" and the
 * server closes after the response; --close does that for every request.
 * --idle-ms MS closes a connection that had no traffic either way for MS ms
 * (a server's idle timeout: the client's socket then sits in CLOSE_WAIT). */
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
#include <time.h>
#include <unistd.h>

#define IN_MAX    8192
#define BIG_BODY  (1L << 20) /* /big and /chunked */
#define CHUNK_LEN 16384

struct conn {
    char in[IN_MAX + 1];
    size_t in_len;
    const char *out; /* response being sent (one of the prebuilt ones) */
    size_t out_len, out_off;
    bool close_after;  /* close once out is sent */
    bool hung;         /* asked for /hang: never answered, later bytes dropped */
    long long last_ms; /* last traffic either way, for --idle-ms */
};

/* A prebuilt response, in its keep-alive and its close variant. */
struct resp {
    char *keep, *close;
    size_t keep_len, close_len;
};

static struct resp resp_plain, resp_big, resp_chunked;
static char *resp_bad;
static size_t resp_bad_len;
static bool force_close; /* --close */
static long idle_ms;     /* --idle-ms, 0 = never */

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
    fprintf(stderr, "usage: http_server [--port N] [--body BYTES] [--close] [--idle-ms MS]\n");
    exit(2);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p) {
        perror("http_server: malloc");
        exit(1);
    }
    return p;
}

/* framing is "Content-Length: N" or "Transfer-Encoding: chunked". */
static char *build_response(const char *status, const char *framing, const char *conn_hdr,
                            const char *body, size_t body_len, size_t *len)
{
    char head[256];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %s\r\nContent-Type: text/plain\r\n%s\r\nConnection: %s\r\n\r\n",
                     status, framing, conn_hdr);
    char *r = xmalloc((size_t)n + body_len);
    memcpy(r, head, (size_t)n);
    memcpy(r + n, body, body_len);
    *len = (size_t)n + body_len;
    return r;
}

static void build_pair(struct resp *r, const char *framing, const char *body, size_t body_len)
{
    r->keep = build_response("200 OK", framing, "keep-alive", body, body_len, &r->keep_len);
    r->close = build_response("200 OK", framing, "close", body, body_len, &r->close_len);
}

static char *make_body(size_t len)
{
    char *body = xmalloc(len + 1);
    for (size_t i = 0; i < len; i++) body[i] = (char)('a' + i % 26);
    if (len > 0) body[len - 1] = '\n';
    return body;
}

/* body (len bytes) in chunks of CHUNK_LEN, the last chunk and no trailer. */
static char *make_chunked(const char *body, size_t len, size_t *out_len)
{
    char *r = xmalloc(len + (len / CHUNK_LEN + 2) * 16);
    size_t o = 0;
    for (size_t off = 0; off < len; off += CHUNK_LEN) {
        size_t n = len - off < CHUNK_LEN ? len - off : CHUNK_LEN;
        o += (size_t)sprintf(r + o, "%zx\r\n", n);
        memcpy(r + o, body + off, n);
        o += n;
        memcpy(r + o, "\r\n", 2);
        o += 2;
    }
    memcpy(r + o, "0\r\n\r\n", 5);
    *out_len = o + 5;
    return r;
}

static void build_responses(size_t body_len)
{
    char framing[64], *body = make_body(body_len), *big = make_body(BIG_BODY), *chunked;
    size_t chunked_len;

    snprintf(framing, sizeof(framing), "Content-Length: %zu", body_len);
    build_pair(&resp_plain, framing, body, body_len);
    snprintf(framing, sizeof(framing), "Content-Length: %ld", BIG_BODY);
    build_pair(&resp_big, framing, big, BIG_BODY);
    chunked = make_chunked(big, BIG_BODY, &chunked_len);
    build_pair(&resp_chunked, "Transfer-Encoding: chunked", chunked, chunked_len);
    resp_bad = build_response("405 Method Not Allowed", "Content-Length: 9", "close", "only GET\n",
                              9, &resp_bad_len);
    free(body);
    free(big);
    free(chunked);
}

static void free_pair(struct resp *r)
{
    free(r->keep);
    free(r->close);
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
    if (idle_ms) c->last_ms = now_ms();
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

/* The prebuilt response for the request line's target (query ignored). */
static const struct resp *route(const char *line)
{
    const char *path = line + 4; /* after "GET " */
    size_t len = strcspn(path, " ?");
    if (len == 4 && strncmp(path, "/big", 4) == 0) return &resp_big;
    if (len == 8 && strncmp(path, "/chunked", 8) == 0) return &resp_chunked;
    if (len == 5 && strncmp(path, "/hang", 5) == 0) return NULL;
    return &resp_plain;
}

/* Queues the response to one request (its head is c->in, NUL-terminated). */
static void answer(struct conn *c, bool keep)
{
    const struct resp *r;
    if (strncmp(c->in, "GET ", 4) != 0) {
        c->out = resp_bad;
        c->out_len = resp_bad_len;
        c->close_after = true;
    } else if (!(r = route(c->in))) {
        c->hung = true;
    } else {
        keep = keep && !force_close;
        c->out = keep ? r->keep : r->close;
        c->out_len = keep ? r->keep_len : r->close_len;
        c->close_after = !keep;
    }
    c->out_off = 0;
}

/* Takes the next complete request out of c->in and queues its response.
 * Returns false when no complete request is buffered, or it is never
 * answered (/hang). */
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
    answer(c, keep);
    memmove(c->in, c->in + used, c->in_len - used);
    c->in_len -= used;
    return !c->hung;
}

/* Sends what is left of c->out. Returns false when the connection failed. */
static bool send_out(struct conn *c, int fd)
{
    while (c->out_off < c->out_len) {
        ssize_t n = send(fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return true;
        if (n <= 0) return false;
        c->out_off += (size_t)n;
        if (idle_ms) c->last_ms = now_ms();
    }
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
        if (n > 0) {
            c->in_len += (size_t)n;
            if (idle_ms) c->last_ms = now_ms();
        }
        if (c->hung) c->in_len = 0; /* a hung request: nothing more is answered */
    } else if (revents & (POLLHUP | POLLERR)) {
        drop_conn(i);
        return false;
    }
    while (!c->hung) {
        if (!c->out && !next_request(c)) { /* none buffered, or it hangs */
            if (c->in_len == IN_MAX) {     /* request head too large */
                drop_conn(i);
                return false;
            }
            break;
        }
        if (!send_out(c, fd)) {
            drop_conn(i);
            return false;
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

/* --idle-ms: closes the connections without traffic for idle_ms. */
static void drop_idle(void)
{
    long long now = now_ms();
    for (size_t i = nfds; i-- > 1;)
        if (now - conns[i]->last_ms >= idle_ms) drop_conn(i);
}

static void parse_args(int argc, char **argv, long *port, long *body)
{
    for (int i = 1; i < argc; i++) {
        char *end;
        if (strcmp(argv[i], "--close") == 0) {
            force_close = true;
            continue;
        }
        if (i + 1 >= argc) usage();
        if (strcmp(argv[i], "--port") == 0) {
            *port = strtol(argv[++i], &end, 10);
            if (*end || *port < 0 || *port > 65535) usage();
        } else if (strcmp(argv[i], "--body") == 0) {
            *body = strtol(argv[++i], &end, 10);
            if (*end || *body < 0 || *body > (1L << 26)) usage();
        } else if (strcmp(argv[i], "--idle-ms") == 0) {
            idle_ms = strtol(argv[++i], &end, 10);
            if (*end || idle_ms < 1 || idle_ms > 3600000) usage();
        } else {
            usage();
        }
    }
}

static void serve_until_signal(const sigset_t *orig)
{
    /* With --idle-ms, wake up often enough to close idle ones in time. */
    long tick = idle_ms > 40 ? idle_ms / 4 : 10;
    struct timespec ts = {.tv_sec = tick / 1000, .tv_nsec = tick % 1000 * 1000000};

    while (!stop) {
        /* Signals are delivered only inside ppoll: no lost wake-up. */
        if (ppoll(pfds, nfds, idle_ms ? &ts : NULL, orig) < 0) {
            if (errno == EINTR) continue;
            perror("http_server: ppoll");
            exit(1);
        }
        if (pfds[0].revents & POLLIN) accept_all();
        for (size_t i = nfds; i-- > 1;) {
            if (pfds[i].revents && serve(i, pfds[i].revents)) pfds[i].revents = 0;
        }
        if (idle_ms) drop_idle();
    }
}

int main(int argc, char **argv)
{
    long port = 0, body = 64;
    sigset_t block, orig;
    struct sigaction sa = {.sa_handler = on_signal};

    parse_args(argc, argv, &port, &body);
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
    serve_until_signal(&orig);

    while (nfds > 1) drop_conn(nfds - 1);
    close(pfds[0].fd);
    free(pfds);
    free(conns);
    free_pair(&resp_plain);
    free_pair(&resp_big);
    free_pair(&resp_chunked);
    free(resp_bad);
    return 0;
}
