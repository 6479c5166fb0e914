/* test_analyzer_binrec.c - the trace's binary records (format 3, common/
 * tracebin.h), written with the encoder the preload uses: each one reads,
 * and dumps (`connleak trace-dump`), as exactly the JSON line it stands
 * for; a trace written both ways gives the same report; Host and target
 * strings named by number read back, within their segment only; frames
 * whose bytes hold '\n' are read whole; a frame cut short, a damaged
 * frame, a record relative to a damaged one and a record code this
 * version lacks are each handled as the format says (docs/trace-format.md). */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "analyzer_traces.h"
#include "render/render.h"
#include "trace/trace_read.h"
#include "tracebin.h"

/* A trace being written: bytes, binary-safe. */
struct tw {
    uint8_t *p;
    size_t len, cap;
    struct tb_seg seg;
    bool have; /* a binary record is in: the next one need not be an anchor */
};

static void tw_add(struct tw *w, const void *s, size_t n)
{
    if (w->len + n > w->cap) {
        w->cap = (w->len + n) * 2 + 256;
        w->p = realloc(w->p, w->cap);
        assert_non_null(w->p);
    }
    memcpy(w->p + w->len, s, n);
    w->len += n;
}

static void tw_line(struct tw *w, const char *line)
{
    tw_add(w, line, strlen(line));
    tw_add(w, "\n", 1);
}

static void tw_hdr(struct tw *w, int pid)
{
    char line[256];
    snprintf(line, sizeof(line),
             "{\"t\":\"hdr\",\"format\":\"connleak-trace\",\"version\":3,\"pid\":%d,"
             "\"exe\":\"/bin/x\",\"start_unix_ns\":%d}",
             pid, pid);
    tw_line(w, line);
    tw_line(w, "{\"t\":\"stk\",\"id\":1,\"pc\":[\"0x7f0000001000\"]}");
}

/* Appends the frame of b as the preload does: an anchor first (and after
 * w->have is cleared, as at the start of the writer's next buffer). */
static size_t tw_frame(struct tw *w, enum tb_rec type, uint64_t ts, const struct tb *b)
{
    uint8_t frame[TB_PAYLOAD_MAX + TB_FRAME_ROOM];
    assert_false(b->overflow);
    size_t n = tb_frame_put(frame, &w->seg, type, ts, !w->have, b);
    tw_add(w, frame, n);
    w->have = true;
    return n;
}

static char *tw_write(struct tw *w)
{
    char *path = xasprintf("%s/connleak-%d.jsonl", dir, ++ntraces);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(w->p, 1, w->len, f), w->len);
    fclose(f);
    free(w->p);
    *w = (struct tw){0};
    return path;
}

static struct cl_addr inet(const char *ip4, uint16_t port)
{
    struct cl_addr a = {.family = AF_INET, .port = port};
    assert_int_equal(sscanf(ip4, "%hhu.%hhu.%hhu.%hhu", &a.a[0], &a.a[1], &a.a[2], &a.a[3]), 4);
    return a;
}

/* ---- records, the way preload/events.c writes them ---- */

static void open_rec(struct tw *w, uint64_t ts, uint64_t sid, int fd)
{
    uint8_t mem[512];
    struct tb b;
    tb_init(&b, mem, sizeof(mem), TBR_OPEN);
    tb_u(&b, TBF_SID, sid);
    tb_i(&b, TBF_FD, fd);
    tb_word(&b, TBF_FAM, TBW_INET);
    tb_word(&b, TBF_TYPE, TBW_STREAM);
    tb_word(&b, TBF_ROLE, TBW_ROLE_SOCKET);
    tb_u(&b, TBF_STK, 1);
    tw_frame(w, TBR_OPEN, ts, &b);
}

