/* loader.c - loads the BPF programs (connleak.bpf.c, through the skeleton
 * bpftool generates), attaches the tracepoints once and the Go uprobes per
 * binary, and drains the ring buffer into procs.c. The only file that
 * touches libbpf: the others see the kernel through the probe_fd_* and
 * probe_traced_set helpers below. */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "connleak.skel.h"
#include "probe_int.h"

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
    if (level == LIBBPF_WARN && getenv("CONNLEAK_PROBE_DEBUG")) return vfprintf(stderr, fmt, ap);
    return 0;
}

/* The syscall tracepoints are found through tracefs: mounted where the
 * kernel expects it when nothing mounted it yet. */
static int tracefs_ensure(char *why, size_t len)
{
    if (access("/sys/kernel/tracing/events/syscalls", F_OK) == 0 ||
        access("/sys/kernel/debug/tracing/events/syscalls", F_OK) == 0)
        return 0;
    if (mount("tracefs", "/sys/kernel/tracing", "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
              NULL) == 0 &&
        access("/sys/kernel/tracing/events/syscalls", F_OK) == 0)
        return 0;
    snprintf(why, len,
             "the kernel's syscall tracepoints are not reachable (tracefs is not "
             "mounted at /sys/kernel/tracing and mounting it failed: %s)",
             strerror(errno));
    return -1;
}

bool probe_supported(char *why, size_t len)
{
    if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
        snprintf(why, len,
                 "the kernel has no BTF (/sys/kernel/btf/vmlinux): the probe cannot load");
        return false;
    }
    if (geteuid() != 0) {
        snprintf(why, len, "the probe needs root (CAP_BPF and CAP_PERFMON)");
        return false;
    }
    /* The BPF side sees the host's process ids; in a container's PID
     * namespace the loader's would not match them, and nothing would be
     * seen. 0xEFFFFFFC: the initial PID namespace's inode (PROC_PID_INIT_INO). */
    struct stat ns;
    if (stat("/proc/self/ns/pid", &ns) == 0 && ns.st_ino != 0xEFFFFFFCu) {
        snprintf(why, len,
                 "connleak runs in a PID namespace of its own (a container): the probe needs "
                 "the host's (docker run --pid=host, or connleak on the host)");
        return false;
    }
    return true;
}

static void say(char *why, size_t len, const char *what, int err)
{
    if (err == EPERM || err == EACCES)
        snprintf(why, len,
                 "%s: permission denied (the probe needs CAP_BPF and CAP_PERFMON, "
                 "or root; a locked-down kernel refuses it too)",
                 what);
    else
        snprintf(why, len, "%s: %s", what, strerror(err));
}

static int on_event(void *ctx, void *data, size_t size)
{
    struct probe *p = ctx;
    if (size >= sizeof(struct pev_hdr)) proc_handle(p, data, size);
    return 0;
}

struct probe *probe_open(const struct probe_opts *o, char *why, size_t len)
{
    if (!probe_supported(why, len) || tracefs_ensure(why, len) < 0) return NULL;
    libbpf_set_print(libbpf_quiet);
    struct probe *p = calloc(1, sizeof(*p));
    if (!p) return NULL;
    p->o = *o;
    p->skel = connleak_bpf__open();
    if (!p->skel) {
        say(why, len, "cannot open the BPF programs", errno);
        free(p);
        return NULL;
    }
    p->skel->rodata->capture_bytes = o->http ? 65536 : 0;
    int err = connleak_bpf__load(p->skel);
    if (!err) err = connleak_bpf__attach(p->skel);
    if (!err) {
        p->rb = ring_buffer__new(bpf_map__fd(p->skel->maps.events), on_event, p, NULL);
        if (!p->rb) err = -errno;
    }
    if (err) {
        say(why, len, "cannot load the BPF programs", -err);
        connleak_bpf__destroy(p->skel);
        free(p);
        return NULL;
    }
    return p;
}

