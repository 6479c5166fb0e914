/* records.c - the probe's trace lines: the same records as the preload's
 * (docs/trace-format.md), built with the same line builder, written to the
 * process's own trace file. One function per record type; nothing here
 * decides anything, procs.c and sockets.c do. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "redact.h"
#include "http1_json.h"
#include "probe_int.h"

#define LINE_MAX_BYTES 16384

static void line_write(struct pproc *pr, struct jb *b)
{
    if (!pr->f || b->overflow) return;
    jb_raw(b, "}\n");
    if (b->overflow) return;
    fwrite(b->p, 1, b->len, pr->f);
}

/* {"t":TYPE,"ts":TS */
static void line_begin(struct jb *b, char *mem, const char *type, uint64_t ts, bool with_ts)
{
    jb_init(b, mem, LINE_MAX_BYTES);
    jb_raw(b, "{\"t\":\"");
    jb_raw(b, type);
    jb_raw(b, "\"");
    if (with_ts) jb_kv_u64(b, "ts", ts);
}

static void kv_sock(struct jb *b, const struct psock *s, int fd)
{
    jb_kv_u64(b, "sid", s->sid);
    jb_kv_u64(b, "fd", (uint64_t)fd);
}

static void kv_addr(struct jb *b, const char *key, const struct cl_addr *a)
{
    if (!a->family) return;
    jb_key(b, key);
    jb_addr(b, a);
}

/* The process's argv (NUL-separated) as a JSON array. */
static void kv_argv(struct jb *b, const struct pproc *pr)
{
    jb_raw(b, ",\"argv\":[");
    bool secret = false; /* the value of a --password-like option */
    for (size_t i = 0; pr->cmdline && i < pr->cmdline_len; i += strlen(pr->cmdline + i) + 1) {
        char arg[1024];
        redact_arg(pr->cmdline + i, secret, arg, sizeof(arg));
        secret = !secret && redact_flag_takes_secret(pr->cmdline + i);
        if (i) jb_raw(b, ",");
        jb_str(b, arg, 1000);
    }
    jb_raw(b, "]");
}

void rec_header(struct pproc *pr)
{
    char mem[LINE_MAX_BYTES];
    struct jb b;
    struct timespec rt, mono;
    clock_gettime(CLOCK_REALTIME, &rt);
    clock_gettime(CLOCK_MONOTONIC, &mono);
    uint64_t mono_now = (uint64_t)mono.tv_sec * 1000000000ull + (uint64_t)mono.tv_nsec;
    uint64_t unix_now = (uint64_t)rt.tv_sec * 1000000000ull + (uint64_t)rt.tv_nsec;
    line_begin(&b, mem, "hdr", 0, false);
    jb_raw(&b, ",\"format\":\"connleak-trace\"");
    jb_kv_u64(&b, "version", CL_TRACE_VERSION);
    jb_kv_str(&b, "tool", "connleak " CONNLEAK_VERSION);
    jb_kv_str(&b, "backend", "probe");
    jb_kv_u64(&b, "pid", (uint64_t)pr->pid);
    jb_kv_u64(&b, "ppid", (uint64_t)pr->ppid);
    jb_key(&b, "exe");
    jb_str(&b, pr->exe ? pr->exe : "", 1000);
    kv_argv(&b, pr);
    jb_kv_u64(&b, "start_mono_ns", pr->start);
    jb_kv_u64(&b, "start_unix_ns", unix_now - (mono_now - pr->start));
    jb_raw(&b, ",\"clock\":\"monotonic\"");
    jb_kv_u64(&b, "depth", PEV_STACK_MAX);
    jb_kv_u64(&b, "flush_ms", 100);
    jb_raw(&b, pr->forked ? ",\"forked\":true" : ",\"forked\":false");
    if (pr->running_at_attach) jb_raw(&b, ",\"attached\":true");
    line_write(pr, &b);
}

