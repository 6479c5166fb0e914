/* gohttp.c - Go's net/http client, from the entry uprobes: which request a
 * connection was dialled for, and whether the pool got it back.
 *
 * In Go a socket is opened by a dialer goroutine whose stack never holds
 * the user's code; the user's call is on the stack of
 * (*Transport).roundTrip, on the goroutine that then calls
 * (*persistConn).roundTrip with the connection. So: roundTrip's user stack
 * is kept per goroutine, and the first request on a connection names the
 * connection's site (its `open` record's stack). tryPutIdleConn says the
 * connection went back to the pool (its response was read to the end),
 * closeLocked that the transport closed it. An entry uprobe can fire twice
 * for one call: a request event equal to the goroutine's previous event
 * (kind, stack pointer, object, request) is dropped. */
#include <stdlib.h>
#include <string.h>

#include "probe_int.h"

#define GORS_MAX 4096 /* goroutines remembered; the older half goes when full */

static struct pgor *gor_get(struct pproc *pr, uint64_t goid)
{
    for (size_t i = pr->ngors; i-- > 0;)
        if (pr->gors[i].goid == goid) return &pr->gors[i];
    if (pr->ngors >= GORS_MAX) {
        memmove(pr->gors, pr->gors + GORS_MAX / 2, (GORS_MAX / 2) * sizeof(*pr->gors));
        pr->ngors = GORS_MAX / 2;
    }
    struct pgor *v = realloc(pr->gors, (pr->ngors + 1) * sizeof(*v));
    if (!v) return NULL;
    pr->gors = v;
    struct pgor *g = &v[pr->ngors++];
    memset(g, 0, sizeof(*g));
    g->goid = goid;
    return g;
}

static bool gor_repeat(struct pgor *g, const struct pev_go *e)
{
    bool same = g->kind == e->h.kind && g->sp == e->sp && g->obj == e->obj && g->req == e->req;
    g->kind = e->h.kind;
    g->sp = e->sp;
    g->obj = e->obj;
    g->req = e->req;
    return same;
}

/* The connection's socket: the fd read as a TCP connection or as TLS over
 * one, whichever is a stream socket of this process. */
static struct psock *conn_sock(struct pproc *pr, const struct pev_go *e)
{
    struct psock *s = proc_sock(pr, e->fd_tcp);
    if (s && s->type == 1 /* SOCK_STREAM */) return s;
    s = proc_sock(pr, e->fd_tls);
    if (!s || s->type != 1) return NULL;
    s->go_tls = true; /* reached through a *tls.Conn */
    return s;
}

static uint32_t pool_serial(struct pproc *pr, uint64_t transport)
{
    for (size_t i = 0; i < pr->ntransports; i++)
        if (pr->transports[i] == transport) return (uint32_t)i + 1;
    uint64_t *v = realloc(pr->transports, (pr->ntransports + 1) * sizeof(*v));
    if (!v) return 0;
    pr->transports = v;
    v[pr->ntransports++] = transport;
    return (uint32_t)pr->ntransports;
}

static void on_round_trip(struct pproc *pr, struct pgor *g, const struct pev_go *e)
{
    int n = (int)(e->nstack < PEV_STACK_MAX ? e->nstack : PEV_STACK_MAX);
    g->stk = stack_intern(pr, (const uint64_t *)e->stack, n);
    g->transport = e->obj;
    memcpy(g->method, e->method, sizeof(g->method));
    memcpy(g->host, e->host, sizeof(g->host));
    memcpy(g->path, e->path, sizeof(g->path));
    g->method[sizeof(g->method) - 1] = g->host[sizeof(g->host) - 1] = 0;
    g->path[sizeof(g->path) - 1] = 0;
}

static void on_conn_request(struct pproc *pr, struct pgor *g, const struct pev_go *e)
{
    struct psock *s = conn_sock(pr, e);
    if (!s) return;
    s->go_reqs++;
    s->go_busy = true;
    s->req_stk = g->stk;
    memcpy(s->method, g->method, sizeof(s->method));
    memcpy(s->host, g->host, sizeof(s->host));
    memcpy(s->path, g->path, sizeof(s->path));
    if (!s->site) {
        s->site = g->stk;
        s->transport = g->transport;
        s->pool = pool_serial(pr, g->transport);
    }
    sock_write_open(pr, s);
}

/* A TCP socket of a Go program opened before its net/http functions were
 * probed (an exec'd program runs while the loader reads its DWARF), that
 * never carried a request seen by the probes: counted for a note, since
 * its request, if it had one, is not tied to a line. */
void gohttp_sock_done(struct pproc *pr, const struct psock *s)
{
    if (pr->go_ready && !s->go_reqs && !s->before_attach && s->type == 1 &&
        (s->fam == 2 || s->fam == 10) && s->opened < pr->go_ready)
        pr->go_late++;
}

void gohttp_on_event(struct probe *p, struct pproc *pr, const struct pev_go *e)
{
    (void)p;
    if (e->h.kind < PEV_GO_RT || e->h.kind > PEV_GO_CLOSE) return;
    struct pgor *g = gor_get(pr, e->goid);
    /* Only a request is counted: a second tryPutIdleConn or closeLocked
     * changes nothing, and one connection's read loop puts it back in the
     * pool from the same goroutine and stack pointer again and again. */
    bool counts = e->h.kind == PEV_GO_RT || e->h.kind == PEV_GO_PCRT;
    if (!g || (counts && gor_repeat(g, e))) return;
    struct psock *s;
    switch (e->h.kind) {
    case PEV_GO_RT:
        on_round_trip(pr, g, e);
        break;
    case PEV_GO_PCRT:
        on_conn_request(pr, g, e);
        break;
    case PEV_GO_PUTIDLE:
        if ((s = conn_sock(pr, e)) && s->go_busy) {
            s->go_busy = false;
            s->go_idle++;
        }
        if (s) gobody_on_idle(pr, s);
        break;
    case PEV_GO_CLOSE:
        if ((s = conn_sock(pr, e))) {
            s->go_busy = false;
            s->body_es = 0; /* its body, if any, was not read to the end */
        }
        break;
    default:
        break;
    }
}
