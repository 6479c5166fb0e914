/* model.c - small accessors of the per-process model (see model.h). */
#include "model/model.h"

#include <stdlib.h>
#include <string.h>

static const char *const role_names[ROLE_COUNT] = {
    [ROLE_SOCKET] = "socket",     [ROLE_CLIENT] = "client", [ROLE_LISTENER] = "listener",
    [ROLE_ACCEPTED] = "accepted", [ROLE_PAIR] = "pair",     [ROLE_RECEIVED] = "received",
    [ROLE_OTHER] = "other",
};

const char *role_name(enum sock_role role)
{
    return role < ROLE_COUNT ? role_names[role] : "other";
}

enum sock_role role_parse(const char *s)
{
    if (!s) return ROLE_OTHER;
    for (int r = 0; r < ROLE_OTHER; r++)
        if (strcmp(s, role_names[r]) == 0) return (enum sock_role)r;
    return ROLE_OTHER;
}

static const char *const phase_names[HTTP_PHASE_OTHER] = {
    [HTTP_IDLE] = "idle", [HTTP_HEADERS] = "headers", [HTTP_BODY] = "body"};

const char *http_phase_name(enum http_phase phase)
{
    return phase < HTTP_PHASE_OTHER ? phase_names[phase] : "other";
}

enum http_phase http_phase_parse(const char *s)
{
    for (int i = 0; s && i < HTTP_PHASE_OTHER; i++)
        if (strcmp(s, phase_names[i]) == 0) return (enum http_phase)i;
    return HTTP_PHASE_OTHER;
}

static const char *const handle_names[HANDLE_COUNT] = {
    [HANDLE_CURL] = "curl", [HANDLE_CURLM] = "curlm", [HANDLE_SSL] = "ssl"};

const char *handle_kind_name(enum handle_kind kind)
{
    return kind < HANDLE_COUNT ? handle_names[kind] : "?";
}

const struct http_state *process_http(const struct process *p, uint32_t http)
{
    return http > 0 && http <= p->nhttp ? &p->http[http - 1] : NULL;
}

uint32_t http_host_or(const struct http_state *h, uint32_t peer)
{
    return h && h->host ? h->host : peer;
}

void pystack_free(struct pystack *s)
{
    for (uint32_t i = 0; i < s->n; i++) {
        free(s->v[i].function);
        free(s->v[i].file);
    }
    free(s->v);
}

const struct pystack *process_pystack(const struct process *p, uint32_t py)
{
    return py > 0 && py < p->npystacks ? &p->pystacks[py] : NULL;
}

const struct stack *process_stack(const struct process *p, uint32_t id)
{
    return id > 0 && id < p->nstacks ? &p->stacks[id] : NULL;
}

void site_opens_add(struct process *p, uint32_t stk, uint64_t n)
{
    if (!stk) return;
    if (stk >= p->nsite_opens) { /* grown to the id, new entries zeroed */
        size_t nn = p->nsite_opens ? p->nsite_opens : 8;
        while (nn <= stk) nn *= 2;
        p->site_opens = xreallocarray(p->site_opens, nn, sizeof(*p->site_opens));
        memset(p->site_opens + p->nsite_opens, 0, (nn - p->nsite_opens) * sizeof(*p->site_opens));
        p->nsite_opens = nn;
    }
    p->site_opens[stk] = p->site_opens[stk] > UINT64_MAX - n ? UINT64_MAX : p->site_opens[stk] + n;
}

uint64_t process_site_opens(const struct process *p, uint32_t stk)
{
    return stk < p->nsite_opens ? p->site_opens[stk] : 0;
}

const struct module *process_module_at(const struct process *p, uint64_t pc)
{
    for (size_t i = 0; i < p->nmods; i++)
        if (p->mods[i].lo <= pc && pc < p->mods[i].hi) return &p->mods[i];
    return NULL;
}

/* By what was run: argv[0] (redis-server, a symlink to redis-check-rdb;
 * python3 for /usr/bin/python3.11), else the executable's file name. Not
 * an argv[0] the program rewrote into a title ("nginx: worker process"):
 * a forked child's trace reads its argv when it opens. */
const char *process_name(const struct process *p)
{
    const char *arg0 = p->argv.n > 0 ? p->argv.v[0] : "";
    bool title = strpbrk(arg0, " :") != NULL;
    arg0 = path_basename(arg0);
    while (*arg0 == '-') arg0++; /* a login shell's "-bash" */
    if (*arg0 && !title) return arg0;
    if (p->exe && *p->exe) return path_basename(p->exe);
    return "?";
}

enum kstate kstate_parse(const char *s)
{
    if (!s) return KSTATE_NONE;
    if (strcmp(s, "CLOSE_WAIT") == 0) return KSTATE_CLOSE_WAIT;
    if (strcmp(s, "LAST_ACK") == 0) return KSTATE_LAST_ACK;
    return KSTATE_OTHER;
}

static const char *const tcp_state_names[TCPS_COUNT] = {
    "ESTABLISHED", "SYN_SENT",   "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT",
    "CLOSE",       "CLOSE_WAIT", "LAST_ACK", "LISTEN",    "CLOSING",   "other"};

enum tcp_state tcp_state_parse(const char *s)
{
    for (int i = 0; s && i < TCPS_OTHER; i++)
        if (strcmp(s, tcp_state_names[i]) == 0) return (enum tcp_state)i;
    return TCPS_OTHER;
}

const char *tcp_state_name(enum tcp_state st)
{
    return st < TCPS_COUNT ? tcp_state_names[st] : "other";
}

void process_free(struct process *p)
{
    free(p->trace);
    free(p->exe);
    strlist_free(&p->argv);
    for (size_t i = 0; i < p->nmods; i++) {
        free(p->mods[i].path);
        free(p->mods[i].bid);
    }
    free(p->mods);
    for (size_t i = 0; i < p->nstacks; i++) free(p->stacks[i].pc);
    free(p->stacks);
    for (size_t i = 0; i < p->npystacks; i++) pystack_free(&p->pystacks[i]);
    free(p->pystacks);
    free(p->live);
    free(p->bad);
    strtab_free(&p->peers);
    strtab_free(&p->texts);
    free(p->http);
    free(p->discarded);
    free(p->reuse);
    free(p->peer_reqs);
    free(p->aggs);
    free(p->handles);
    free(p->huses);
    free(p->gounclosed);
    free(p->inh_pairs);
    free(p->site_opens);
    free(p->samples);
    free(p->sites);
    free(p->peer_pts);
    free(p->tcp_pts);
    free(p->ktcps);
    free(p->tw);
    hindex_free(&p->tw_index);
    free(p->marks);
    memset(p, 0, sizeof(*p));
}
