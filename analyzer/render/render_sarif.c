/* render_sarif.c - the report as SARIF 2.1.0 (docs/ci.md), for code
 * scanning views: one rule per finding kind (its id is the kind, stable),
 * one result per finding, located at its top frame (the program's own
 * code) relative to the source root, with the opening stack as `stacks`
 * and the baseline key (filter.h) as a partial fingerprint. */
#define _GNU_SOURCE
#include <cJSON.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "filter/filter.h"
#include "render/render.h"
#include "symbols/stackfmt.h"
#include "util/util.h"

#define SARIF_SCHEMA "https://json.schemastore.org/sarif-2.1.0.json"
#define SRCROOT      "SRCROOT"

/* What each kind means and what to do: the rule's help text. */
static const char *const kind_help[KIND_COUNT][2] = {
    [KIND_UNCLOSED_BODY] = {"HTTP response body never read to the end on a socket left open",
                            "Read the body to its end (or close the response) and release the "
                            "connection: an unread body pins the socket."},
    [KIND_STUCK_REQUEST] = {"HTTP request with no answer on a socket left open",
                            "Set a timeout on requests and close the connection when it fires."},
    [KIND_CLOSE_WAIT] = {"Sockets left in CLOSE_WAIT: the peer closed, the program did not",
                         "Close the socket when a read returns 0 (end of stream)."},
    [KIND_ORPHAN] = {"Socket still open when the program ended, with no one to close it",
                     "Close the socket on every path (or hand it to an owner that does)."},
    [KIND_FD_GROWTH] = {"The number of open file descriptors keeps growing",
                        "Find the call site whose sockets are never closed; the stack shows "
                        "the fastest growing one."},
    [KIND_DOUBLE_CLOSE] = {"The same file descriptor closed twice",
                           "Close once and forget the fd: a second close may close another "
                           "thread's socket that reused the number."},
    [KIND_HANDLE_LEAK] = {"Client handle (curl, ...) never released",
                          "Release the handle (curl_easy_cleanup, ...) or reuse one."},
    [KIND_DISCARDED_BODY] = {"Connection closed in the middle of a response body",
                             "Read the body to its end so the connection can be reused."},
    [KIND_MISSING_CLOSE] = {"Response body never closed",
                            "Close the response body (Go: defer resp.Body.Close())."},
    [KIND_NO_REUSE] = {"Many one-request connections to one peer",
                       "Reuse connections: HTTP keep-alive, one shared client or a pool."},
    [KIND_TIME_WAIT] = {"Many of the program's connections in TIME_WAIT", TIME_WAIT_ADVICE},
    [KIND_POOL] = {"A connection pool that keeps growing",
                   "Bound the pool, or find why its connections are not returned."},
    [KIND_FOREIGN_CLOSE] = {"close() of a file descriptor the program never opened",
                            "Close only what you opened: a close-all loop closes others' fds."},
};

static const char *sarif_level(enum finding_kind k)
{
    return strcmp(kind_severity(k), "error") == 0 ? "error" : "warning";
}

static cJSON *text_obj(const char *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "text", s);
    return o;
}

static cJSON *rule_json(enum finding_kind k)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", kind_name(k));
    cJSON_AddItemToObject(o, "shortDescription", text_obj(kind_help[k][0]));
    cJSON_AddItemToObject(o, "help", text_obj(kind_help[k][1]));
    cJSON *cfg = cJSON_AddObjectToObject(o, "defaultConfiguration");
    cJSON_AddStringToObject(cfg, "level", sarif_level(k));
    return o;
}

/* A path as a URI reference: unreserved characters and '/' kept, the rest
 * percent-encoded. */
static char *uri_escape(const char *path)
{
    struct strbuf sb = {0};
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~/", *p))
            strbuf_addf(&sb, "%c", *p);
        else
            strbuf_addf(&sb, "%%%02X", *p);
    }
    return strbuf_steal(&sb);
}

/* {"uri", "uriBaseId"}: relative to root when the file is under it. */
static cJSON *artifact_json(const char *root, const char *file)
{
    cJSON *o = cJSON_CreateObject();
    size_t n = strlen(root);
    bool under = file[0] == '/' && strncmp(file, root, n) == 0 && file[n] == '/';
    char *uri = uri_escape(under ? file + n + 1 : file);
    if (under) {
        cJSON_AddStringToObject(o, "uri", uri);
        cJSON_AddStringToObject(o, "uriBaseId", SRCROOT);
    } else if (file[0] == '/') {
        char *abs = xasprintf("file://%s", uri);
        cJSON_AddStringToObject(o, "uri", abs);
        free(abs);
    } else {
        cJSON_AddStringToObject(o, "uri", uri); /* as the debug info has it */
    }
    free(uri);
    return o;
}

static cJSON *location_json(const char *root, const struct frame *f)
{
    cJSON *loc = cJSON_CreateObject();
    if (f->file) {
        cJSON *phys = cJSON_AddObjectToObject(loc, "physicalLocation");
        cJSON_AddItemToObject(phys, "artifactLocation", artifact_json(root, f->file));
        if (f->line > 0) {
            cJSON *region = cJSON_AddObjectToObject(phys, "region");
            cJSON_AddNumberToObject(region, "startLine", f->line);
        }
    }
    char pc[32];
    snprintf(pc, sizeof(pc), "0x%" PRIx64, f->pc);
    cJSON *logical = cJSON_AddArrayToObject(loc, "logicalLocations");
    cJSON *l = cJSON_CreateObject();
    cJSON_AddStringToObject(l, "fullyQualifiedName", f->function ? f->function : pc);
    cJSON_AddStringToObject(l, "kind", "function");
    cJSON_AddItemToArray(logical, l);
    return loc;
}