void probe_traced_set(struct probe *p, pid_t pid, uint32_t how)
{
    __u32 k = (__u32)pid;
    bpf_map_update_elem(bpf_map__fd(p->skel->maps.traced), &k, &how, BPF_ANY);
}

/* A forked child's flags, only while the kernel still traces it: its exit
 * removed its entry, and one put back would trace whatever gets the pid
 * next. Returns false when it is gone. */
/* Events the kernel could not send so far. Read at each trace's end, not
 * only between polls: the events a process lost are often dropped in the
 * burst that the poll which ends its trace is draining. */
uint64_t probe_lost(struct probe *p)
{
    p->lost_events = p->skel->bss->dropped + p->skel->bss->map_full;
    return p->lost_events;
}

bool probe_traced_update(struct probe *p, pid_t pid, uint32_t how)
{
    __u32 k = (__u32)pid, cur;
    int fd = bpf_map__fd(p->skel->maps.traced);
    if (bpf_map_lookup_elem(fd, &k, &cur) != 0) return false;
    return bpf_map_update_elem(fd, &k, &how, BPF_EXIST) == 0;
}

/* The kernel's counts of fd, and its entry removed, when the entry is
 * still socket (sk, ino)'s: after an exec, the new image's first sockets
 * take the numbers the exec freed before the loader gets to the exec
 * event, and theirs must stay (the inode tells them apart where the kernel
 * gave the freed struct sock straight back). */
void probe_fd_take(struct probe *p, pid_t pid, int fd, uint64_t sk, uint64_t ino,
                   struct pev_fd *into)
{
    struct pfd_key k = {.pid = (__u32)pid, .fd = fd};
    struct pfd_val v;
    int mfd = bpf_map__fd(p->skel->maps.fds);
    if (bpf_map_lookup_elem(mfd, &k, &v) != 0 || v.sk != sk || (ino && v.ino && v.ino != ino))
        return;
    into->in = v.in;
    into->out = v.out;
    into->last_io = v.last_io;
    into->eof = v.eof;
    bpf_map_delete_elem(mfd, &k);
}

void probe_fd_capture_off(struct probe *p, pid_t pid, int fd)
{
    struct pfd_key k = {.pid = (__u32)pid, .fd = fd};
    struct pfd_val v;
    int mfd = bpf_map__fd(p->skel->maps.fds);
    if (bpf_map_lookup_elem(mfd, &k, &v) != 0 || !v.capture) return;
    v.capture = 0;
    bpf_map_update_elem(mfd, &k, &v, BPF_EXIST);
}

void probe_fd_add(struct probe *p, pid_t pid, int fd, uint64_t sk, uint64_t ino)
{
    struct pfd_key k = {.pid = (__u32)pid, .fd = fd};
    struct pfd_val v = {.sk = sk, .ino = ino};
    bpf_map_update_elem(bpf_map__fd(p->skel->maps.fds), &k, &v, BPF_ANY);
}

static uint64_t ktime_now(void);

static uint64_t stat_mtime_ns(const struct stat *st)
{
    return (uint64_t)st->st_mtim.tv_sec * 1000000000ull + (uint64_t)st->st_mtim.tv_nsec;
}

/* The Go uprobes in exe, for process pid only: the kernel then puts its
 * breakpoints in that process alone, and other processes running the same
 * binary (a service's other replicas) pay nothing. */