static void conn_rec(struct tw *w, uint64_t ts, uint64_t sid, int fd, const char *ip, uint16_t port)
{
    uint8_t mem[512];
    struct tb b;
    struct cl_addr a = inet(ip, port);
    tb_init(&b, mem, sizeof(mem), TBR_CONN);
    tb_u(&b, TBF_SID, sid);
    tb_i(&b, TBF_FD, fd);
    tb_addr(&b, TBF_PEER, &a);
    tw_frame(w, TBR_CONN, ts, &b);
}

/* A last close after one whole GET / exchange (last_io 1000 ns before). */
static void close_rec(struct tw *w, uint64_t ts, uint64_t sid, int fd)
{
    uint8_t mem[512];
    struct tb b;
    tb_init(&b, mem, sizeof(mem), TBR_CLOSE);
    tb_u(&b, TBF_SID, sid);
    tb_i(&b, TBF_FD, fd);
    tb_word(&b, TBF_HOW, TBW_CLOSE);
    tb_bool(&b, TBF_LAST, true);
    tb_u(&b, TBF_IN, 153);
    tb_u(&b, TBF_OUT, 35);
    tb_u(&b, TBF_LAST_IO, 1000 + 1);
    tb_obj(&b, TBF_HTTP);
    tb_u(&b, TBF_REQS, 1);
    tb_u(&b, TBF_RESPS, 1);
    tb_u(&b, TBF_AWAIT, 0);
    tb_word(&b, TBF_PHASE, TBW_IDLE);
    tb_u(&b, TBF_STATUS, 200);
    tb_i(&b, TBF_EXPECT, 64);
    tb_u(&b, TBF_READ, 64);
    tb_bool(&b, TBF_KA, true);
    tb_word(&b, TBF_METHOD, TBW_GET);
    tb_str(&b, TBF_TARGET, "/items?id=7", 256);
    tb_str(&b, TBF_HOST, "api.internal", 256);
    tb_u(&b, TBF_STK, 1);
    tb_obj_end(&b);
    tw_frame(w, TBR_CLOSE, ts, &b);
}

static char *dump_of(const char *path, size_t *bad)
{
    char *buf = NULL, *why = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    int rc = trace_dump_file(path, out, bad, &why);
    fclose(out);
    assert_int_equal(rc, 0);
    return buf;
}

/* The dump of a trace without its header line. */
static char *records_of(const char *path, size_t *bad)
{
    char *all = dump_of(path, bad);
    size_t skip = strcspn(all, "\n");
    memmove(all, all + skip + (all[skip] != 0), strlen(all + skip + (all[skip] != 0)) + 1);
    return all;
}

/* ---- each record dumps as its JSON line ---- */

