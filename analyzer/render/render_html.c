/* render_html.c - the report as one self-contained HTML page (README,
 * "Outputs"): the verdict, every finding with its numbers, peers, advice
 * and collapsible stacks, the charts of each process's samples
 * (render_html_charts.c), the notes and what suppressions took out. No
 * external fetch, no script: inline CSS and SVG, <details> to fold.
 * Everything taken from a trace is escaped (html_put). */
#define _GNU_SOURCE
#include <stdarg.h>

#include "render/html_internal.h"
#include "render/markup.h"
#include "render/text_internal.h"

void html_put(FILE *out, const char *s)
{
    markup_put(out, s);
}

void html_printf(FILE *out, const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n >= 0) html_put(out, s);
    free(s);
}

static const char html_css[] =
    "body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1em 2em;"
    "color:#1d1d1f;background:#fff}\n"
    "h1{font-size:1.5em;margin:.2em 0}h2{border-bottom:1px solid #ddd;padding-bottom:.2em}\n"
    "code,pre{font:12.5px/1.4 ui-monospace,monospace}pre{white-space:pre-wrap;"
    "background:#f6f6f6;padding:.6em;border-radius:4px}\n"
    ".verdict{font-size:1.1em;padding:.7em 1em;border-radius:6px;white-space:pre-wrap}\n"
    ".status-clean{background:#e6f4ea;border-left:6px solid #1e8e3e}\n"
    ".status-leaks{background:#fce8e6;border-left:6px solid #d93025}\n"
    ".status-other{background:#fef7e0;border-left:6px solid #f9ab00}\n"
    ".meta td{padding:0 1em 0 0}.meta th{text-align:left;padding-right:1em}\n"
    ".finding{border:1px solid #ddd;border-left:6px solid #f9ab00;border-radius:6px;"
    "padding:.4em 1em;margin:1em 0}.finding.sev-error{border-left-color:#d93025}\n"
    ".finding h3{margin:.3em 0}.kind{font-family:ui-monospace,monospace}\n"
    ".sev{font-size:.8em;padding:.1em .5em;border-radius:3px;background:#f9ab00;color:#fff}\n"
    ".sev-error .sev{background:#d93025}.count{color:#555}\n"
    ".advice{background:#f1f3f4;padding:.3em .6em;border-radius:4px}\n"
    "ol.frames{margin:.3em 0;padding-left:2.5em}.frame .fn{font-weight:600}\n"
    ".frame.lib{color:#777}.frame.top{background:#fff3cd}.loc,.mod{color:#555}\n"
    "summary{cursor:pointer;color:#1a73e8}\n"
    ".charts{display:flex;flex-wrap:wrap;gap:1em}.chart{border:1px solid #eee}\n"
    ".chart text{font:11px sans-serif;fill:#333}\n"
    ".notes li{margin:.2em 0}\n";

/* What to do, where the text report's advice (render_text_kinds.c) has
 * none of its own: the kinds it explains with their numbers. */
static const char *advice_of(enum finding_kind k)
{
    static const char *const more[KIND_COUNT] = {
        [KIND_ORPHAN] = "close the socket on every path (or hand it to an owner that does): it "
                        "stays open until the process exits",
        [KIND_DOUBLE_CLOSE] = "close once and forget the fd: a second close may close another "
                              "thread's socket that reused the number",
        [KIND_HANDLE_LEAK] = "release the handle (curl_easy_cleanup, curl_multi_cleanup, "
                             "SSL_free) or reuse one: it keeps its connections open",
        [KIND_FOREIGN_CLOSE] = "close only what you opened: a close-all loop closes others' fds",
    };
    return advice[k] ? advice[k] : more[k] ? more[k] : "";
}

static const char *status_class(const struct report *r)
{
    if (r->status == STATUS_CLEAN) return "status-clean";
    if (r->status == STATUS_LEAKS) return "status-leaks";
    return "status-other";
}

/* The verdict: the lines the text report opens with (up to its first blank
 * line), so both say the same. */
static void html_verdict(FILE *out, const struct report *r)
{
    struct report head = *r; /* read only: the notes come in their own section */
    head.notes.n = 0;
    head.observe_shown = false; /* a file of its own: say it again */
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (mem) {
        render_text_with(mem, &head, false, NULL);
        fclose(mem);
    }
    char *blank = text ? strstr(text, "\n\n") : NULL;
    if (blank) blank[1] = '\0';
    fprintf(out, "<p class=\"verdict %s\" id=\"verdict\" data-status=\"%s\">", status_class(r),
            status_name(r->status));
    html_put(out, text && *text ? text : status_name(r->status));
    fputs("</p>\n", out);
    free(text);
}

