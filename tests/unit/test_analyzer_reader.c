/* test_analyzer_reader.c - the trace reader (analyzer/trace/) on the
 * hand-written traces of tests/data: what it keeps from a good trace, how it
 * survives a bad one, and how it rebuilds the live set of a cut-short one;
 * also hostile inputs: far sids, records after the end, a second header,
 * over-long lines, FIFOs and devices named like traces; a trace a full disk
 * cut (a disk-full note, or the TRACE.disk-full marker file). */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "model/model.h"
#include "report/report.h"
#include "trace/trace_read.h"
#include "util/util.h"

struct loaded {
    struct process p;
    struct strlist notes;
    char *why;
    int rc;
};

static struct loaded *load(const char *name)
{
    struct loaded *l = calloc(1, sizeof(*l));
    char *path = xasprintf("%s/%s", TEST_DATA, name);
    l->rc = trace_read_file(path, &l->p, &l->notes, &l->why);
    free(path);
    return l;
}

static void unload(struct loaded *l)
{
    process_free(&l->p);
    strlist_free(&l->notes);
    free(l->why);
    free(l);
}

/* The one note containing `needle`, or NULL. */
static const char *note_with(const struct loaded *l, const char *needle)
{
    for (size_t i = 0; i < l->notes.n; i++)
        if (strstr(l->notes.v[i], needle)) return l->notes.v[i];
    return NULL;
}

static const struct live_sock *live_by_sid(const struct process *p, uint64_t sid)
{
    for (size_t i = 0; i < p->nlive; i++)
        if (p->live[i].sid == sid) return &p->live[i];
    return NULL;
}

static void complete_trace_gives_header_modules_stacks_and_live_set(void **state)
{
    (void)state;
    struct loaded *l = load("complete.jsonl");
    const struct process *p = &l->p;
    assert_int_equal(l->rc, 0);
    assert_int_equal(p->pid, 4242);
    assert_int_equal(p->ppid, 4241);
    assert_string_equal(p->exe, "/src/build/leaky");
    assert_int_equal(p->argv.n, 2);
    assert_string_equal(p->argv.v[1], "3");
    assert_false(p->forked);
    assert_true(p->complete);
    assert_int_equal(p->issues, 0);
    assert_false(p->cut_short);
    assert_int_equal(p->nmods, 1);
    assert_string_equal(p->mods[0].path, "/nonexistent/leaky");
    assert_int_equal(p->mods[0].lo, 0x400000);
    /* three stacks, renumbered 1..3; [0] is "no stack" */
    assert_int_equal(p->nstacks, 4);
    assert_int_equal(p->stacks[1].id, 900);
    assert_int_equal(p->stacks[1].n, 2);
    assert_int_equal(p->stacks[1].pc[1], 0x7f0000002222);
    assert_int_equal(p->totals.opened, 6);
    assert_int_equal(p->totals.closed, 1);
    assert_int_equal(p->totals.live, 5);
    assert_int_equal(p->nlive, 5);
    /* unknown record types and fields are skipped without a word */
    assert_int_equal(l->notes.n, 0);
    unload(l);
}

static void live_records_carry_role_peer_bytes_and_times(void **state)
{
    (void)state;
    struct loaded *l = load("complete.jsonl");
    const struct process *p = &l->p;
    const struct live_sock *s2 = live_by_sid(p, 2), *s1 = live_by_sid(p, 1);
    assert_non_null(s2);
    assert_non_null(s1);
    assert_int_equal(s2->role, ROLE_CLIENT);
    assert_string_equal(strtab_get(&p->peers, s2->peer), "10.0.0.1:80");
    assert_int_equal(p->stacks[s2->stk].id, 900);
    assert_int_equal(s2->opened, 2000000);
    assert_int_equal(s2->at, 50000000);
    assert_int_equal(s2->last_io, 10000000);
    assert_int_equal(s2->in, 1000);
    assert_int_equal(s2->out, 100);
    assert_int_equal(s1->role, ROLE_LISTENER);
    assert_int_equal(s1->peer, 0);
    unload(l);
}

static void incomplete_last_line_is_ignored_with_a_note(void **state)
{
    (void)state;
    struct loaded *l = load("truncated_last_line.jsonl");
    assert_int_equal(l->rc, 0);
    assert_true(l->p.complete); /* the end record came before the cut */
    assert_int_equal(l->p.nlive, 5);
    assert_non_null(note_with(l, "ignored an incomplete last line"));
    assert_true(l->p.cut_short);
    assert_int_equal(l->p.issues, 0);
    unload(l);
}

