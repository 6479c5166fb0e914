/* tring.h - per-thread record rings (tring.c).
 *
 * Each thread of the program puts its trace records into a ring of its
 * own, with no lock and no system call (a thread's first record maps its
 * ring), numbering each from one process-wide counter as it publishes it.
 * Whoever flushes the trace (the flusher thread, or the exit, exec and fork
 * paths), under cl_trace_lock, merges the rings back into that numbered
 * order and hands each record to trace.c, which frames it into the file's
 * buffer: the file holds the records in the order the program made them,
 * as it did when every thread appended under one lock. */
#ifndef CONNLEAK_TRING_H
#define CONNLEAK_TRING_H

#include "preload.h"

#include "tracebin.h"

/* Where a drain hands the records, in order. */
struct tring_sink {
    void (*frame)(enum tb_rec type, uint64_t ts, const struct tb *b);
    void (*line)(const char *s, size_t n);
    void (*late)(uint64_t skipped); /* records it stopped waiting for (written later) */
};

void tring_init(void); /* before the first record: rings are given back at thread exit */

#define TRING_LINE_MAX (16u << 10) /* longer lines go through tring_line_through */

/* Puts a record into the calling thread's ring: false when it has no room
 * (the caller drains the rings and tries once more) or it is a line longer
 * than TRING_LINE_MAX. */
bool tring_put_frame(enum tb_rec type, uint64_t ts, const struct tb *b);
bool tring_put_line(const char *s, size_t n);

/* A frame written only if *claim can be cleared (it was set): 1 written,
 * 0 another thread cleared it first, -1 no room (nothing done: drain and
 * try once more). A thread that sees the claim cleared records after it. */
int tring_put_frame_claimed(enum tb_rec type, uint64_t ts, const struct tb *b,
                            _Atomic uint8_t *claim);

/* Under cl_trace_lock: hands every record published so far to the sink in
 * the order of their numbers. A number taken but not yet published (its
 * thread is between the two) is waited for, briefly; `final` waits less. */
void tring_drain(const struct tring_sink *sink, bool final);
/* Under cl_trace_lock, at exit: the records numbered up to the calling
 * thread's last one (its end record), and no later ones. */
void tring_drain_final(const struct tring_sink *sink);

/* Under cl_trace_lock: a line longer than TRING_LINE_MAX, written in its
 * turn (the records numbered before it first). */
void tring_line_through(const struct tring_sink *sink, const char *s, size_t n);
/* Under cl_trace_lock: a record that found no room even after a drain (the
 * spare ring, refilled by its other threads), written in its turn. */
void tring_frame_through(const struct tring_sink *sink, enum tb_rec type, uint64_t ts,
                         const struct tb *b);
int tring_frame_claimed_through(const struct tring_sink *sink, enum tb_rec type, uint64_t ts,
                                const struct tb *b, _Atomic uint8_t *claim);

void tring_after_fork_child(void); /* the parent writes what its rings held */
unsigned int tring_count(void);    /* rings mapped (tests) */
/* Tests: a number taken and not yet published, as by a thread preempted
 * between the two; then a line published under it, late. */
uint64_t tring_test_take(void);
bool tring_test_publish(uint64_t seq, const char *s, size_t n);
/* Tests: fn runs in the middle of each tring_put_line (as a signal handler
 * would); NULL: none. */
void tring_test_mid_put(void (*fn)(void));

#endif
