/* gobody.c - Go response bodies read to the end and never closed.
 *
 * A Go program that reads resp.Body to the end gets its connection back in
 * the pool whether or not it then calls Close, so the pool alone cannot
 * tell a missing Close (design notes, section 10). Two more uprobes tell:
 * (*bodyEOFSignal).Read, sent once per body (PEV_GO_BODY: the body and the
 * connection it is read from), and (*bodyEOFSignal).Close (PEV_GO_BODYCLOSE).
 * A body whose connection went back to the pool (tryPutIdleConn, after the
 * read that hit the end) and that is never closed is counted, per request
 * site, in a `gobody` record at the end of the trace. Bodies the program
 * stops reading before the end keep their connection busy: that socket is
 * already an unclosed-body, and such bodies are not counted here. */
#include <stdlib.h>
#include <string.h>

#include "probe_int.h"

static struct pgobody *body_find(struct pproc *pr, uint64_t es)
{
    for (size_t i = pr->nbodies; i-- > 0;)
        if (pr->bodies[i].es == es) return &pr->bodies[i];
    return NULL;
}

/* The site of a request from this connection's latest request. */
static int site_get(struct pproc *pr, const struct psock *s)
{
    for (int i = 0; i < pr->nbody_sites; i++) {
        const struct pgobody_site *b = &pr->body_sites[i];
        if (b->stk == s->req_stk && b->tls == s->go_tls && strcmp(b->host, s->host) == 0 &&
            strcmp(b->path, s->path) == 0 && strcmp(b->method, s->method) == 0)
            return i;
    }
    if (pr->nbody_sites >= GOBODY_SITES) return -1;
    struct pgobody_site *b = &pr->body_sites[pr->nbody_sites];
    memset(b, 0, sizeof(*b));
    b->stk = s->req_stk;
    b->tls = s->go_tls;
    memcpy(b->method, s->method, sizeof(b->method));
    memcpy(b->host, s->host, sizeof(b->host));
    memcpy(b->path, s->path, sizeof(b->path));
    return pr->nbody_sites++;
}

/* A body that can no longer be closed, or is counted as never closed. */
static void body_settle(struct pproc *pr, const struct pgobody *b)
{
    if (b->eof) pr->body_sites[b->site].unclosed++;
}

/* Room for one more: when full, the bodies read to the end are the ones
 * that waited longest for their Close; they count as never closed. */
static bool bodies_room(struct pproc *pr)
{
    if (!pr->bodies) {
        pr->bodies = calloc(GOBODY_MAX, sizeof(*pr->bodies));
        pr->body_sites = calloc(GOBODY_SITES, sizeof(*pr->body_sites));
        if (!pr->bodies || !pr->body_sites) return false;
    }
    if (pr->nbodies < GOBODY_MAX) return true;
    size_t keep = 0;
    for (size_t i = 0; i < pr->nbodies; i++) {
        if (pr->bodies[i].eof) {
            body_settle(pr, &pr->bodies[i]);
            continue;
        }
        pr->bodies[keep++] = pr->bodies[i];
    }
    pr->bodies_forgotten += pr->nbodies - keep;
    pr->nbodies = keep;
    return pr->nbodies < GOBODY_MAX;
}

static struct psock *body_sock(struct pproc *pr, const struct pev_gobody *e)
{
    struct psock *s = proc_sock(pr, e->fd_tcp);
    if (s && s->type == 1 /* SOCK_STREAM */) return s;
    s = proc_sock(pr, e->fd_tls);
    return s && s->type == 1 ? s : NULL;
}

static void on_body_read(struct pproc *pr, const struct pev_gobody *e)
{
    struct psock *s = body_sock(pr, e);
    if (!s || !bodies_room(pr)) return;
    struct pgobody *b = body_find(pr, e->es);
    if (b) /* the same address for a new body: the old one was collected unclosed */
        body_settle(pr, b);
    else
        b = &pr->bodies[pr->nbodies++];
    int site = site_get(pr, s);
    if (site < 0) {
        pr->bodies_forgotten++;
        *b = pr->bodies[--pr->nbodies];
        return;
    }
    *b = (struct pgobody){.es = e->es, .site = (uint16_t)site};
    s->body_es = e->es;
}

static void on_body_close(struct pproc *pr, const struct pev_gobody *e)
{
    struct pgobody *b = body_find(pr, e->es);
    if (b) *b = pr->bodies[--pr->nbodies];
}

void gohttp_on_body(struct pproc *pr, const struct pev_gobody *e)
{
    if (e->h.kind == PEV_GO_BODY)
        on_body_read(pr, e);
    else
        on_body_close(pr, e);
}

/* s went back to the pool: the body read from it reached its end. */
void gobody_on_idle(struct pproc *pr, struct psock *s)
{
    if (!s->body_es) return;
    struct pgobody *b = body_find(pr, s->body_es);
    if (b) b->eof = true;
    s->body_es = 0;
}

void gohttp_end(struct pproc *pr, uint64_t ts)
{
    for (size_t i = 0; i < pr->nbodies; i++) body_settle(pr, &pr->bodies[i]);
    for (int i = 0; i < pr->nbody_sites; i++)
        if (pr->body_sites[i].unclosed) rec_gobody(pr, ts, &pr->body_sites[i]);
    if (pr->bodies_forgotten) {
        char detail[160];
        snprintf(detail, sizeof(detail),
                 "%llu Go response bodies were not followed to their Close (over %d read "
                 "at once, or over %d request sites)",
                 (unsigned long long)pr->bodies_forgotten, GOBODY_MAX, GOBODY_SITES);
        rec_note(pr, ts, "go-bodies-forgotten", detail);
    }
    if (pr->go_late) {
        char detail[256];
        snprintf(detail, sizeof(detail),
                 "%llu connection%s opened in the first %llu ms, before net/http was probed "
                 "(its DWARF was still being read): %s not tied to a line of code",
                 (unsigned long long)pr->go_late, pr->go_late == 1 ? " was" : "s were",
                 (unsigned long long)(pr->go_ready / 1000000),
                 pr->go_late == 1 ? "its request is" : "their requests are");
        rec_note(pr, ts, "go-http-late", detail);
    }
    free(pr->bodies);
    free(pr->body_sites);
    pr->bodies = NULL;
    pr->body_sites = NULL;
    pr->nbodies = 0;
    pr->nbody_sites = 0;
    pr->bodies_forgotten = 0;
}