static void malformed_middle_lines_are_skipped_and_counted(void **state)
{
    (void)state;
    struct loaded *l = load("garbage_middle.jsonl");
    assert_int_equal(l->rc, 0);
    /* not JSON, an open without sid, an array, a stk with a bad pc (a sid far
     * beyond anything opened is fine: sockets are looked up by sid, and the
     * table grows with the open records, not with the sid's value) */
    assert_non_null(note_with(l, "skipped 4 malformed lines (first at line 9)"));
    assert_int_equal(l->p.issues, 4);
    assert_true(l->p.complete);
    assert_int_equal(l->p.nlive, 5);
    assert_int_equal(l->p.nstacks, 4);
    unload(l);
}

static void file_without_header_is_not_a_trace(void **state)
{
    (void)state;
    struct loaded *l = load("no_header.jsonl");
    assert_int_equal(l->rc, -1);
    assert_non_null(l->why);
    assert_non_null(strstr(l->why, "not a connleak trace"));
    assert_int_equal(l->p.nlive, 0);
    assert_null(l->p.trace);
    unload(l);
}

static void newer_format_version_is_refused(void **state)
{
    (void)state;
    struct loaded *l = load("newer_version.jsonl");
    assert_int_equal(l->rc, -1);
    assert_non_null(strstr(l->why, "version 4 is newer"));
    unload(l);
}

static void empty_and_missing_files_are_refused(void **state)
{
    (void)state;
    struct loaded *l = load("empty.jsonl");
    assert_int_equal(l->rc, -1);
    assert_non_null(strstr(l->why, "empty file"));
    unload(l);
    l = load("no-such-file.jsonl");
    assert_int_equal(l->rc, -1);
    assert_non_null(strstr(l->why, "cannot read"));
    unload(l);
}

static void trace_without_end_rebuilds_the_live_set(void **state)
{
    (void)state;
    struct loaded *l = load("no_end.jsonl");
    const struct process *p = &l->p;
    assert_int_equal(l->rc, 0);
    assert_false(p->complete);
    assert_int_equal(p->issues, 0);
    assert_non_null(note_with(l, "trace of pid 77 ends without an exit record"));
    /* sid 4 was closed; the rest is live, as of the last ts seen (9 ms) */
    assert_int_equal(p->nlive, 4);
    assert_null(live_by_sid(p, 4));
    const struct live_sock *s1 = live_by_sid(p, 1), *s2 = live_by_sid(p, 2);
    const struct live_sock *s3 = live_by_sid(p, 3), *s5 = live_by_sid(p, 5);
    assert_non_null(s1);
    assert_non_null(s2);
    assert_non_null(s3);
    assert_non_null(s5);
    assert_int_equal(s1->role, ROLE_CLIENT);
    assert_string_equal(strtab_get(&p->peers, s1->peer), "1.2.3.4:80");
    assert_int_equal(s1->at - s1->opened, 8000000);
    assert_int_equal(s2->role, ROLE_SOCKET); /* its connect failed */
    assert_int_equal(s3->role, ROLE_LISTENER);
    assert_int_equal(s5->role, ROLE_ACCEPTED);
    assert_string_equal(strtab_get(&p->peers, s5->peer), "5.6.7.8:999");
    assert_int_equal(p->totals.opened, 5);
    assert_int_equal(p->totals.closed, 1);
    assert_int_equal(p->totals.live, 4);
    unload(l);
}

static void socket_stays_open_until_its_last_fd_closes(void **state)
{
    (void)state;
    struct loaded *l = load("dup_close.jsonl");
    const struct process *p = &l->p;
    assert_int_equal(l->rc, 0);
    /* 1: dup'd, one fd closed (last:false) -> open
     * 2: dup'd, both closed (last:true) -> closed
     * 3: dup'd, one closed, no `last` field -> open (one fd left)
     * 4: dup'd, both closed, no `last` field -> closed
     * 5: closed by dup2 over it -> closed */
    assert_int_equal(p->nlive, 2);
    assert_non_null(live_by_sid(p, 1));
    assert_non_null(live_by_sid(p, 3));
    assert_int_equal(p->closed, 3);
    /* a close naming a sid never opened is ignored, not malformed */
    assert_null(note_with(l, "malformed"));
    unload(l);
}

static void a_later_live_batch_replaces_a_dump(void **state)
{
    (void)state;
    struct loaded *l = load("dump_then_exit.jsonl");
    assert_int_equal(l->rc, 0);
    assert_int_equal(l->p.nlive, 1);
    assert_int_equal(l->p.live[0].sid, 2);
    assert_int_equal(l->p.live[0].at, 500);
    assert_non_null(note_with(l, "pid 61: the program closed connleak's trace fd"));
    unload(l);
}