static void every_binary_record_dumps_as_the_json_line_it_stands_for(void **state)
{
    (void)state;
    struct tw w = {0};
    uint8_t mem[512];
    struct tb b;
    struct cl_addr v6 = {.family = AF_INET6, .port = 443, .a = {[15] = 1}};
    struct cl_addr un = {.family = AF_UNIX, .port = 1, .a = "@b\"u\\s\x01"}; /* escaped once */
    tw_hdr(&w, 7);
    open_rec(&w, 5000, 1, 3);
    conn_rec(&w, 5100, 1, 3, "10.1.2.3", 8080);
    tb_init(&b, mem, sizeof(mem), TBR_OPEN); /* a late open of an inherited socket */
    tb_u(&b, TBF_SID, 2);
    tb_i(&b, TBF_FD, 4);
    tb_word(&b, TBF_FAM, TBW_INET6);
    tb_str(&b, TBF_TYPE, "other:9", 16);
    tb_word(&b, TBF_ROLE, TBW_ROLE_ACCEPTED);
    tb_u(&b, TBF_STK, 1);
    tb_u(&b, TBF_INO, 77);
    tb_addr(&b, TBF_PEER, &v6);
    tb_addr(&b, TBF_LOCAL, &un);
    tb_u(&b, TBF_LSID, 9);
    tb_bool(&b, TBF_INHERITED, true);
    tb_bool(&b, TBF_LATE, true);
    tb_u(&b, TBF_OPENED, 100 + 1);
    tw_frame(&w, TBR_OPEN, 5050, &b); /* a time before the previous record's */
    tb_init(&b, mem, sizeof(mem), TBR_CONN);
    tb_u(&b, TBF_SID, 2);
    tb_i(&b, TBF_FD, 4);
    tb_str(&b, TBF_ERR, "ECONNREFUSED", 64);
    tw_frame(&w, TBR_CONN, 5200, &b);
    tb_init(&b, mem, sizeof(mem), TBR_DUP);
    tb_u(&b, TBF_SID, 2);
    tb_i(&b, TBF_FD, 4);
    tb_u(&b, TBF_NFD, 5);
    tb_word(&b, TBF_HOW, TBW_DUP2);
    tw_frame(&w, TBR_DUP, 5300, &b);
    tb_init(&b, mem, sizeof(mem), TBR_SHUT);
    tb_u(&b, TBF_SID, 2);
    tb_i(&b, TBF_FD, 5);
    tb_word(&b, TBF_HOW, TBW_WR);
    tw_frame(&w, TBR_SHUT, 5400, &b);
    tb_init(&b, mem, sizeof(mem), TBR_CLOSE);
    tb_u(&b, TBF_SID, 2);
    tb_i(&b, TBF_FD, 4);
    tb_word(&b, TBF_HOW, TBW_CLOSE);
    tb_bool(&b, TBF_LAST, false);
    tw_frame(&w, TBR_CLOSE, 5500, &b);
    close_rec(&w, 6000, 1, 3);
    tb_init(&b, mem, sizeof(mem), TBR_HNEW);
    tb_u(&b, TBF_H, 3);
    tb_word(&b, TBF_KIND, TBW_CURL);
    tb_u(&b, TBF_STK, 1);
    tw_frame(&w, TBR_HNEW, 7000, &b);
    tb_init(&b, mem, sizeof(mem), TBR_HUSE);
    tb_u(&b, TBF_H, 3);
    tb_u(&b, TBF_SID, 1);
    tb_str(&b, TBF_URL, "http://x/\"q\"\n", 120);
    tw_frame(&w, TBR_HUSE, 7100, &b);
    tb_init(&b, mem, sizeof(mem), TBR_HFREE);
    tb_u(&b, TBF_H, 3);
    tw_frame(&w, TBR_HFREE, 7200, &b);
    char *path = tw_write(&w);
    size_t bad;
    char *got = records_of(path, &bad);
    assert_int_equal(bad, 0);
    assert_string_equal(
        got,
        "{\"t\":\"stk\",\"id\":1,\"pc\":[\"0x7f0000001000\"]}\n"
        "{\"t\":\"open\",\"ts\":5000,\"sid\":1,\"fd\":3,\"fam\":\"inet\",\"type\":\"stream\","
        "\"role\":\"socket\",\"stk\":1}\n"
        "{\"t\":\"conn\",\"ts\":5100,\"sid\":1,\"fd\":3,\"peer\":\"10.1.2.3:8080\"}\n"
        "{\"t\":\"open\",\"ts\":5050,\"sid\":2,\"fd\":4,\"fam\":\"inet6\",\"type\":\"other:9\","
        "\"role\":\"accepted\",\"stk\":1,\"ino\":77,\"peer\":\"[::1]:443\",\"local\":\"unix:@"
        "b\\\"u\\\\s\\u0001\","
        "\"lsid\":9,\"opened\":4950,\"inherited\":true,\"late\":true}\n"
        "{\"t\":\"conn\",\"ts\":5200,\"sid\":2,\"fd\":4,\"err\":\"ECONNREFUSED\"}\n"
        "{\"t\":\"dup\",\"ts\":5300,\"sid\":2,\"fd\":4,\"nfd\":5,\"how\":\"dup2\"}\n"
        "{\"t\":\"shut\",\"ts\":5400,\"sid\":2,\"fd\":5,\"how\":\"wr\"}\n"
        "{\"t\":\"close\",\"ts\":5500,\"sid\":2,\"fd\":4,\"how\":\"close\",\"last\":false}\n"
        "{\"t\":\"close\",\"ts\":6000,\"sid\":1,\"fd\":3,\"how\":\"close\",\"last\":true,\"in\":"
        "153,"
        "\"out\":35,\"last_io\":5000,\"http\":{\"reqs\":1,\"resps\":1,\"await\":0,\"phase\":"
        "\"idle\","
        "\"status\":200,\"expect\":64,\"read\":64,\"ka\":true,\"method\":\"GET\","
        "\"target\":\"/items?id=7\",\"host\":\"api.internal\",\"stk\":1}}\n"
        "{\"t\":\"hnew\",\"ts\":7000,\"h\":3,\"kind\":\"curl\",\"stk\":1}\n"
        "{\"t\":\"huse\",\"ts\":7100,\"h\":3,\"sid\":1,\"url\":\"http://x/\\\"q\\\"\\n\"}\n"
        "{\"t\":\"hfree\",\"ts\":7200,\"h\":3}\n");
    free(got);
    free(path);
}

