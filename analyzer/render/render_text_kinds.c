/* render_text_kinds.c - the text of the findings that need more than the
 * common block: HTTP and client-handle findings (with their advice) and the
 * sampler's findings (close-wait, time-wait, growth, pools). Split from
 * render_text.c, which prints the report and the common block. */
#include "render/text_internal.h"

/* ---- HTTP and client-handle findings --------------------------------- */

const char *const advice[KIND_COUNT] = {
    [KIND_UNCLOSED_BODY] = "read the body to the end or close the response: the connection "
                           "stays open until the server gives up",
    [KIND_STUCK_REQUEST] = "set a response timeout: the server never answered, and the "
                           "socket stays open",
    [KIND_DISCARDED_BODY] = "read the body to the end before closing, so that the connection "
                            "can be reused",
    [KIND_MISSING_CLOSE] = "close every resp.Body (defer resp.Body.Close() after the error "
                           "check): Go gave these connections back because each body was read "
                           "to its end; one read in part, or cut by an error, keeps its "
                           "connection for good",
    [KIND_NO_REUSE] = "reuse one client (Go http.Client/Transport, session, curl handle) per "
                      "host: keep-alive saves a connect per request",
    [KIND_CLOSE_WAIT] = "the peer closed these connections and the program never closed its "
                        "end: close the socket once a read returns 0 (end of file)",
    [KIND_TIME_WAIT] = TIME_WAIT_ADVICE,
    [KIND_FD_GROWTH] = "open fds keep rising: something is opened and never closed",
    [KIND_POOL] = "connections to this peer keep rising: bound the pool (max connections per "
                  "host) and return connections to it",
};

static const char *const handle_advice[HANDLE_COUNT] = {
    [HANDLE_CURL] = "call curl_easy_cleanup() when done: the handle keeps its connections open",
    [HANDLE_CURLM] = "call curl_multi_cleanup() when done: the handle keeps its connections open",
    [HANDLE_SSL] = "call SSL_free() and close its socket when done with the connection",
};

static const char *const handle_what[HANDLE_COUNT][2] = {
    [HANDLE_CURL] = {"curl easy handle", "curl easy handles"},
    [HANDLE_CURLM] = {"curl multi handle", "curl multi handles"},
    [HANDLE_SSL] = {"SSL object", "SSL objects"},
};

/* "(api:443, GET /v1/items, 200, read 1.2 KiB of 5.0 MiB)"; no bytes for
 * stuck-request. */
static void text_http_brief(struct text *t, const struct finding *f)
{
    const struct finding_http *h = &f->http;
    fprintf(t->out, " (%s", esc(t, h->host ? h->host : "?"));
    if (h->request) fprintf(t->out, ", %s", esc(t, h->request));
    if (h->status) fprintf(t->out, ", %u", (unsigned)h->status);
    if (f->kind != KIND_STUCK_REQUEST) {
        char read[32], expect[32] = "?";
        bytes_fmt(h->read, read, sizeof(read));
        if (h->expect >= 0) bytes_fmt((uint64_t)h->expect, expect, sizeof(expect));
        fprintf(t->out, ", read %s of %s", read, expect);
    }
    fputs(h->tls ? ", TLS)" : ")", t->out);
}

static void text_hosts(struct text *t, const struct finding *f)
{
    if (f->nhosts < 2) return;
    fputs(" · hosts ", t->out);
    for (size_t i = 0; i < f->nhosts && i < MAX_PEERS; i++)
        fprintf(t->out, "%s%s (%" PRIu64 ")", i ? ", " : "", esc(t, f->hosts[i].peer),
                f->hosts[i].count);
    if (f->nhosts > MAX_PEERS) fprintf(t->out, ", +%zu more", f->nhosts - MAX_PEERS);
}

void text_body(struct text *t, const struct finding *f, const char *where)
{
    char idle[80], read[32];
    bool stuck = f->kind == KIND_STUCK_REQUEST;
    range_fmt(f->idle_min, f->idle_max, idle, sizeof(idle));
    if (stuck)
        fprintf(t->out, "  %" PRIu64 " request%s without a response after %s", f->count,
                plural(f->count, "", "s"), idle);
    else
        fprintf(t->out, "  %" PRIu64 " response%s %s", f->count, plural(f->count, "", "s"),
                f->kind == KIND_UNCLOSED_BODY ? "never read to the end"
                                              : "closed before the body was read to the end");
    text_http_brief(t, f);
    fprintf(t->out, " at %s\n  %s\n", esc(t, where), advice[f->kind]);
    text_peers(t, f);
    text_hosts(t, f);
    if (!stuck) {
        bytes_fmt(f->bytes_read, read, sizeof(read));
        fprintf(t->out, " · idle %s · %s of body read", idle, read);
    }
}