static void bad_closes_are_kept_with_their_stacks(void **state)
{
    (void)state;
    struct loaded *l = load("badclose.jsonl");
    const struct process *p = &l->p;
    assert_int_equal(l->rc, 0);
    assert_int_equal(p->nbad, 10); /* the unknown kind is skipped */
    assert_int_equal(p->bad[0].kind, BADCLOSE_DOUBLE);
    assert_int_equal(p->bad[0].fd, 5);
    assert_int_equal(p->stacks[p->bad[0].stk].id, 1);
    assert_int_equal(p->stacks[p->bad[0].prev_stk].id, 4);
    assert_int_equal(p->bad[2].prev_stk, 0);
    assert_int_equal(p->bad[3].kind, BADCLOSE_FOREIGN);
    unload(l);
}

/* A forked child's sids continue its parent's counter: a parent that opened
 * 200,000 sockets has a child whose first sid is 200,001. */
static void child_sids_far_above_its_open_count_are_kept(void **state)
{
    (void)state;
    struct loaded *l = load("child_far_sids.jsonl");
    const struct process *p = &l->p;
    assert_int_equal(l->rc, 0);
    assert_int_equal(p->issues, 0);
    assert_null(note_with(l, "malformed"));
    assert_int_equal(p->totals.opened, 5);
    assert_int_equal(p->totals.closed, 1);
    /* no end record: the live set is rebuilt from the events */
    assert_int_equal(p->nlive, 4);
    assert_non_null(live_by_sid(p, 5));
    assert_true(live_by_sid(p, 5)->inherited);
    assert_non_null(live_by_sid(p, 200001));
    assert_null(live_by_sid(p, 200003));
    assert_non_null(live_by_sid(p, 9007199254740000));
    const struct live_sock *c = live_by_sid(p, 200002);
    assert_non_null(c);
    assert_int_equal(c->role, ROLE_CLIENT);
    assert_string_equal(strtab_get(&p->peers, c->peer), "10.0.0.1:80");
    unload(l);
}

static void records_after_the_end_record_are_ignored_and_counted(void **state)
{
    (void)state;
    struct loaded *l = load("after_end.jsonl");
    const struct process *p = &l->p;
    assert_int_equal(l->rc, 0);
    assert_true(p->complete);
    /* the open, close, live and end after the first end change nothing */
    assert_int_equal(p->nlive, 1);
    assert_int_equal(p->live[0].sid, 1);
    assert_int_equal(p->totals.opened, 1);
    assert_int_equal(p->totals.live, 1);
    assert_non_null(note_with(l, "ignored 4 records after the end record (first at line 5)"));
    assert_int_equal(p->issues, 4);
    unload(l);
}

static void a_second_header_ends_the_trace(void **state)
{
    (void)state;
    struct loaded *l = load("two_traces.jsonl");
    const struct process *p = &l->p;
    assert_int_equal(l->rc, 0);
    assert_int_equal(p->pid, 1);
    assert_int_equal(p->nlive, 1);
    assert_string_equal(strtab_get(&p->peers, p->live[0].peer), "A:1");
    assert_non_null(note_with(l, "a second header at line 5"));
    assert_null(note_with(l, "after the end record"));
    assert_null(note_with(l, "malformed"));
    assert_true(p->issues > 0);
    unload(l);
}

static void a_live_batch_that_events_follow_is_not_the_live_set(void **state)
{
    (void)state;
    struct loaded *l = load("stale_live.jsonl");
    assert_int_equal(l->rc, 0);
    assert_true(l->p.complete);
    assert_int_equal(l->p.nlive, 0); /* sid 1 was closed after the dump */
    assert_int_equal(l->p.totals.live, 0);
    assert_null(note_with(l, "live sockets"));
    unload(l);
}

/* A scratch directory for traces made by a test. */
static char *scratch_dir(void)
{
    char *dir = xstrdup("/tmp/connleak-test-reader.XXXXXX");
    assert_non_null(mkdtemp(dir));
    return dir;
}

static struct loaded *load_path(const char *path)
{
    struct loaded *l = calloc(1, sizeof(*l));
    l->rc = trace_read_file(path, &l->p, &l->notes, &l->why);
    return l;
}

static void lines_over_1_mib_are_skipped_with_a_note(void **state)
{
    (void)state;
    char *dir = scratch_dir(), *path = xasprintf("%s/connleak-5.jsonl", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"t\":\"hdr\",\"format\":\"connleak-trace\",\"version\":1,\"pid\":5}\n", f);
    fputs("{\"t\":\"open\",\"sid\":1,\"fd\":3}\n", f);
    fputs("{\"t\":\"note\",\"detail\":\"", f);
    for (int i = 0; i < 3 * 1024 * 1024; i++) fputc('x', f);
    fputs("\"}\n", f);
    fputs("{\"t\":\"open\",\"sid\":2,\"fd\":4}\n", f);
    fclose(f);
    struct loaded *l = load_path(path);
    assert_int_equal(l->rc, 0);
    assert_non_null(note_with(l, "skipped 1 line longer than 1 MiB (first at line 3)"));
    assert_int_equal(l->p.issues, 1);
    assert_int_equal(l->p.nlive, 2); /* the line after the long one is read */
    assert_null(note_with(l, "xxxx"));
    unload(l);
    unlink(path);
    rmdir(dir);
    free(path);
    free(dir);
}