void rec_mod(struct pproc *pr, const char *path, uint64_t base, uint64_t lo, uint64_t hi,
             const char *bid)
{
    char mem[LINE_MAX_BYTES];
    struct jb b;
    line_begin(&b, mem, "mod", 0, false);
    jb_key(&b, "path");
    jb_str(&b, path, 4000);
    jb_key(&b, "base");
    jb_hex(&b, base);
    jb_key(&b, "lo");
    jb_hex(&b, lo);
    jb_key(&b, "hi");
    jb_hex(&b, hi);
    jb_kv_str(&b, "bid", bid);
    line_write(pr, &b);
}

void rec_stk(struct pproc *pr, uint32_t id, const uint64_t *pcs, int n)
{
    char mem[LINE_MAX_BYTES];
    struct jb b;
    line_begin(&b, mem, "stk", 0, false);
    jb_kv_u64(&b, "id", id);
    jb_raw(&b, ",\"pc\":[");
    for (int i = 0; i < n; i++) {
        if (i) jb_raw(&b, ",");
        jb_hex(&b, pcs[i]);
    }
    jb_raw(&b, "]");
    line_write(pr, &b);
}

static const char *role_name(enum psock_role r)
{
    static const char *names[] = {"socket", "client", "listener", "accepted"};
    return names[r];
}

void rec_open(struct pproc *pr, const struct psock *s, uint64_t ts)
{
    char mem[LINE_MAX_BYTES], t1[16], t2[16];
    struct jb b;
    line_begin(&b, mem, "open", ts, true);
    kv_sock(&b, s, s->fd);
    jb_kv_str(&b, "fam", family_name(s->fam, t1));
    jb_kv_str(&b, "type", socktype_name(s->type, t2));
    bool known = s->role == PROLE_ACCEPTED || s->inherited || s->before_attach;
    jb_kv_str(&b, "role", known ? role_name(s->role) : "socket");
    jb_kv_u64(&b, "stk", s->site ? s->site : s->stk);
    if (s->site && s->stk) jb_kv_u64(&b, "dial_stk", s->stk);
    if (s->ino) jb_kv_u64(&b, "ino", s->ino);
    if (known) {
        kv_addr(&b, "peer", &s->peer);
        kv_addr(&b, "local", &s->local);
    }
    if (s->before_attach) jb_raw(&b, ",\"before_attach\":true");
    if (s->inherited) jb_raw(&b, ",\"inherited\":true");
    line_write(pr, &b);
}

void rec_conn(struct pproc *pr, const struct psock *s, uint64_t ts, int err)
{
    char mem[LINE_MAX_BYTES];
    struct jb b;
    line_begin(&b, mem, "conn", ts, true);
    kv_sock(&b, s, s->fd);
    kv_addr(&b, "peer", &s->peer);
    if (err == -115)
        jb_raw(&b, ",\"inprogress\":true");
    else if (err < 0)
        jb_kv_str(&b, "err", strerrorname_np(-err) ? strerrorname_np(-err) : "EIO");
    line_write(pr, &b);
}

void rec_listen(struct pproc *pr, const struct psock *s, uint64_t ts)
{
    char mem[LINE_MAX_BYTES];
    struct jb b;
    line_begin(&b, mem, "listen", ts, true);
    kv_sock(&b, s, s->fd);
    kv_addr(&b, "local", &s->local);
    line_write(pr, &b);
}

void rec_dup(struct pproc *pr, const struct psock *s, int fd, int nfd, const char *how, uint64_t ts)
{
    char mem[LINE_MAX_BYTES];
    struct jb b;
    line_begin(&b, mem, "dup", ts, true);
    kv_sock(&b, s, fd);
    jb_kv_u64(&b, "nfd", (uint64_t)nfd);
    jb_kv_str(&b, "how", how);
    line_write(pr, &b);
}

void rec_shut(struct pproc *pr, const struct psock *s, int fd, int how, uint64_t ts)
{
    static const char *hows[] = {"rd", "wr", "rdwr"};
    char mem[LINE_MAX_BYTES];
    struct jb b;
    line_begin(&b, mem, "shut", ts, true);
    kv_sock(&b, s, fd);
    jb_kv_str(&b, "how", how >= 0 && how <= 2 ? hows[how] : "rdwr");
    line_write(pr, &b);
}