void text_missing_close(struct text *t, const struct finding *f, const char *where)
{
    const struct finding_http *h = &f->http;
    fprintf(t->out, "  %" PRIu64 " response bod%s read to the end and never closed (%s", f->count,
            plural(f->count, "y", "ies"), esc(t, h->host ? h->host : "?"));
    if (h->request) fprintf(t->out, ", %s", esc(t, h->request));
    fprintf(t->out, "%s) at %s\n  %s", h->tls ? ", TLS" : "", esc(t, where), advice[f->kind]);
}

void text_reuse(struct text *t, const struct finding *f, const char *where)
{
    const char *peer = f->npeers ? f->peers[0].peer : "?";
    fprintf(t->out, "  %" PRIu64 " connections to %s", f->count, esc(t, peer));
    if (f->http.host && strcmp(f->http.host, peer) != 0)
        fprintf(t->out, " (%s)", esc(t, f->http.host));
    fprintf(t->out, " carried one request each, %s %s\n  %s\n",
            f->req_site ? "requested in" : "opened in", esc(t, where), advice[f->kind]);
    fprintf(t->out,
            "  keep-alive would have saved %" PRIu64 " (at most %" PRIu64
            " open at once) · %" PRIu64 " request%s to this peer · %" PRIu64 " call site%s",
            finding_saved(f), f->max_concurrent, f->requests, plural(f->requests, "", "s"),
            f->sites, plural(f->sites, "", "s"));
}

/* ", holding 4 connections and 8 internal sockets" */
static void text_held(struct text *t, const struct finding *f)
{
    uint64_t conns = f->held_conns, internal = f->held - f->held_conns;
    if (!f->held) return;
    fputs(", holding ", t->out);
    if (conns) fprintf(t->out, "%" PRIu64 " connection%s", conns, plural(conns, "", "s"));
    if (conns && internal) fputs(" and ", t->out);
    if (internal)
        fprintf(t->out, "%" PRIu64 " internal socket%s", internal, plural(internal, "", "s"));
}

void text_handles(struct text *t, const struct finding *f, const char *where)
{
    uint8_t k = f->handle < HANDLE_COUNT ? f->handle : HANDLE_CURL;
    fprintf(t->out, "  %" PRIu64 " %s never released at %s", f->count,
            handle_what[k][f->count != 1], esc(t, where));
    text_held(t, f);
    fprintf(t->out, "\n  %s\n", handle_advice[k]);
    fputs("  ", t->out);
    for (size_t i = 0; f->held_conns && i < f->npeers && i < MAX_PEERS; i++)
        fprintf(t->out, "%s%s (%" PRIu64 ")", i ? ", " : "connections to ",
                esc(t, f->peers[i].peer), f->peers[i].count);
    if (f->held_conns && f->npeers > MAX_PEERS)
        fprintf(t->out, ", +%zu more", f->npeers - MAX_PEERS);
    if (f->held_conns && f->npeers) fputs(" · ", t->out);
    fprintf(t->out, "%" PRIu64 " socket%s %s used still open", f->open_sockets,
            plural(f->open_sockets, "", "s"), f->count == 1 ? "it" : "they");
    for (size_t i = 0; i < f->nurls; i++)
        fprintf(t->out, "%s%s", i ? ", " : " · ", esc(t, f->urls[i]));
}

/* The orphan's HTTP context: "  last HTTP: GET /x to host · 3 requests · body · 200" */
void text_orphan_http(struct text *t, const struct finding *f)
{
    const struct finding_http *h = &f->http;
    if (!h->set) return;
    fprintf(t->out, "\n  last HTTP: %s to %s · %u request%s · %s",
            esc(t, h->request ? h->request : "?"), esc(t, h->host ? h->host : "?"), h->requests,
            plural(h->requests, "", "s"), http_phase_name(h->phase));
    if (h->status) fprintf(t->out, " · %u", (unsigned)h->status);
}

/* ---- the sampler's findings ------------------------------------------- */

/* "at exit", "at dump 2", "at the last flush", "at the last sample" (watch) */
const char *when_of(const struct finding *f, char *buf, size_t n)
{
    if (f->outside)
        snprintf(buf, n, "at the last sample");
    else if (f->dump)
        snprintf(buf, n, "at dump %u", (unsigned)f->dump);
    else
        snprintf(buf, n, "%s",
                 f->detached  ? "when connleak detached"
                 : f->partial ? "at the last flush"
                              : "at exit");
    return buf;
}

/* "to 10.0.0.1:443", "from 10.0.0.2 -> :8080": the peer of a trend or of a
 * finding seen from outside, by its direction. */
static void text_peer_dir(struct text *t, const struct finding *f)
{
    fprintf(t->out, "%s %s", finding_role(f) == ROLE_ACCEPTED ? "from" : "to",
            esc(t, f->npeers ? f->peers[0].peer : "?"));
}

/* Seen from outside: the peer instead of a call site, and ages that are
 * lower bounds (since a sample first saw them), or not known. */
