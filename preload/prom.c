/* prom.c - the process's connection health as Prometheus metrics.
 *
 * With CONNLEAK_PROMETHEUS=FILE, every sample (sampler.c) rewrites FILE in
 * Prometheus' text format, atomically (a temporary file next to it, then
 * rename), for node_exporter's textfile collector: open fds and their
 * limit, tracked sockets by role, the kernel's TCP states, TIME_WAIT
 * sockets by peer, and the call sites holding the most open sockets. Label
 * sets are bounded: 6 roles, 11 states, at most 16 peers and 8 call sites
 * (the sample's own top lists). The process `connleak run` started writes
 * FILE; any other (a forked worker) writes FILE with "_PID" before its
 * ".prom" suffix, so that no two overwrite each other. At exit the file is
 * removed: a gauge of a process that is gone would read as current.
 * Runs on connleak's flusher thread only. */
#define _GNU_SOURCE
#include "preload.h"
#include "config.h"
#include "lifecycle.h"
#include "prom.h"
#include "stacks.h"

#include "jsonline.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define PROM_BUF (32 * 1024)

static char out[PROM_BUF];
static size_t used;
static uint32_t last_tcp[12]; /* the kernel's states as last read */
static bool have_tcp;
static char path[4096 + 32];
static pid_t path_pid;

static void put(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void put(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out + used, sizeof(out) - used, fmt, ap);
    va_end(ap);
    if (n > 0) used = used + (size_t)n < sizeof(out) ? used + (size_t)n : sizeof(out) - 1;
}

/* A label value: backslash, quote and newline escaped, as the format asks. */
static void put_label(const char *s)
{
    for (; *s && used + 2 < sizeof(out); s++) {
        if (*s == '\\' || *s == '"') out[used++] = '\\';
        if (*s == '\n') {
            out[used++] = '\\';
            out[used++] = 'n';
            continue;
        }
        out[used++] = *s;
    }
    out[used] = '\0';
}

/* The file of this process: FILE for the root, FILE_PID.prom for others. */
static const char *prom_path(void)
{
    if (path_pid == cl_pid) return path;
    path_pid = cl_pid;
    const char *f = cl_cfg.prometheus;
    size_t n = strlen(f);
    if (!cl_cfg.root_pid || cl_cfg.root_pid == cl_pid)
        snprintf(path, sizeof(path), "%s", f);
    else if (n > 5 && strcmp(f + n - 5, ".prom") == 0)
        snprintf(path, sizeof(path), "%.*s_%d.prom", (int)(n - 5), f, (int)cl_pid);
    else
        snprintf(path, sizeof(path), "%s_%d", f, (int)cl_pid);
    return path;
}