/* ---- the same trace both ways ---- */

/* Three connections to api.internal's address from stack 1: the first
 * closed after its exchange, the other two still open at exit. */
static void leaky_trace(struct tw *w, bool binary)
{
    tw_hdr(w, 21);
    for (uint64_t sid = 1; sid <= 3; sid++) {
        uint64_t t = sid * 10000;
        if (binary) {
            open_rec(w, t, sid, (int)sid + 2);
            conn_rec(w, t + 10, sid, (int)sid + 2, "10.0.0.9", 80);
        } else {
            char line[256];
            snprintf(line, sizeof(line),
                     "{\"t\":\"open\",\"ts\":%" PRIu64 ",\"sid\":%" PRIu64 ",\"fd\":%d,"
                     "\"fam\":\"inet\",\"type\":\"stream\",\"role\":\"socket\",\"stk\":1}",
                     t, sid, (int)sid + 2);
            tw_line(w, line);
            snprintf(line, sizeof(line),
                     "{\"t\":\"conn\",\"ts\":%" PRIu64 ",\"sid\":%" PRIu64
                     ",\"fd\":%d,\"peer\":\"10.0.0.9:80\"}",
                     t + 10, sid, (int)sid + 2);
            tw_line(w, line);
        }
    }
    if (binary)
        close_rec(w, 40000, 1, 3);
    else
        tw_line(w, "{\"t\":\"close\",\"ts\":40000,\"sid\":1,\"fd\":3,\"how\":\"close\","
                   "\"last\":true,\"in\":153,\"out\":35,\"last_io\":39000,\"http\":{\"reqs\":1,"
                   "\"resps\":1,\"await\":0,\"phase\":\"idle\",\"status\":200,\"expect\":64,"
                   "\"read\":64,\"ka\":true,\"method\":\"GET\",\"target\":\"/items?id=7\","
                   "\"host\":\"api.internal\",\"stk\":1}}");
    for (int sid = 2; sid <= 3; sid++) {
        char line[256];
        snprintf(line, sizeof(line),
                 "{\"t\":\"live\",\"ts\":50000,\"sid\":%d,\"fds\":[%d],\"fam\":\"inet\","
                 "\"type\":\"stream\",\"role\":\"client\",\"peer\":\"10.0.0.9:80\",\"stk\":1,"
                 "\"opened\":%d,\"last_io\":0,\"in\":0,\"out\":0,\"inherited\":false}",
                 sid, sid + 2, sid * 10000);
        tw_line(w, line);
    }
    tw_line(w, "{\"t\":\"end\",\"ts\":50001,\"why\":\"exit\",\"opened\":3,\"closed\":1,\"live\":2,"
               "\"badclose_dropped\":0,\"lost\":0}");
}

