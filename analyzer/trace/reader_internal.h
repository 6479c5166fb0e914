/* reader_internal.h - what the files of the trace reader share: the reader's
 * state, the field index of a record, and each file's functions. Internal
 * to trace/: other folders include trace/trace_read.h only (check-layers.sh
 * refuses an *_internal.h included from another folder).
 *
 * Who does what (one concern per file):
 *   lines.c          record reading: a bounded reader over read(2) that
 *                    hands out JSON lines and binary frames; line 1
 *   header.c         the header line, and what is assumed when it is damaged
 *   records.c        the record-kind dispatch table, for JSON lines and
 *                    binary frames alike
 *   binrec.c         format 2's binary frames as the JSON objects they
 *                    stand for (common/tracebin.h)
 *   fields.c         the per-line cJSON arena and the field index (struct rec)
 *   ids.c            socket ids and stack ids to dense indexes
 *   decode_socket.c  decoding of mod, stk, open, conn, listen, dup, close,
 *                    badclose, live and end records
 *   decode_http.c    HTTP state of sockets, and client handles (hnew, huse, hfree)
 *   decode_kernel.c  the sampler's records (sample, ktcp, dump), agg, note
 *   finish.c         validation at the end of a trace: damage notes, the
 *                    live set of a cut-short trace rebuilt
 *   trace_read.c     opening the file and driving the above (trace_read.h) */
#ifndef CONNLEAK_TRACE_READER_INTERNAL_H
#define CONNLEAK_TRACE_READER_INTERNAL_H

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trace/sidmap.h"
#include "trace/trace_read.h"
#include "tracebin.h"

#define MAX_STACK_DEPTH 1024      /* frames kept per stk record */
#define MAX_LINE        (1 << 20) /* longer lines are skipped */
#define READ_CHUNK      (1 << 16)

enum sock_state { SOCK_OPEN = 1, SOCK_CLOSED };

/* One socket as the events describe it (the live set of a cut-short trace is
 * rebuilt from these). */
struct sock {
    uint64_t sid;
    uint64_t opened; /* ts of its open record */
    uint64_t seq;    /* its open record's rank among the trace's opens */
    uint32_t stk;
    uint32_t peer; /* index into process.peers; 0 = unknown */
    uint16_t nfds; /* fds currently referring to it (saturates) */
    uint8_t state; /* enum sock_state */
    uint8_t role;  /* enum sock_role */
    bool inherited;
    bool stream; /* SOCK_STREAM (or type not given) */
    bool noconn; /* never connected: the preload's conn ENOTCONN mark at close */
};

/* What the sampler's ktcp records said of one socket. */
struct ksock {
    uint64_t cw_since; /* ts of the first record with CLOSE_WAIT; 0 = none */
    uint32_t rq;
    uint8_t kstate; /* enum kstate */
};

/* What a binary record needs of the ones before it (binrec.c). */
struct binrec_state {
    uint64_t last_ts; /* the previous binary record's ts */
    bool have_ts;     /* ...is known: a delta may follow (v3: the segment is in step) */
    uint8_t version;  /* the header's format version (0: unknown, read as TRACE_VERSION) */
    /* v3: the previous frame's socket, and the segment's numbered strings */
    bool have_sock;
    uint64_t sid;
    int64_t fd;
    unsigned int nstr;
    uint8_t str_len[TB_SEG_STRS];
    char str[TB_SEG_STRS][TB_SEG_STR_MAX];
};