static void html_program(FILE *out, const struct report *r)
{
    fputs("<table class=\"meta\">\n", out);
    if (r->has_program) {
        fputs("<tr><th>program</th><td><code>", out);
        for (size_t i = 0; i < r->argv.n; i++) {
            if (i) fputc(' ', out);
            html_put(out, r->argv.v[i]);
        }
        fputs("</code></td></tr>\n<tr><th>outcome</th><td>", out);
        if (r->signal)
            html_printf(out, "killed by signal %d", r->signal);
        else
            html_printf(out, "exit code %d", r->exit_code);
        fputs("</td></tr>\n", out);
    }
    fputs("<tr><th>backend</th><td>", out);
    html_put(out, r->backend ? r->backend : "preload");
    fputs("</td></tr>\n<tr><th>processes</th><td>", out);
    for (size_t i = 0; i < r->nprocs; i++) {
        const struct process *p = &r->procs[i];
        html_printf(out,
                    "%s%s (pid %ld): %" PRIu64 " opened, %" PRIu64 " closed, %" PRIu64 " open%s",
                    i ? "; " : "", process_name(p), p->pid, p->totals.opened, p->totals.closed,
                    p->totals.live, p->complete ? "" : ", trace incomplete");
    }
    fputs("</td></tr>\n</table>\n", out);
}

static void html_frame(FILE *out, const struct frame *f, bool top)
{
    fprintf(out, "<li class=\"frame %s%s\"><code class=\"fn\">", f->user ? "user" : "lib",
            top ? " top" : "");
    if (f->function)
        html_put(out, f->function);
    else
        html_printf(out, "0x%" PRIx64, f->pc);
    fputs("</code>", out);
    if (f->file) {
        fputs(" <span class=\"loc\">", out);
        html_printf(out, "%s:%d", path_display(f->file), f->line);
        fputs("</span>", out);
    }
    if (f->module) {
        fputs(" <span class=\"mod\">", out);
        html_printf(out, "(%s+0x%" PRIx64 ")", path_basename(f->module), f->rel);
        fputs("</span>", out);
    }
    if (f->inlined) fputs(" <i>inlined</i>", out);
    fputs("</li>\n", out);
}

/* A stack, folded: open when it is the finding's own call stack. */
static void html_stack(FILE *out, const char *title, const struct frames *s, bool open)
{
    if (!s->n) return;
    fprintf(out, "<details class=\"stack\"%s><summary>", open ? " open" : "");
    html_printf(out, "%s (%zu frame%s)", title, s->n, s->n == 1 ? "" : "s");
    fputs("</summary>\n<ol class=\"frames\" start=\"0\">\n", out);
    for (size_t i = 0; i < s->n; i++) html_frame(out, &s->v[i], (int)i == s->top);
    fputs("</ol></details>\n", out);
}

static void html_counts(FILE *out, const char *what, const char *cls, const struct peer_count *v,
                        size_t n)
{
    if (!n) return;
    fprintf(out, "<p class=\"%ss\">%s: ", cls, what);
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "%s<span class=\"%s\">", i ? ", " : "", cls);
        html_put(out, v[i].peer);
        fprintf(out, "</span> (%" PRIu64 ")", v[i].count);
    }
    fputs("</p>\n", out);
}

static void html_finding_facts(FILE *out, const struct finding *f)
{
    char *where = frames_where(&f->stack);
    fputs("<p class=\"where\">at <code class=\"site\">", out);
    html_put(out, f->stack.n ? where : "(no stack)");
    fputs("</code></p>\n<p class=\"advice\">", out);
    html_put(out, advice_of(f->kind));
    fputs("</p>\n", out);
    free(where);
    html_counts(out, "peers", "peer", f->peers, f->npeers);
    html_counts(out, "hosts", "host", f->hosts, f->nhosts);
    if (f->http.set && f->http.request) {
        fputs("<p class=\"http\">request: <code>", out);
        html_put(out, f->http.request);
        fputs("</code></p>\n", out);
    }
    if (f->nurls) {
        fputs("<p class=\"urls\">URLs: ", out);
        for (size_t i = 0; i < f->nurls; i++) {
            fputs(i ? ", <code class=\"url\">" : "<code class=\"url\">", out);
            html_put(out, f->urls[i]);
            fputs("</code>", out);
        }
        fputs("</p>\n", out);
    }
    fputs("<p class=\"pids\">", out);
    for (size_t i = 0; i < f->npids; i++) html_printf(out, "%s%ld", i ? ", " : "pid ", f->pids[i]);
    fputs("</p>\n", out);
}