static void sigalrm_fail(int sig)
{
    (void)sig;
    fail_msg("reading the trace hung");
}

/* A FIFO named like a trace would block a reader forever; a symlink to
 * /dev/zero would feed it without end. Only regular files are traces. */
/* The recorder's disk-full note: the trace stops there, the note says after
 * how many records and why, and the report is incomplete, not leaks. */
static void a_disk_full_note_makes_the_report_incomplete(void **state)
{
    (void)state;
    struct loaded *l = load("disk_full.jsonl");
    const struct process *p = &l->p;
    assert_int_equal(l->rc, 0);
    assert_true(p->write_failed);
    assert_string_equal(p->write_errno, "EDQUOT");
    assert_false(p->complete);
    assert_non_null(
        note_with(l, "trace incomplete: disk full after 5 records (pid 88, EDQUOT: quota)"));
    assert_null(note_with(l, "ends without an exit record")); /* the reason is known */
    assert_int_equal(p->nlive, 1);
    unload(l);

    struct report r;
    report_init(&r);
    char *path = xasprintf("%s/disk_full.jsonl", TEST_DATA);
    assert_int_equal(report_add_trace(&r, path), 0);
    struct rule_opts ro = {0};
    report_analyze(&r, &ro);
    assert_int_equal(r.status, STATUS_INCOMPLETE);
    assert_string_equal(status_name(r.status), "incomplete");
    assert_true(r.findings.n > 0); /* what was written is still reported */
    assert_non_null(strstr(r.incomplete_line, "disk full after 5 records (pid 88)"));
    assert_true(report_has_problems(&r));
    free(path);
    report_free(&r);
}

/* Not even the note could be written: the marker file says the same, after
 * the records read (the cut last line is not one). */
static void a_disk_full_marker_is_the_same_note(void **state)
{
    (void)state;
    struct loaded *l = load("disk_full_marker.jsonl");
    assert_int_equal(l->rc, 0);
    assert_true(l->p.write_failed);
    assert_string_equal(l->p.write_errno, "");
    assert_non_null(note_with(l, "trace incomplete: disk full after 3 records (pid 89)"));
    unload(l);
    l = load("no_end.jsonl"); /* no marker next to it: only cut short */
    assert_false(l->p.write_failed);
    assert_null(note_with(l, "trace incomplete"));
    unload(l);
}

static void fifos_and_devices_are_not_traces(void **state)
{
    (void)state;
    char *dir = scratch_dir();
    char *fifo = xasprintf("%s/connleak-2.jsonl", dir),
         *zero = xasprintf("%s/connleak-3.jsonl", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(symlink("/dev/zero", zero), 0);
    signal(SIGALRM, sigalrm_fail);
    alarm(10);
    struct loaded *l = load_path(fifo);
    assert_int_equal(l->rc, -1);
    assert_non_null(strstr(l->why, "not a regular file"));
    unload(l);
    l = load_path(zero);
    assert_int_equal(l->rc, -1);
    assert_non_null(strstr(l->why, "not a regular file"));
    unload(l);
    alarm(0);
    unlink(fifo);
    unlink(zero);
    rmdir(dir);
    free(fifo);
    free(zero);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(complete_trace_gives_header_modules_stacks_and_live_set),
        cmocka_unit_test(live_records_carry_role_peer_bytes_and_times),
        cmocka_unit_test(incomplete_last_line_is_ignored_with_a_note),
        cmocka_unit_test(malformed_middle_lines_are_skipped_and_counted),
        cmocka_unit_test(file_without_header_is_not_a_trace),
        cmocka_unit_test(newer_format_version_is_refused),
        cmocka_unit_test(empty_and_missing_files_are_refused),
        cmocka_unit_test(trace_without_end_rebuilds_the_live_set),
        cmocka_unit_test(socket_stays_open_until_its_last_fd_closes),
        cmocka_unit_test(a_later_live_batch_replaces_a_dump),
        cmocka_unit_test(bad_closes_are_kept_with_their_stacks),
        cmocka_unit_test(child_sids_far_above_its_open_count_are_kept),
        cmocka_unit_test(records_after_the_end_record_are_ignored_and_counted),
        cmocka_unit_test(a_second_header_ends_the_trace),
        cmocka_unit_test(a_live_batch_that_events_follow_is_not_the_live_set),
        cmocka_unit_test(lines_over_1_mib_are_skipped_with_a_note),
        cmocka_unit_test(fifos_and_devices_are_not_traces),
        cmocka_unit_test(a_disk_full_note_makes_the_report_incomplete),
        cmocka_unit_test(a_disk_full_marker_is_the_same_note),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