/* The JSON report of one trace, its path taken out. */
static char *report_of(struct tw *w)
{
    struct report r;
    char *path = tw_write(w), *buf = NULL;
    size_t len = 0;
    char *keep = xstrdup(path);
    analyze_paths(&r, &path, 1, NULL);
    FILE *out = open_memstream(&buf, &len);
    render_json(out, &r);
    fclose(out);
    report_free(&r);
    for (char *at; (at = strstr(buf, keep));) memset(at, '_', strlen(keep));
    free(keep);
    return buf;
}

static void binary_and_json_traces_give_the_same_report(void **state)
{
    (void)state;
    struct tw a = {0}, b = {0};
    leaky_trace(&a, false);
    leaky_trace(&b, true);
    char *ja = report_of(&a), *jb = report_of(&b);
    assert_non_null(strstr(ja, "\"orphaned-socket\":\t2")); /* the two left open */
    assert_string_equal(ja, jb);
    free(ja);
    free(jb);
}

/* ---- frames and damage ---- */

struct loaded {
    struct process p;
    struct strlist notes;
    char *why;
};

static void load(struct loaded *l, struct tw *w)
{
    char *path = tw_write(w);
    memset(l, 0, sizeof(*l));
    assert_int_equal(trace_read_file(path, &l->p, &l->notes, &l->why), 0);
    free(path);
}

static void unload(struct loaded *l)
{
    process_free(&l->p);
    strlist_free(&l->notes);
    free(l->why);
}

static bool has_note(const struct loaded *l, const char *needle)
{
    for (size_t i = 0; i < l->notes.n; i++)
        if (strstr(l->notes.v[i], needle)) return true;
    return false;
}

/* sid 10, fd 10 and a delta of 10 ns are each a '\n' byte inside a frame. */
static void frames_whose_bytes_hold_newlines_are_read_whole(void **state)
{
    (void)state;
    struct tw w = {0};
    tw_hdr(&w, 30);
    open_rec(&w, 10, 10, 10);
    open_rec(&w, 20, 11, 10 + 256);
    uint8_t mem[64];
    struct tb b;
    tb_init(&b, mem, sizeof(mem), TBR_CLOSE);
    tb_u(&b, TBF_SID, 10);
    tb_i(&b, TBF_FD, 10);
    tb_word(&b, TBF_HOW, TBW_CLOSE);
    tb_bool(&b, TBF_LAST, true);
    tb_u(&b, TBF_LAST_IO, 10);
    tw_frame(&w, TBR_CLOSE, 30, &b);
    assert_non_null(memchr(w.p, '\n', w.len));
    struct loaded l;
    load(&l, &w);
    assert_int_equal(l.p.issues, 0);
    assert_int_equal(l.notes.n > 0 && has_note(&l, "malformed"), 0);
    assert_int_equal(l.p.nlive, 1); /* sid 11: no end record, rebuilt from the events */
    assert_int_equal(l.p.live[0].sid, 11);
    assert_int_equal(l.p.live[0].opened, 20);
    unload(&l);
}

static void a_frame_cut_short_at_the_end_is_ignored_with_a_note(void **state)
{
    (void)state;
    struct tw w = {0};
    tw_hdr(&w, 31);
    open_rec(&w, 100, 1, 3);
    open_rec(&w, 200, 2, 4);
    w.len -= 3; /* the second open loses its last bytes */
    struct loaded l;
    load(&l, &w);
    assert_true(l.p.cut_short);
    assert_true(has_note(&l, "incomplete last line"));
    assert_int_equal(l.p.nlive, 1);
    assert_int_equal(l.p.live[0].sid, 1);
    unload(&l);
}

/* A frame whose length misses its '\n', and one whose mask names a field
 * its kind lacks: each one bad record; the records after them are read
 * from the next anchor on. */