/* The "http" object of close and live records: the wire tracker's state,
 * or for Go what net/http's pool said when nothing was seen on the wire. */
static void kv_http(struct jb *b, const struct psock *s)
{
    const struct http1 *h = &s->http;
    if (s->http_on && http1_state(h) != HTTP1_UNKNOWN && http1_state(h) != HTTP1_NOT_HTTP) {
        jb_key(b, "http");
        http1_json_open(b, h, s->go_reqs && s->go_busy);
        if (s->go_reqs) {
            jb_kv_u64(b, "pool", s->pool);
            jb_raw(b, s->go_busy ? ",\"go\":\"busy\"" : ",\"go\":\"pooled\"");
        }
        jb_raw(b, "}");
        return;
    }
    if (!s->go_reqs) return;
    jb_raw(b, ",\"http\":{");
    jb_raw(b, "\"reqs\":");
    jb_u64(b, s->go_reqs);
    jb_kv_u64(b, "resps", s->go_busy ? s->go_reqs - 1 : s->go_reqs);
    jb_raw(b, s->go_busy ? ",\"await\":0,\"phase\":\"body\"" : ",\"await\":0,\"phase\":\"idle\"");
    jb_raw(b, ",\"expect\":-1,\"read\":0,\"ka\":true");
    jb_kv_str(b, "method", s->method);
    jb_kv_str(b, "target", s->path);
    jb_kv_str(b, "host", s->host);
    jb_kv_u64(b, "pool", s->pool);
    if (s->go_tls) jb_raw(b, ",\"tls\":true");
    jb_raw(b, s->go_busy ? ",\"go\":\"busy\"}" : ",\"go\":\"pooled\"}");
}

void rec_close(struct pproc *pr, const struct psock *s, int fd, const char *how, bool last,
               uint64_t ts)
{
    char mem[LINE_MAX_BYTES];
    struct jb b;
    line_begin(&b, mem, "close", ts, true);
    kv_sock(&b, s, fd);
    jb_kv_str(&b, "how", how);
    jb_raw(&b, last ? ",\"last\":true" : ",\"last\":false");
    if (last) {
        jb_kv_u64(&b, "in", s->in);
        jb_kv_u64(&b, "out", s->out);
        jb_kv_u64(&b, "last_io", s->last_io);
        if (s->eof) jb_raw(&b, ",\"eof\":true");
        kv_http(&b, s);
    }
    line_write(pr, &b);
}

void rec_live(struct pproc *pr, const struct psock *s, uint64_t ts)
{
    static const char *roles[] = {"socket", "client", "listener", "accepted"};
    char mem[LINE_MAX_BYTES], t1[16], t2[16];
    struct jb b;
    line_begin(&b, mem, "live", ts, true);
    jb_kv_u64(&b, "sid", s->sid);
    jb_raw(&b, ",\"fds\":[");
    jb_u64(&b, (uint64_t)s->fd);
    jb_raw(&b, "]");
    jb_kv_str(&b, "fam", family_name(s->fam, t1));
    jb_kv_str(&b, "type", socktype_name(s->type, t2));
    jb_kv_str(&b, "role", roles[s->role]);
    kv_addr(&b, "peer", &s->peer);
    kv_addr(&b, "local", &s->local);
    jb_kv_u64(&b, "stk", s->site ? s->site : s->stk);
    if (s->ino) jb_kv_u64(&b, "ino", s->ino);
    jb_kv_u64(&b, "opened", s->opened);
    jb_kv_u64(&b, "last_io", s->last_io);
    jb_kv_u64(&b, "in", s->in);
    jb_kv_u64(&b, "out", s->out);
    jb_raw(&b, s->inherited ? ",\"inherited\":true" : ",\"inherited\":false");
    if (s->eof) jb_raw(&b, ",\"eof\":true");
    if (s->kstate[0]) jb_kv_str(&b, "kstate", s->kstate);
    if (s->before_attach) jb_raw(&b, ",\"before_attach\":true");
    kv_http(&b, s);
    line_write(pr, &b);
}