static void put_header(const char *name, const char *type, const char *help)
{
    put("# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* `name{pid="..",program=".."` without the closing brace. */
static void put_series(const char *name)
{
    put("%s{pid=\"%d\",program=\"", name, (int)cl_pid);
    put_label(program_invocation_short_name);
    put("\"");
}

/* "connect_all+0x1c (libfoo.so)": a call site as a bounded label (its
 * innermost frame: two stacks through one function share it). */
static void site_name(uint32_t stk, char *site, size_t len)
{
    uintptr_t pc = stack_top_pc(stk);
    Dl_info info;
    if (pc && dladdr((void *)pc, &info) && info.dli_fname) {
        const char *mod = strrchr(info.dli_fname, '/');
        mod = mod ? mod + 1 : info.dli_fname;
        if (info.dli_sname)
            snprintf(site, len, "%s+0x%lx (%s)", info.dli_sname,
                     (unsigned long)(pc - (uintptr_t)info.dli_saddr), mod);
        else
            snprintf(site, len, "%s+0x%lx", mod, (unsigned long)(pc - (uintptr_t)info.dli_fbase));
    } else {
        snprintf(site, len, "stack %u", stk);
    }
}

/* Series with the same labels are one: their counts are summed. */
struct labelled {
    char label[512];
    uint32_t n;
};

static unsigned int labelled_add(struct labelled *v, unsigned int n, const char *label,
                                 uint32_t count)
{
    for (unsigned int i = 0; i < n; i++)
        if (strcmp(v[i].label, label) == 0) {
            v[i].n += count;
            return n;
        }
    snprintf(v[n].label, sizeof(v[n].label), "%s", label);
    v[n].n = count;
    return n + 1;
}

static void put_sockets(const struct sample_counts *c)
{
    static const char *const roles[] = {"socket",   "client", "listener",
                                        "accepted", "pair",   "received"};
    static const char *const states[] = {NULL,         "ESTABLISHED", "SYN_SENT",  "SYN_RECV",
                                         "FIN_WAIT1",  "FIN_WAIT2",   "TIME_WAIT", "CLOSE",
                                         "CLOSE_WAIT", "LAST_ACK",    "LISTEN",    "CLOSING"};
    put_header("connleak_sockets", "gauge", "Sockets the program holds, by how it got them.");
    for (int i = 0; i < 6; i++) {
        put_series("connleak_sockets");
        put(",role=\"%s\"} %u\n", roles[i], c->roles[i]);
    }
    if (!have_tcp) return;
    put_header("connleak_tcp_sockets", "gauge",
               "The program's TCP sockets by the kernel's state, as last read (sock_diag).");
    for (int i = 1; i < 12; i++) {
        put_series("connleak_tcp_sockets");
        put(",state=\"%s\"} %u\n", states[i], last_tcp[i]);
    }
}

static void put_sites(const struct sample_counts *c)
{
    static struct labelled v[TW_MAX];
    unsigned int n = 0;
    char site[256];
    put_header("connleak_open_sockets_by_site", "gauge",
               "Open sockets of the call sites holding the most (at most 8).");
    for (unsigned int i = 0; i < c->nsites && i < 8; i++) {
        site_name(c->site_stk[i], site, sizeof(site));
        n = labelled_add(v, n, site, c->site_n[i]);
    }
    for (unsigned int i = 0; i < n; i++) {
        put_series("connleak_open_sockets_by_site");
        put(",site=\"");
        put_label(v[i].label);
        put("\"} %u\n", v[i].n);
    }
    if (!c->kernel) return;
    put_header("connleak_time_wait_sockets", "gauge",
               "TIME_WAIT sockets the program left, by peer and call site (at most 16).");
    n = 0;
    for (unsigned int i = 0; i < c->ntw && i < TW_MAX; i++) {
        char key[512], mem[128];
        struct jb b;
        jb_init(&b, mem, sizeof(mem) - 1);
        jb_addr(&b, c->tw_peer[i]); /* "ADDR:PORT", quoted */
        mem[b.len > 0 ? b.len - 1 : 0] = '\0';
        site_name(c->tw_stk[i], site, sizeof(site));
        snprintf(key, sizeof(key), "%s\n%s", b.len > 1 ? mem + 1 : "?", site);
        n = labelled_add(v, n, key, c->tw_n[i]);
    }
    for (unsigned int i = 0; i < n; i++) { /* key: peer, newline, site */
        char *nl = strchr(v[i].label, '\n');
        *nl = '\0';
        put_series("connleak_time_wait_sockets");
        put(",peer=\"");
        put_label(v[i].label);
        put("\",site=\"");
        put_label(nl + 1);
        put("\"} %u\n", v[i].n);
    }
}

/* Writes the buffer to the file by a temporary one and rename. */
static void prom_commit(void)
{
    const char *f = prom_path();
    char tmp[sizeof(path) + 16];
    snprintf(tmp, sizeof(tmp), "%s.tmp.%d", f, (int)cl_pid);
    int fd = (int)syscall(SYS_openat, AT_FDCWD, tmp,
                          O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) return;
    bool ok = syscall(SYS_write, fd, out, used) == (long)used;
    syscall(SYS_close, fd);
    if (!ok || rename(tmp, f) != 0) unlink(tmp);
}

void prom_sample(const struct sample_counts *c)
{
    if (!cl_cfg.prometheus[0]) return;
    if (path_pid != cl_pid) have_tcp = false; /* a fork child: the parent's states */
    if (c->kernel) {
        memcpy(last_tcp, c->tcp, sizeof(last_tcp));
        have_tcp = true;
    }
    used = 0;
    out[0] = '\0';
    put_header("connleak_open_fds", "gauge", "Open file descriptors of the program.");
    put_series("connleak_open_fds");
    put("} %d\n", c->fds);
    if (c->nofile) {
        put_header("connleak_fd_limit", "gauge", "Its RLIMIT_NOFILE soft limit.");
        put_series("connleak_fd_limit");
        put("} %lu\n", (unsigned long)c->nofile);
    }
    put_sockets(c);
    put_sites(c);
    put_header("connleak_sample_timestamp_seconds", "gauge", "When connleak took this sample.");
    put_series("connleak_sample_timestamp_seconds");
    put("} %ld\n", (long)time(NULL));
    prom_commit();
}

void prom_exit(void)
{
    if (cl_cfg.prometheus[0] && path_pid == cl_pid) unlink(path);
}
