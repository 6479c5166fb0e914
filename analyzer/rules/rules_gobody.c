/* rules_gobody.c - missing-body-close: Go response bodies read to the end
 * and never closed (the probe's `gobody` records, one per request site).
 *
 * Nothing leaked: Go gives a connection back to its pool when its body is
 * read to the end, Close or not. But the program relies on every body
 * being read to its end; one read in part, or cut by an error, then keeps
 * its connection forever. A warning, one finding per request site. */
#include "rules/rules.h"

void rules_gobody(const struct process *p, struct findings *out)
{
    size_t first = out->n;
    for (size_t i = 0; i < p->ngounclosed; i++) {
        const struct go_unclosed *g = &p->gounclosed[i];
        struct finding *f = NULL;
        for (size_t j = first; j < out->n && !f; j++)
            if (out->v[j].stk == g->stk) f = &out->v[j];
        if (!f) {
            f = findings_add(out, KIND_MISSING_CLOSE);
            f->stk = g->stk;
            f->partial = !p->complete;
            finding_add_pid(f, p->pid);
        }
        f->count += g->n;
        const struct http_state *h = process_http(p, g->http);
        if (h && !f->http.set) finding_http_of(p, f, h, 0);
    }
}