static cJSON *stack_json(const char *root, const struct frames *s, const char *what)
{
    cJSON *stack = cJSON_CreateObject();
    char *msg = xasprintf("%s (innermost first)", what);
    cJSON_AddItemToObject(stack, "message", text_obj(msg));
    free(msg);
    cJSON *frames = cJSON_AddArrayToObject(stack, "frames");
    for (size_t i = 0; i < s->n; i++) {
        cJSON *fr = cJSON_CreateObject();
        cJSON_AddItemToObject(fr, "location", location_json(root, &s->v[i]));
        if (s->v[i].module) cJSON_AddStringToObject(fr, "module", s->v[i].module);
        cJSON_AddItemToArray(frames, fr);
    }
    return stack;
}

static cJSON *result_json(const char *root, const struct finding *f)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "ruleId", kind_name(f->kind));
    cJSON_AddNumberToObject(o, "ruleIndex", f->kind);
    cJSON_AddStringToObject(o, "level", sarif_level(f->kind));
    char *where = frames_where(&f->stack);
    char *msg = xasprintf("%s: %s (count %s%" PRIu64 ") at %s", kind_name(f->kind),
                          kind_help[f->kind][0], f->estimated ? "about " : "", f->count, where);
    cJSON_AddItemToObject(o, "message", text_obj(msg));
    free(msg);
    free(where);
    if (f->stack.n) {
        const struct frame *top = &f->stack.v[f->stack.top >= 0 ? f->stack.top : 0];
        cJSON *locs = cJSON_AddArrayToObject(o, "locations");
        cJSON_AddItemToArray(locs, location_json(root, top));
        cJSON *stacks = cJSON_AddArrayToObject(o, "stacks");
        /* an HTTP finding at its request site: that stack, then the opening */
        cJSON_AddItemToArray(
            stacks, stack_json(root, &f->stack,
                               f->req_site ? "where the request was sent" : "where it was opened"));
        if (f->req_site && f->open_stack.n)
            cJSON_AddItemToArray(stacks,
                                 stack_json(root, &f->open_stack, "where the socket was opened"));
    }
    char key[BASELINE_KEY_LEN];
    baseline_key(f, key, sizeof(key));
    cJSON *fps = cJSON_AddObjectToObject(o, "partialFingerprints");
    cJSON_AddStringToObject(fps, "connleakFingerprint/v1", key);
    cJSON *props = cJSON_AddObjectToObject(o, "properties");
    cJSON_AddNumberToObject(props, "count", (double)f->count);
    if (f->estimated) cJSON_AddTrueToObject(props, "estimated"); /* a TIME_WAIT peak, sampled */
    cJSON *pids = cJSON_AddArrayToObject(props, "pids");
    for (size_t i = 0; i < f->npids; i++)
        cJSON_AddItemToArray(pids, cJSON_CreateNumber((double)f->pids[i]));
    if (f->ntests) { /* the tests during which its sockets were opened (connleak_mark) */
        cJSON *tests = cJSON_AddArrayToObject(props, "tests");
        for (size_t i = 0; i < f->ntests; i++)
            cJSON_AddItemToArray(tests, cJSON_CreateString(f->tests[i]));
    }
    return o;
}

static cJSON *run_json(const struct report *r, const char *root)
{
    cJSON *run = cJSON_CreateObject();
    cJSON *driver = cJSON_AddObjectToObject(cJSON_AddObjectToObject(run, "tool"), "driver");
    cJSON_AddStringToObject(driver, "name", "connleak");
    cJSON_AddStringToObject(driver, "version", CONNLEAK_VERSION);
    cJSON *rules = cJSON_AddArrayToObject(driver, "rules");
    for (int k = 0; k < KIND_COUNT; k++) cJSON_AddItemToArray(rules, rule_json(k));
    char *base = uri_escape(root), *uri = xasprintf("file://%s/", strcmp(base, "/") ? base : "");
    cJSON *bases = cJSON_AddObjectToObject(run, "originalUriBaseIds");
    cJSON *src = cJSON_AddObjectToObject(bases, SRCROOT);
    cJSON_AddStringToObject(src, "uri", uri);
    free(base);
    free(uri);
    cJSON *results = cJSON_AddArrayToObject(run, "results");
    for (size_t i = 0; i < r->findings.n; i++)
        cJSON_AddItemToArray(results, result_json(root, &r->findings.v[i]));
    cJSON *props = cJSON_AddObjectToObject(run, "properties");
    cJSON_AddStringToObject(props, "status", status_name(r->status));
    cJSON *notes = cJSON_AddArrayToObject(props, "notes");
    for (size_t i = 0; i < r->notes.n; i++)
        cJSON_AddItemToArray(notes, cJSON_CreateString(r->notes.v[i]));
    return run;
}

void render_sarif(FILE *out, const struct report *r, const struct render_opts *ro)
{
    char root[PATH_MAX];
    const char *want = ro && ro->source_root ? ro->source_root : ".";
    if (!realpath(want, root)) snprintf(root, sizeof(root), "%s", want);
    size_t n = strlen(root);
    if (n > 1 && root[n - 1] == '/') root[n - 1] = '\0';
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "$schema", SARIF_SCHEMA);
    cJSON_AddStringToObject(o, "version", "2.1.0");
    cJSON_AddItemToArray(cJSON_AddArrayToObject(o, "runs"), run_json(r, root));
    char *s = cJSON_Print(o);
    if (s) fprintf(out, "%s\n", s);
    free(s);
    cJSON_Delete(o);
}