static void uprobes_attach(struct probe *p, const char *exe, pid_t pid, const struct go_info *gi)
{
    struct bpf_object *obj = p->skel->obj;
    for (int t = 0; t < GO_TARGETS; t++) {
        const struct go_target *g = &gi->targets[t];
        struct bpf_program *prog = bpf_object__find_program_by_name(obj, g->prog);
        if (!g->offset || !prog) continue;
        struct bpf_link *l = bpf_program__attach_uprobe(prog, false, pid, exe, g->offset);
        if (!l) {
            fprintf(stderr, "connleak: cannot probe %s in %s: %s\n", g->func, exe, strerror(errno));
            continue;
        }
        struct bpf_link **v = realloc(p->links, (p->nlinks + 1) * sizeof(*v));
        if (!v) {
            bpf_link__destroy(l);
            continue;
        }
        p->links = v;
        p->links[p->nlinks++] = l;
        if (p->o.verbose) fprintf(stderr, "connleak: probing %s in %s\n", g->func, exe);
    }
}

/* What gosyms_inspect said of the file exe names now: each binary (by
 * device, inode and mtime) is inspected once. A second exec of the same
 * program is followed at once (reading a Go binary's DWARF takes some
 * 50 ms, while the program runs unfollowed). NULL: no memory. */
static const struct pbin *bin_get(struct probe *p, const char *exe)
{
    struct stat st;
    if (stat(exe, &st) != 0) memset(&st, 0, sizeof(st));
    for (size_t i = 0; i < p->nbins; i++) {
        const struct pbin *b = &p->bins[i];
        if (b->dev == st.st_dev && b->ino == st.st_ino && b->mtime_ns == stat_mtime_ns(&st) &&
            strcmp(b->path, exe) == 0)
            return b;
    }
    struct pbin *v = realloc(p->bins, (p->nbins + 1) * sizeof(*v));
    if (!v) return NULL;
    p->bins = v;
    struct pbin *b = &v[p->nbins];
    *b = (struct pbin){.dev = st.st_dev, .ino = st.st_ino, .mtime_ns = stat_mtime_ns(&st)};
    b->path = strdup(exe);
    if (!b->path) return NULL;
    b->go = gosyms_inspect(exe, &b->gi);

    p->nbins++;
    return b;
}

/* The Go uprobes for binary `exe` run by pid, and its struct offsets for
 * the BPF side. Returns 1 when net/http is followed, 0 when it is no Go
 * program, -1 when it is one whose requests cannot be followed (why). */
static int go_prepare(struct probe *p, pid_t pid, const char *exe, char *why, size_t len)
{
    const struct pbin *b = bin_get(p, exe);
    if (!b || !b->go) return 0;
    const struct go_info *gi = &b->gi;
    if (!gi->why[0] && !gi->targets[0].offset) return 1; /* no net/http client in it */
    if (gi->why[0]) {
        snprintf(why, len, "%s", gi->why);
        return -1;
    }
    __u32 k = (__u32)pid;
    bpf_map_update_elem(bpf_map__fd(p->skel->maps.go_offs), &k, &gi->offs, BPF_ANY);
    if (gi->offs.es_body == 0xffff)
        snprintf(why, len,
                 "%s: no DWARF for resp.Body's structures (%s): missing-body-close is not "
                 "looked for",
                 exe, gi->version);
    uint64_t key = (uint64_t)pid << 32 ^ b->ino;
    for (size_t i = 0; i < p->nprobed; i++)
        if (p->probed[i] == key) return 1; /* the root process: before it ran, and at its exec */
    uint64_t *v = realloc(p->probed, (p->nprobed + 1) * sizeof(*v));
    if (!v) return 1;
    p->probed = v;
    v[p->nprobed++] = key;
    uprobes_attach(p, exe, pid, gi);
    return 1;
}

void probe_go_inherit(struct probe *p, pid_t parent, pid_t child)
{
    struct go_offsets o;
    __u32 k = (__u32)parent, c = (__u32)child;
    int fd = bpf_map__fd(p->skel->maps.go_offs);
    if (bpf_map_lookup_elem(fd, &k, &o) == 0) bpf_map_update_elem(fd, &c, &o, BPF_ANY);
}