static void damaged_frames_are_counted_and_reading_goes_on(void **state)
{
    (void)state;
    struct tw w = {0};
    uint8_t mem[64];
    struct tb b;
    tw_hdr(&w, 32);
    open_rec(&w, 100, 1, 3);
    size_t at = w.len;
    open_rec(&w, 200, 2, 4);
    w.p[at + 1] -= 2; /* its length, two short of the '\n' */
    w.have = false;   /* an anchor: the writer's next buffer */
    tb_init(&b, mem, sizeof(mem), TBR_OPEN);
    tb_u(&b, TBF_SID, 3);
    tb_i(&b, TBF_FD, 5);
    tb_u(&b, TBF_STK, 1);
    b.mask |= 1u << 20; /* no field of an open */
    tw_frame(&w, TBR_OPEN, 300, &b);
    tw_line(&w, "{\"t\":\"open\",\"ts\":400,\"sid\":4,\"fd\":6,\"fam\":\"inet\",\"stk\":1}");
    w.have = false;
    open_rec(&w, 500, 5, 7);
    struct loaded l;
    load(&l, &w);
    assert_int_equal(l.p.issues, 2);
    assert_true(has_note(&l, "skipped 2 malformed lines"));
    assert_int_equal(l.p.nlive, 3); /* sids 1, 4 and 5 */
    unload(&l);
}

/* A damaged frame costs the rest of its segment: the frames after it are
 * written relative to it (time, sid, strings), up to the next anchor. */
static void a_record_relative_to_a_damaged_frame_is_not_trusted(void **state)
{
    (void)state;
    struct tw w = {0};
    tw_hdr(&w, 33);
    open_rec(&w, 100, 1, 3);
    open_rec(&w, 200, 2, 4);
    w.p[w.len - 2] = 0xff;   /* stk's value: a varint that runs past the payload */
    open_rec(&w, 300, 3, 5); /* relative to 200: lost */
    w.have = false;
    open_rec(&w, 400, 4, 6); /* an anchor: good */
    size_t at = w.len;
    open_rec(&w, 500, 5, 7);
    w.p[at + 1] += 2;        /* its length, two past the '\n' (10 would be a '\n' itself) */
    open_rec(&w, 600, 6, 8); /* relative to 500: lost */
    w.have = false;
    open_rec(&w, 700, 7, 9); /* an anchor */
    open_rec(&w, 800, 8, 9); /* relative again: good */
    struct loaded l;
    load(&l, &w);
    assert_int_equal(l.p.issues, 4);
    assert_int_equal(l.p.nlive, 4); /* sids 1, 4, 7, 8 */
    assert_int_equal(l.p.live[0].sid, 1);
    assert_int_equal(l.p.live[1].sid, 4);
    assert_int_equal(l.p.live[1].opened, 400);
    assert_int_equal(l.p.live[2].sid, 7);
    assert_int_equal(l.p.live[3].sid, 8);
    assert_int_equal(l.p.live[3].opened, 800);
    unload(&l);
}

/* A frame whose tag byte was damaged reads as a bad line, not a frame:
 * the frames after it are relative to it all the same, and are lost with
 * it, not read against the frame before it (a wrong sid, a wrong time). */
static void a_frame_whose_tag_was_damaged_costs_its_segment(void **state)
{
    (void)state;
    struct tw w = {0};
    tw_hdr(&w, 37);
    open_rec(&w, 100, 1, 3);
    size_t at = w.len;
    open_rec(&w, 200, 2, 4);
    w.p[at] = '!';           /* the tag: now a line that is not JSON */
    open_rec(&w, 300, 3, 5); /* written relative to sid 2: lost */
    w.have = false;
    open_rec(&w, 400, 4, 6);
    struct loaded l;
    load(&l, &w);
    assert_int_equal(l.p.issues, 2);
    assert_int_equal(l.p.nlive, 2);
    assert_int_equal(l.p.live[0].sid, 1);
    assert_int_equal(l.p.live[1].sid, 4);
    unload(&l);
}