struct reader {
    struct process *p;
    struct binrec_state bin;
    struct strlist *notes;
    const char *name;
    size_t lineno;
    size_t bad_lines, first_bad;
    size_t long_lines, first_long;
    size_t after_end, first_after_end; /* records after the end record */
    bool stop;                         /* a second header: the rest is not this trace */
    const char *header_damage;         /* what is wrong with line 1; NULL = a good header */
    size_t nrecords;                   /* records of a known kind read */
    struct strlist *held;              /* notes of the lines after a damaged header */
    struct sock *socks; /* the open ones; a closed one's slot is reused (sock_fold) */
    size_t nsocks, capsocks;
    uint32_t *free_socks; /* indexes of the slots of closed sockets */
    size_t nfree, capfree;
    uint64_t nopens; /* open records so far (sock.seq) */
    struct sidmap sids;
    struct sidmap hids;      /* handle id -> index in p->handles + 1 */
    struct hindex mod_index; /* modules by path and lo */
    struct idmap stk_ids;    /* trace stack id -> index in p->stacks */
    struct idmap py_ids;     /* trace pystk id -> index in p->pystacks */
    struct live_sock *fin;   /* closed by CPython's finalization: live at exit */
    size_t nfin, capfin;
    bool in_live_batch;   /* no socket event since the last live record */
    uint32_t batch_dump;  /* the dump of the current live batch; 0 = at exit */
    struct ksock *ksocks; /* what ktcp records said, by socket */
    size_t nksocks, capksocks;
    struct sidmap kids;      /* sid -> index in ksocks + 1 */
    size_t tw_last;          /* index + 1 of the tw_site of the last client close */
    struct hindex agg_index; /* process.aggs by (stk, peer) */
};

enum field {
    F_T,
    F_TS,
    F_SID,
    F_FD,
    F_STK,
    F_PEER,
    F_ROLE,
    F_INHERITED,
    F_ERR,
    F_LAST,
    F_KIND,
    F_PREV_STK,
    F_PREV_CLOSE_STK,
    F_OPENED,
    F_LAST_IO,
    F_IN,
    F_OUT,
    F_ID,
    F_PC,
    F_PATH,
    F_BASE,
    F_LO,
    F_HI,
    F_BID,
    F_WHAT,
    F_DETAIL,
    F_LIVE,
    F_CLOSED,
    F_BADCLOSE_DROPPED,
    F_LOST,
    F_HTTP,
    F_EOF,
    F_PASSED,
    F_FAM,
    F_H,
    F_URL,
    F_REQS,
    F_RESPS,
    F_AWAIT,
    F_PHASE,
    F_STATUS,
    F_EXPECT,
    F_READ,
    F_KA,
    F_METHOD,
    F_TARGET,
    F_HOST,
    F_TLS,
    F_TUNNEL,
    F_FDS,
    F_NOFILE,
    F_SOCKS,
    F_SITES,
    F_PEERS,
    F_TW,
    F_STATE,
    F_RQ,
    F_KSTATE,
    F_DUMP,
    F_N,
    F_TYPE,
    F_LATE,
    F_FIRST,
    F_ACTIVE,
    F_ONE_REQ_KA,
    F_DISCARDED,
    F_EXAMPLE,
    F_POOL,
    F_GO,
    F_BEFORE_ATTACH,
    F_WHY,
    F_PY,
    F_F,
    F_FIN,
    F_READ_LAST,
    F_TCP,
    F_TESTNAME,
    F_SAMPLED,
    F_REQ_STK,
    F_EST,
    F_COUNT
};

struct rec {
    const cJSON *f[F_COUNT]; /* first member with that name, or NULL */
};

/* LINE_FRAME: a binary frame, '\n' included (tracebin.h). */
enum line_status { LINE_OK, LINE_FRAME, LINE_PARTIAL, LINE_LONG, LINE_EOF, LINE_ERROR };

struct lines {
    int fd, err;
    char *buf;
    size_t start, scan, end, cap; /* the current line starts at start; no \n before scan */
    bool skipping;                /* inside a line that was too long */
};

/* fields.c */
void arena_reset(void);
void arena_begin(void);
void arena_end(void);
void rec_index(struct rec *rec, const cJSON *o);
int field_of_name(const char *name); /* enum field, or -1 */
bool value_bool_or(const cJSON *v, bool dflt);
bool parse_hex(const char *s, uint64_t *out);
bool rec_u64(const struct rec *o, enum field f, uint64_t *out);
uint64_t rec_u64_or(const struct rec *o, enum field f, uint64_t dflt);
uint32_t rec_id(const struct rec *o, enum field f);
const char *rec_str(const struct rec *o, enum field f);
bool rec_bool_or(const struct rec *o, enum field f, bool dflt);
bool rec_hex(const struct rec *o, enum field f, uint64_t *out);
bool json_u64(const cJSON *o, const char *key, uint64_t *out);
uint64_t json_u64_or(const cJSON *o, const char *key, uint64_t dflt);
const char *json_str(const cJSON *o, const char *key);