static void html_finding(FILE *out, const struct finding *f, size_t i)
{
    const char *sev = finding_severity(f);
    fprintf(out,
            "<article class=\"finding sev-%s\" id=\"finding-%zu\" data-kind=\"%s\" "
            "data-severity=\"%s\" data-count=\"%" PRIu64 "\">\n<h3><span class=\"kind\">%s</span> "
            "<span class=\"sev\">%s</span> <span class=\"count\">count %s%" PRIu64 "</span></h3>\n",
            sev, i + 1, kind_name(f->kind), sev, f->count, kind_name(f->kind), sev,
            f->estimated ? "about " : "", f->count); /* an estimated TIME_WAIT peak */
    html_finding_facts(out, f);
    if (f->req_site) { /* located at the request (stack), the socket's opening second */
        html_stack(out, f->req_sampled ? "request site (sampled)" : "request sent at", &f->stack,
                   true);
        html_stack(out, "socket opened at", &f->open_stack, true);
    } else {
        html_stack(out, "opened at", &f->stack, true);
        html_stack(out, "first closed at", &f->first_close_stack, false);
        html_stack(out, "the socket on that fd was opened at", &f->open_stack, false);
    }
    for (size_t j = 0; j < f->ngsites; j++) {
        char title[64];
        snprintf(title, sizeof(title), "growing site %zu (%+.1f/min)", j + 1,
                 f->gsites[j].slope_per_min);
        html_stack(out, title, &f->gsites[j].stack, false);
    }
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (mem) {
        render_text_finding(mem, f, false);
        fclose(mem);
        fputs("<details class=\"text\"><summary>as the text report says it</summary><pre>", out);
        html_put(out, text);
        fputs("</pre></details>\n", out);
    }
    free(text);
    fputs("</article>\n", out);
}

static void html_notes(FILE *out, const struct report *r)
{
    fprintf(out, "<section id=\"notes\"><h2>Notes (%zu)</h2>\n", r->notes.n);
    if (!r->notes.n) fputs("<p>none</p>\n", out);
    fputs("<ul class=\"notes\">\n", out);
    for (size_t i = 0; i < r->notes.n; i++) {
        fputs("<li class=\"note\">", out);
        html_put(out, r->notes.v[i]);
        fputs("</li>\n", out);
    }
    fputs("</ul></section>\n", out);
}

/* What suppressions and the baseline took out, as the text report says it. */
static void html_filtered(FILE *out, const struct filter *flt)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem) return;
    struct text t = {.out = mem};
    text_filtered(&t, flt);
    for (unsigned i = 0; i < ESC_RING; i++) free(t.ring[i]);
    fclose(mem);
    if (len) {
        fputs("<section id=\"filtered\"><h2>Suppressed and baseline</h2><pre>", out);
        html_put(out, text);
        fputs("</pre></section>\n", out);
    }
    free(text);
}

void render_html(FILE *out, const struct report *r, const struct render_opts *ro)
{
    const char *prog = r->has_program && r->argv.n ? path_basename(r->argv.v[0])
                       : r->nprocs                 ? process_name(&r->procs[0])
                                                   : "";
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "style-src 'unsafe-inline'; img-src data:\">\n<title>connleak report",
          out);
    if (*prog) fputs(": ", out);
    html_put(out, prog);
    fprintf(out, "</title>\n<style>\n%s</style></head>\n<body>\n<header><h1>connleak report",
            html_css);
    if (*prog) fputs(": <code>", out);
    html_put(out, prog);
    fputs(*prog ? "</code></h1>\n" : "</h1>\n", out);
    html_verdict(out, r);
    html_program(out, r);
    fprintf(out, "</header>\n<section id=\"findings\"><h2>Findings (%zu)</h2>\n", r->findings.n);
    if (!r->findings.n) fputs("<p class=\"no-findings\">No finding.</p>\n", out);
    for (size_t i = 0; i < r->findings.n; i++) html_finding(out, &r->findings.v[i], i);
    fputs("</section>\n", out);
    html_charts(out, r);
    html_notes(out, r);
    if (ro && ro->filter) html_filtered(out, ro->filter);
    fputs("<footer><p>connleak " CONNLEAK_VERSION "</p></footer>\n</body></html>\n", out);
}
