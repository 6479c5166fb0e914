/* report_tests.c - the tests a run marked (include/connleak.h), for the
 * renderers: JUnit writes a testcase for each, JSON lists them. */
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

void report_tests(const struct report *r, struct strlist *out)
{
    for (size_t i = 0; i < r->nprocs; i++) {
        const struct process *p = &r->procs[i];
        for (size_t k = 0; k < p->nmarks; k++) {
            const char *name = strtab_get(&p->texts, p->marks[k].test);
            if (name && !strlist_contains(out, name)) strlist_push(out, xstrdup(name));
        }
    }
}

bool finding_in_test(const struct finding *f, const char *test)
{
    for (size_t i = 0; i < f->ntests; i++)
        if (strcmp(f->tests[i], test) == 0) return true;
    return false;
}