void rec_ktcp(struct pproc *pr, const struct psock *s, uint64_t ts)
{
    char mem[LINE_MAX_BYTES];
    struct jb b;
    line_begin(&b, mem, "ktcp", ts, true);
    jb_kv_u64(&b, "sid", s->sid);
    jb_kv_str(&b, "state", s->kstate);
    line_write(pr, &b);
}

void rec_end(struct pproc *pr, uint64_t ts, const char *why, uint64_t live)
{
    char mem[LINE_MAX_BYTES];
    struct jb b;
    line_begin(&b, mem, "end", ts, true);
    jb_kv_str(&b, "why", why);
    jb_kv_u64(&b, "opened", pr->opened);
    jb_kv_u64(&b, "closed", pr->closed);
    jb_kv_u64(&b, "live", live);
    jb_raw(&b, ",\"badclose_dropped\":0,\"lost\":0");
    line_write(pr, &b);
}

void rec_sample(struct pproc *pr, uint64_t ts, const struct psample *s, const struct ptw_group *g,
                int ngroups)
{
    char mem[LINE_MAX_BYTES];
    struct jb b;
    line_begin(&b, mem, "sample", ts, true);
    if (s->fds >= 0) {
        jb_kv_u64(&b, "fds", (uint64_t)s->fds);
        jb_kv_u64(&b, "nofile", s->nofile);
    }
    jb_kv_u64(&b, "socks", s->socks);
    jb_raw(&b, ",\"sites\":[");
    for (int i = 0; i < s->nsites; i++) {
        jb_raw(&b, i ? ",{\"stk\":" : "{\"stk\":");
        jb_u64(&b, s->sites[i].key);
        jb_kv_u64(&b, "n", s->sites[i].n);
        jb_raw(&b, "}");
    }
    jb_raw(&b, "],\"peers\":[");
    for (int i = 0; i < s->npeers && i < 8; i++) {
        jb_raw(&b, i ? ",{\"peer\":" : "{\"peer\":");
        jb_addr(&b, &s->peer_addr[i]);
        jb_kv_u64(&b, "n", s->peers[i].n);
        jb_raw(&b, "}");
    }
    jb_raw(&b, "]");
    if (s->tw_total) {
        bool first = true;
        jb_raw(&b, ",\"tcp\":{\"TIME_WAIT\":");
        jb_u64(&b, s->tw_total);
        jb_raw(&b, "},\"tw\":[");
        for (int i = 0; i < ngroups; i++) {
            if (!s->tw[i]) continue;
            jb_raw(&b, first ? "{\"peer\":" : ",{\"peer\":");
            first = false;
            jb_addr(&b, &g[i].peer);
            jb_kv_u64(&b, "stk", g[i].stk);
            jb_kv_u64(&b, "n", s->tw[i]);
            jb_raw(&b, "}");
        }
        jb_raw(&b, "]");
    }
    line_write(pr, &b);
}

void rec_note(struct pproc *pr, uint64_t ts, const char *what, const char *detail)
{
    char mem[LINE_MAX_BYTES];
    struct jb b;
    line_begin(&b, mem, "note", ts, true);
    jb_kv_str(&b, "what", what);
    jb_key(&b, "detail");
    jb_str(&b, detail, 1000);
    line_write(pr, &b);
}

/* Go response bodies from one request site, read to the end and never
 * closed (gobody.c). */
void rec_gobody(struct pproc *pr, uint64_t ts, const struct pgobody_site *site)
{
    char mem[LINE_MAX_BYTES];
    struct jb b;
    line_begin(&b, mem, "gobody", ts, true);
    jb_kv_u64(&b, "stk", site->stk);
    jb_kv_u64(&b, "n", site->unclosed);
    jb_kv_str(&b, "method", site->method);
    jb_kv_str(&b, "target", site->path);
    jb_kv_str(&b, "host", site->host);
    if (site->tls) jb_raw(&b, ",\"tls\":true");
    line_write(pr, &b);
}