/* A later kind of record comes with a later format version: in this one,
 * an unknown code is damage, and costs its segment like any other. */
static void a_record_code_this_version_lacks_is_damage(void **state)
{
    (void)state;
    struct tw w = {0};
    uint8_t mem[64];
    struct tb b;
    tw_hdr(&w, 34);
    tb_init(&b, mem, sizeof(mem), TBR_HFREE);
    tb_u(&b, TBF_H, 1);
    tw_frame(&w, (enum tb_rec)(TBR_COUNT + 3), 50, &b);
    open_rec(&w, 100, 1, 3); /* relative to it: lost */
    w.have = false;
    open_rec(&w, 200, 2, 4);
    struct loaded l;
    load(&l, &w);
    assert_int_equal(l.p.issues, 2);
    assert_int_equal(l.p.nlive, 1);
    assert_int_equal(l.p.live[0].opened, 200);
    unload(&l);
}

/* Host and target are written once per segment, then named by number: the
 * later frames are shorter, and read back whole; a new segment writes them
 * again; a number its segment lacks is damage. */
static void strings_named_by_number_read_back_within_their_segment(void **state)
{
    (void)state;
    struct tw w = {0};
    tw_hdr(&w, 35);
    for (int i = 0; i < 3; i++) open_rec(&w, 100 + (uint64_t)i, (uint64_t)i + 1, 3 + i);
    size_t first = w.len;
    close_rec(&w, 1000, 1, 3);
    size_t second = w.len;
    close_rec(&w, 2000, 2, 4);
    assert_int_equal(w.len - second + strlen("/items?id=7") + strlen("api.internal"),
                     second - first); /* each string's bytes became one */
    w.have = false;
    close_rec(&w, 3000, 3, 5); /* an anchor: the strings in full again */
    assert_int_equal(
        w.len - (second + (second - first) - strlen("/items?id=7") - strlen("api.internal")),
        second - first);
    size_t bad;
    char *path = tw_write(&w);
    char *got = records_of(path, &bad);
    assert_int_equal(bad, 0);
    size_t hosts = 0;
    for (const char *at = got;
         (at = strstr(at, "\"target\":\"/items?id=7\",\"host\":\"api.internal\"")); at++)
        hosts++;
    assert_int_equal(hosts, 3);
    free(got);
    free(path);
    /* a frame naming string 5 of a segment that has none */
    uint8_t frame[] = {TB_TAG | TB_ANCHOR | TBR_HUSE, 4, 10, 0x05, 1, 5 << 2 | 2, '\n'};
    frame[2] = 10;                /* ts */
    frame[3] = 1u << 0 | 1u << 2; /* h and url */
    tw_hdr(&w, 36);
    tw_add(&w, frame, sizeof(frame));
    w.have = false;
    open_rec(&w, 100, 1, 3);
    struct loaded l;
    load(&l, &w);
    assert_int_equal(l.p.issues, 1);
    assert_int_equal(l.p.nlive, 1);
    unload(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_binary_record_dumps_as_the_json_line_it_stands_for),
        cmocka_unit_test(binary_and_json_traces_give_the_same_report),
        cmocka_unit_test(frames_whose_bytes_hold_newlines_are_read_whole),
        cmocka_unit_test(a_frame_cut_short_at_the_end_is_ignored_with_a_note),
        cmocka_unit_test(damaged_frames_are_counted_and_reading_goes_on),
        cmocka_unit_test(a_record_relative_to_a_damaged_frame_is_not_trusted),
        cmocka_unit_test(a_frame_whose_tag_was_damaged_costs_its_segment),
        cmocka_unit_test(a_record_code_this_version_lacks_is_damage),
        cmocka_unit_test(strings_named_by_number_read_back_within_their_segment),
    };
    (void)only, (void)analyze, (void)trace_hdr; /* analyzer_traces.h's, for other tests */
    return cmocka_run_group_tests(tests, traces_setup, traces_teardown);
}