/* ids.c */
struct sock *sock_get(struct reader *r, uint64_t sid, bool create);
void sock_fold(struct reader *r, struct sock *s);
uint32_t stack_ref(struct reader *r, const struct rec *o, enum field f);
void ts_seen(struct reader *r, const struct rec *o);

/* decode_http.c */
uint32_t intern_cut(struct strtab *t, const char *s);
uint32_t rec_u32_sat(const struct rec *o, enum field f);
int64_t rec_expect(const struct rec *o);
uint32_t http_push(struct process *p, const struct http_state *h);
uint64_t add_sat(uint64_t a, uint64_t b);
void peer_reqs_add(struct process *p, uint32_t peer, uint64_t reqs);
void close_http(struct reader *r, const struct sock *s, const struct rec *rec);
uint32_t live_http(struct reader *r, const struct rec *rec);
bool read_hnew(struct reader *r, const struct rec *o);
bool read_huse(struct reader *r, const struct rec *o);
bool read_gobody(struct reader *r, const struct rec *o);
bool read_hfree(struct reader *r, const struct rec *o);

/* decode_python.c */
bool read_pystk(struct reader *r, const struct rec *o);
bool close_by_finalizer(struct reader *r, const struct sock *s, const struct rec *o);
void fin_add_live(struct reader *r);
uint32_t pystk_ref(struct reader *r, const struct rec *o);

/* decode_socket.c */
bool read_mod(struct reader *r, const struct rec *o);
bool read_stk(struct reader *r, const struct rec *o);
bool read_open(struct reader *r, const struct rec *o);
struct sock *event_sock(struct reader *r, const struct rec *o, bool *ok);
bool read_conn(struct reader *r, const struct rec *o);
bool read_listen(struct reader *r, const struct rec *o);
bool read_dup(struct reader *r, const struct rec *o);
bool read_close(struct reader *r, const struct rec *o);
bool read_badclose(struct reader *r, const struct rec *o);
bool read_live(struct reader *r, const struct rec *o);
bool read_end(struct reader *r, const struct rec *o);

/* decode_kernel.c */
void tw_close(struct reader *r, const struct sock *s, const struct rec *o);
bool value_i64(const cJSON *v, int64_t *out);
bool read_sample(struct reader *r, const struct rec *o);
bool read_ktcp(struct reader *r, const struct rec *o);
bool read_dump(struct reader *r, const struct rec *o);
void live_kernel(const struct reader *r, struct live_sock *l);
bool read_agg(struct reader *r, const struct rec *o);
bool read_note(struct reader *r, const struct rec *o);
bool read_mark(struct reader *r, const struct rec *o);
bool read_ignored(struct reader *r, const struct rec *o);

/* header.c */
int read_header(struct reader *r, const char *line, size_t len, char **why);
void header_damaged(struct reader *r);

/* binrec.c: the object a frame stands for (cJSON_Delete it), or NULL and
 * *err saying what is wrong with it; rec (if not NULL) gets its index */
cJSON *binrec_decode(struct binrec_state *st, const uint8_t *frame, size_t n, struct rec *rec,
                     const char **err);

/* records.c */
bool read_record(struct reader *r, const char *line, size_t len);
bool read_frame(struct reader *r, const char *frame, size_t len);
bool line_is_blank(const char *line, size_t len);
void line_bad(struct reader *r);

/* lines.c */
enum line_status lines_next(struct lines *l, char **line, size_t *len);
int read_lines(struct reader *r, struct lines *in, char **why);

/* trace_read.c */
int trace_open(const char *path, struct stat *st, char **why);

/* finish.c */
void trace_finish(struct reader *r);

#endif