/* At the start of pr's trace: Go's uprobes for the binary it runs now. */
int probe_go_attach(struct probe *p, struct pproc *pr)
{
    char link[64], exe[4096], why[512] = "";
    snprintf(link, sizeof(link), "/proc/%d/exe", (int)pr->pid);
    ssize_t n = readlink(link, exe, sizeof(exe) - 1);
    if (n <= 0 && !pr->exe) return 0;
    if (n <= 0) /* gone already: the image the exec event named */
        snprintf(exe, sizeof(exe), "%s", pr->exe);
    else
        exe[n] = 0;
    size_t len = strlen(exe);
    if (n > 0 && len > 10 && strcmp(exe + len - 10, " (deleted)") == 0)
        snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)pr->pid); /* replaced in place */
    int rc = go_prepare(p, pr->pid, exe, why, sizeof(why));
    pr->go = rc != 0;
    if (rc > 0) pr->go_ready = proc_ts(pr, ktime_now());
    if (rc < 0) rec_note(pr, 0, "go-http-unseen", why);
    if (rc > 0 && why[0]) rec_note(pr, 0, "go-body-close-unseen", why);
    return rc;
}

int probe_trace(struct probe *p, pid_t pid, const char *exe, char *why, size_t len)
{
    bool running = exe == NULL;
    struct pproc *pr = proc_new(p, pid, getpid());
    if (!pr) {
        snprintf(why, len, "out of memory");
        return -1;
    }
    probe_traced_set(p, pid, TR_ON | TR_WAKE);
    if (running) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        pr->running_at_attach = true;
        proc_begin_trace(p, pr, (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec, NULL,
                         NULL);
        if (!pr->f) {
            snprintf(why, len, "cannot create a trace in %s", p->o.dir);
            return -1;
        }
        proc_snapshot_fds(p, pr);
    } else {
        pr->exe = strdup(exe);
        char gowhy[512];
        go_prepare(p, pid, exe, gowhy, sizeof(gowhy)); /* before it runs: no request missed */
    }
    return 0;
}

static uint64_t ktime_now(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
}

/* Once a second a `sample` of each process, then every trace flushed:
 * readable while the program runs. */
static void traces_flush(struct probe *p)
{
    uint64_t now = ktime_now();
    for (size_t i = 0; i < p->nprocs; i++) {
        struct pproc *pr = p->procs[i];
        if (!pr->f) continue;
        sample_take(pr, now, false);
        fflush(pr->f);
    }
}

int probe_poll(struct probe *p, int timeout_ms)
{
    int n = ring_buffer__poll(p->rb, timeout_ms);
    if (n == -EINTR) n = 0;
    /* events sent without a wake-up (most) are there without epoll saying so */
    int more = ring_buffer__consume(p->rb);
    if (n >= 0 && more > 0) n += more;
    probe_lost(p);
    traces_flush(p);
    return n;
}

int probe_live_processes(const struct probe *p)
{
    return p->running;
}

void probe_finish(struct probe *p, const char *why)
{
    struct timespec now;
    while (ring_buffer__consume(p->rb) > 0)
        ;
    probe_lost(p);
    clock_gettime(CLOCK_MONOTONIC, &now);
    uint64_t t = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
    for (size_t i = 0; i < p->nprocs; i++)
        if (!p->procs[i]->ended && p->procs[i]->f) proc_end_trace(p, p->procs[i], t, why);
}

void probe_close(struct probe *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->nlinks; i++) bpf_link__destroy(p->links[i]);
    for (size_t i = 0; i < p->nbins; i++) free(p->bins[i].path);
    for (size_t i = 0; i < p->nprocs; i++) {
        free(p->procs[i]->path);
        free(p->procs[i]->exe);
        free(p->procs[i]->cmdline);
        free(p->procs[i]->transports);
        free(p->procs[i]);
    }
    ring_buffer__free(p->rb);
    connleak_bpf__destroy(p->skel);
    free(p->links);
    free(p->bins);
    free(p->probed);
    free(p->procs);
    free(p);
}