void text_closewait(struct text *t, const struct finding *f, const char *where)
{
    char when[32], waited[80], age[80];
    range_fmt(f->waited_min, f->waited_max, waited, sizeof(waited));
    range_fmt(f->age_min, f->age_max, age, sizeof(age));
    fprintf(t->out, "  %" PRIu64 " socket%s the peer closed, still open %s, ", f->count,
            plural(f->count, "", "s"), when_of(f, when, sizeof(when)));
    if (f->outside) {
        text_peer_dir(t, f);
        fprintf(t->out, " (peak %" PRIu64 ")", f->peak);
    } else {
        fprintf(t->out, "opened in %s", esc(t, where));
    }
    fprintf(t->out, "\n  %s\n", advice[f->kind]);
    text_peers(t, f);
    if (!f->outside || f->waited_min != UINT64_MAX)
        fprintf(t->out, " · waited %s%s", f->outside ? "at least " : "", waited);
    if (!f->outside || f->age_min != UINT64_MAX) fprintf(t->out, " · age %s", age);
    text_unread(t, f->unread);
}

void text_timewait(struct text *t, const struct finding *f, const char *where)
{
    fprintf(t->out, "  peak of %s%" PRIu64 " connection%s ", f->estimated ? "about " : "", f->count,
            plural(f->count, "", "s"));
    text_peer_dir(t, f);
    fputs(" in TIME_WAIT", t->out);
    if (!f->outside) fprintf(t->out, ", opened in %s", esc(t, where));
    fprintf(t->out, "\n  %s\n", advice[f->kind]);
    if (f->outside) /* a TIME_WAIT socket is on the side that closed first */
        fprintf(t->out, "  %" PRIu64 " seen in TIME_WAIT: closes by the program", f->closes);
    else
        fprintf(t->out, "  %" PRIu64 " close%s by the program", f->closes,
                plural(f->closes, "", "s"));
    if (f->rate >= 0) fprintf(t->out, " at %.1f per second", f->rate);
    if (f->estimated) /* preload/timewait.c: past 256 closes a second, one in 16 is matched */
        fputs("\n  (the peak is estimated: at that rate connleak matches one close in 16 to "
              "the kernel's TIME_WAIT sockets)",
              t->out);
}

/* "Mann-Kendall tau 0.88, p < 0.001, 31 points" */
static void text_fit(struct text *t, const struct trend_fit *fit)
{
    char phrase[128];
    trend_fit_phrase(fit, phrase, sizeof(phrase));
    fprintf(t->out, "(%s)", phrase);
}

static void text_spark(struct text *t, const struct finding_trend *tr)
{
    char spark[3 * 60 + 1];
    trend_sparkline(tr->y, tr->n, 60, spark, sizeof(spark));
    fprintf(t->out, "  %s  peak %.0f", spark, tr->peak);
}

/* The time a trend's series spans, "11.6 s". */
static void trend_span_fmt(const struct finding_trend *tr, char *out, size_t n)
{
    ms_fmt(tr->n ? (uint64_t)(tr->t[tr->n - 1] * 1000) : 0, out, n);
}

void text_growth(struct text *t, const struct finding *f)
{
    const struct finding_trend *tr = &f->trend;
    char span[32], eta[32];
    trend_span_fmt(tr, span, sizeof(span));
    fprintf(t->out, "  open fds %.0f -> %.0f over %s: %+.1f per minute ", tr->first, tr->last, span,
            tr->fit.slope * 60);
    text_fit(t, &tr->fit);
    fprintf(t->out, "\n  %s\n", advice[f->kind]);
    text_spark(t, tr);
    if (tr->nofile && tr->eta_s >= 0) {
        ms_fmt((uint64_t)(tr->eta_s * 1000), eta, sizeof(eta));
        fprintf(t->out, "; RLIMIT_NOFILE (%" PRIu64 ") reached in about %s at this rate",
                tr->nofile, eta);
    } else if (!tr->nofile) {
        fputs("; no RLIMIT_NOFILE", t->out);
    } else {
        fprintf(t->out, "; RLIMIT_NOFILE %" PRIu64, tr->nofile);
    }
    for (size_t i = 0; i < f->ngsites; i++) {
        char *w = frames_where(&f->gsites[i].stack);
        fprintf(t->out, "\n  live sockets growing at %s: %+.1f per minute", esc(t, w),
                f->gsites[i].slope_per_min);
        free(w);
    }
    if (!f->ngsites && !f->outside) /* from outside there are no call sites to name */
        fputs("\n  no call site of the program's sockets grows with it", t->out);
}

void text_pool(struct text *t, const struct finding *f)
{
    const struct finding_trend *tr = &f->trend;
    char span[32];
    trend_span_fmt(tr, span, sizeof(span));
    fputs("  ESTABLISHED connections ", t->out);
    text_peer_dir(t, f);
    fprintf(t->out, " %.0f -> %.0f over %s: %+.1f per minute ", tr->first, tr->last, span,
            tr->fit.slope * 60);
    text_fit(t, &tr->fit);
    fprintf(t->out, "\n  %s\n", advice[f->kind]);
    text_spark(t, tr);
}
