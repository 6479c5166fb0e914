/* rules_tests.c - per-test attribution (include/connleak.h): each finding
 * of a process that marked its tests gets the tests during which its
 * sockets were opened.
 *
 * Run after the rules, on their per-process groups (still keyed by stack
 * id): a group is found again from what it was made of. The live-socket
 * kinds take the live sockets of its opening stack whose verdict is its
 * kind; client-handle-leak the unreleased handles of its creating stack
 * and kind; double-close and foreign-close the bad closes of its stack;
 * discarded-body the closed sockets of its stack. The other kinds
 * (no-connection-reuse, time-wait-storm, fd-growth, unbounded-pool,
 * missing-body-close, and the counted sockets of a bounded trace) are a
 * pattern over many sockets and name no test. Tests are listed in the
 * order the process marked them; merging groups across processes keeps
 * one finding per call site listing all its tests. */
#include "rules/rules.h"

#include <stdlib.h>

struct test_set {
    bool *has; /* by id of process.texts */
    size_t n;
};

static void test_set_add(struct test_set *s, const struct process *p, uint64_t ts)
{
    uint32_t id = process_test_at(p, ts);
    if (id && id < s->n) s->has[id] = true;
}

static bool is_live_kind(enum finding_kind k)
{
    return k == KIND_ORPHAN || k == KIND_UNCLOSED_BODY || k == KIND_STUCK_REQUEST ||
           k == KIND_CLOSE_WAIT;
}

static void tests_of_live(const struct process *p, const struct finding *f,
                          const struct rule_opts *o, const struct http_opts *h, struct test_set *s)
{
    for (size_t i = 0; i < p->nlive; i++) {
        const struct live_sock *l = &p->live[i];
        if (l->stk != f->stk || live_verdict(p, l, o, h) != (int)f->kind) continue;
        if (f->kind == KIND_ORPHAN && !p->complete && live_idle_ns(l) < ms_to_ns(h->leak_after_ms))
            continue; /* as rules_orphan: not reported */
        test_set_add(s, p, l->opened);
    }
}

static void tests_of_group(const struct process *p, const struct finding *f,
                           const struct rule_opts *o, const struct http_opts *h, struct test_set *s)
{
    if (is_live_kind(f->kind)) {
        tests_of_live(p, f, o, h, s);
    } else if (f->kind == KIND_HANDLE_LEAK) {
        for (size_t i = 0; i < p->nhandles; i++) {
            const struct handle *hd = &p->handles[i];
            if (!hd->freed && hd->stk == f->stk && hd->kind == f->handle)
                test_set_add(s, p, hd->created);
        }
    } else if (f->kind == KIND_DOUBLE_CLOSE || f->kind == KIND_FOREIGN_CLOSE) {
        for (size_t i = 0; i < p->nbad; i++)
            if (p->bad[i].stk == f->stk) test_set_add(s, p, p->bad[i].ts);
    } else if (f->kind == KIND_DISCARDED_BODY) {
        for (size_t i = 0; i < p->ndiscarded; i++)
            if (p->discarded[i].stk == f->stk) test_set_add(s, p, p->discarded[i].opened);
    }
}

/* The tests of the set, in the order of the process' marks. */
static void tests_put(const struct process *p, struct finding *f, struct test_set *s)
{
    for (size_t i = 0; i < p->nmarks; i++) {
        uint32_t id = p->marks[i].test;
        if (!id || id >= s->n || !s->has[id]) continue;
        s->has[id] = false;
        finding_add_test(f, strtab_get(&p->texts, id));
    }
}

void rules_tests(const struct process *p, const struct rule_opts *o, const struct http_opts *h,
                 struct findings *fs)
{
    if (!p->nmarks) return;
    struct test_set s = {xcalloc(p->texts.n + 1, sizeof(bool)), p->texts.n + 1};
    for (size_t i = 0; i < fs->n; i++) {
        tests_of_group(p, &fs->v[i], o, h, &s);
        tests_put(p, &fs->v[i], &s);
    }
    free(s.has);
}
