/* stacks.c - the call stack that opened each socket, captured cheaply and
 * written once.
 *
 * libunwind is dlopen()ed RTLD_LOCAL rather than linked: libunwind.so.8
 * exports _Unwind_* and a weak backtrace(), which would otherwise replace
 * the program's own (C++ exceptions would start going through it). Stacks
 * are deduplicated in an insert-only open-addressing table: lookups are
 * lock-free, inserts take a spinlock. A stack is emitted into the trace, under
 * the trace lock, the first time it is used in the current trace file, so
 * every `stk` line precedes the first event naming it. In a program under a
 * sanitizer runtime, libunwind is not used: see sanitizer_present(). */
#define _GNU_SOURCE
#include "preload.h"
#include "config.h"
#include "events.h"
#include "guard.h"
#include "modules.h"
#include "pyframes.h"
#include "stacks.h"
#include "trace.h"

#include "jsonline.h"

#include <dlfcn.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define STK_CAP   (1u << 16) /* distinct stacks */
#define ARENA_CAP (1u << 22) /* program counters, all stacks together */
#define SKIP_MAX  8          /* our own frames at the top, at most */

struct stk_entry {
    _Atomic uint64_t hash; /* 0 = empty; published last */
    uint32_t off;          /* into the arena */
    uint16_t depth;
    _Atomic uint32_t emitted_gen;
    uint32_t py; /* the Python frame chain beside it (pyframes.c), 0 if none */
};

static int (*unw_bt)(void **, int);
static struct stk_entry *table;
static uintptr_t *arena;
static _Atomic uint32_t arena_used;
static _Atomic uint32_t nstacks;
static _Atomic int full_noted;
cl_lock_t cl_stack_lock = CL_LOCK_INIT;
__thread int cl_in_unwind __attribute__((tls_model("initial-exec")));
int cl_unwind_fds[2] = {-1, -1};

static __thread int tl_warm __attribute__((tls_model("initial-exec")));

/* libunwind takes mutexes of its own (every signal blocked meanwhile). A
 * fork while another thread holds one leaves the child waiting for it
 * forever at its first stack. So a fork first stops new unwinds (their
 * record goes without a stack) and waits, briefly, for the ones under way;
 * if one is still inside, the child records no stacks (a note says why). */
#define FORK_WAIT_NS (100ull * 1000 * 1000)
static _Atomic int unwinders;        /* threads inside libunwind */
static _Atomic int fork_pending;     /* a fork is under way: no new unwind */
static bool fork_unsafe;             /* ...and one was still inside at the fork */
static _Atomic int no_stacks_noted;  /* the child's note is still to write */
static void (*test_in_unwind)(void); /* tests: called inside, before libunwind */

static inline __attribute__((always_inline)) int unwind(void **pcs, int n)
{
    int (*bt)(void **, int) = __atomic_load_n(&unw_bt, __ATOMIC_ACQUIRE); /* may go NULL */
    if (!bt) return 0;
    atomic_fetch_add(&unwinders, 1);  /* then fork_pending: sequentially consistent, */
    if (atomic_load(&fork_pending)) { /* as stacks_fork_prepare's store then load */
        atomic_fetch_sub(&unwinders, 1);
        return 0;
    }
    if (test_in_unwind) test_in_unwind();
    cl_in_unwind = 1;
    n = bt(pcs, n);
    cl_in_unwind = 0;
    atomic_fetch_sub(&unwinders, 1);
    tl_warm = 1;
    return n;
}

void stacks_fork_prepare(void)
{
    int self = cl_in_unwind; /* a handler that interrupted this thread's unwind forks */
    atomic_store(&fork_pending, 1);
    uint64_t t0 = clock_now_ns();
    while (atomic_load(&unwinders) > self && clock_now_ns() - t0 < FORK_WAIT_NS) sched_yield();
    fork_unsafe = atomic_load(&unwinders) > 0;
}

void stacks_fork_parent(void)
{
    atomic_store(&fork_pending, 0);
}

/* The child's note that it records no stacks, once it has a trace (the
 * flusher's tick, or the exit): a child that only execs gets no file for it. */
void stacks_notes(void)
{
    if (atomic_load_explicit(&no_stacks_noted, memory_order_relaxed) && trace_is_open() &&
        atomic_exchange(&no_stacks_noted, 0))
        ev_note("no-stacks", "this process was forked while another thread was inside "
                             "libunwind: it records no stacks (libunwind's lock would never "
                             "be given back)");
}

void stacks_test_in_unwind(void (*fn)(void))
{
    test_in_unwind = fn;
}

/* A new thread's first unwind allocates libunwind's thread-local data: done
 * at the thread's start (hooks_thread.c), never first inside a hook. */
void stacks_warm_thread(void)
{
    void *pcs[4];
    if (tl_warm) return;
    int saved = errno, guard = cl_in_hook;
    cl_in_hook = 1;
    unwind(pcs, 4);
    cl_in_hook = guard;
    errno = saved;
}

static dev_t pipe_dev[2];
static ino_t pipe_ino[2];

/* Remembers what libunwind's pipe fds are (pipe2 hook, after moving them). */
void stacks_fds_created(void)
{
    struct stat st;
    for (int i = 0; i < 2; i++)
        if (cl_unwind_fds[i] >= 0 && fstat(cl_unwind_fds[i], &st) == 0) {
            pipe_dev[i] = st.st_dev;
            pipe_ino[i] = st.st_ino;
        }
}

/* A close connleak cannot see (raw syscall(SYS_close_range)) may have taken
 * libunwind's pipe and given its numbers to the program: then libunwind
 * would read and write the program's fds. Checked by the flusher; on a
 * mismatch, stacks stop. */
void stacks_check_fds(void)
{
    struct stat st;
    if (!unw_bt) return;
    for (int i = 0; i < 2; i++) {
        int fd = cl_unwind_fds[i];
        if (fd < 0) continue;
        if (fstat(fd, &st) != 0 || st.st_dev != pipe_dev[i] || st.st_ino != pipe_ino[i]) {
            unw_bt = NULL;
            cl_unwind_fds[0] = cl_unwind_fds[1] = -1;
            ev_note("no-stacks", "libunwind's pipe fd was closed behind connleak's back: stacks "
                                 "are off from now on");
            return;
        }
    }
}

bool stacks_fd_reserved(int fd)
{
    return fd >= 0 && (fd == cl_unwind_fds[0] || fd == cl_unwind_fds[1]);
}

/* One of libunwind's pipe fds, and still that pipe (see trace_fd_owned). */
bool stacks_fd_owned(int fd)
{
    struct stat st;
    int i = fd < 0 ? -1 : fd == cl_unwind_fds[0] ? 0 : fd == cl_unwind_fds[1] ? 1 : -1;
    if (i < 0) return false;
    int saved = errno;
    bool same =
        syscall(SYS_fstat, fd, &st) == 0 && st.st_dev == pipe_dev[i] && st.st_ino == pipe_ino[i];
    errno = saved;
    return same;
}

void stacks_fd_taken(int fd)
{
    if (!stacks_fd_reserved(fd)) return;
    unw_bt = NULL; /* libunwind would read and write the program's fd now */
    cl_unwind_fds[0] = cl_unwind_fds[1] = -1;
    ev_note("no-stacks", "the program replaced libunwind's pipe fd: stacks are off from now on");
}
_Atomic uint32_t cl_trace_gen = 1;

/* Whether a sanitizer runtime is in the process. libunwind breaks such a
 * program: unw_backtrace keeps a per-thread cache in libunwind's own
 * thread-local storage (dynamic TLS: the library is dlopen()ed), freed by a
 * pthread key destructor whatever the caching policy. ThreadSanitizer has
 * torn the thread down when that destructor takes libunwind's mutex
 * (SIGSEGV at every thread exit), and LeakSanitizer misreads the dynamic TLS
 * block and dies at exit. Such programs get the frame-pointer walk below. */
static bool sanitizer_present(void)
{
    static const char *const runtimes[] = {"__asan_init", "__tsan_init", "__msan_init",
                                           "__hwasan_init"};
    for (size_t i = 0; i < sizeof(runtimes) / sizeof(runtimes[0]); i++)
        if (dlsym(RTLD_DEFAULT, runtimes[i])) return true;
    return false;
}

/* ThreadSanitizer checks the memcpy/memset calls of every library, and
 * connleak's own code is not instrumented: it cannot see that the trace
 * buffer and the tables are written under connleak's spinlocks, reports
 * races between the program's threads inside connleak, and so changes the
 * program's output and exit status (66). The runtime asks the process for
 * default suppressions through this weak hook; a program's own definition
 * comes first in the lookup and wins. */
CL_EXPORT const char *__tsan_default_suppressions(void)
{
    return "called_from_lib:libconnleak.so\n";
}

/* Reads len bytes at addr of our own memory without faulting: a frame
 * chain through code built without frame pointers holds garbage. */
static bool mem_read(uintptr_t addr, void *out, size_t len)
{
    struct iovec local = {out, len}, remote = {(void *)addr, len};
    return syscall(SYS_process_vm_readv, cl_pid, &local, 1, &remote, 1, 0) == (long)len;
}

/* The frame-pointer walk, for programs under a sanitizer (sanitizer_present):
 * exact through code built with frame pointers (libconnleak is), and it
 * stops where a frame without one breaks the chain. One system call per
 * frame: sanitized programs are slow already. */
static int unwind_fp(void **pcs, int n)
{
    uintptr_t fp = (uintptr_t)__builtin_frame_address(0), pair[2];
    int k = 0;
    while (k < n && !(fp & 7) && mem_read(fp, pair, sizeof(pair)) && pair[1]) {
        pcs[k++] = (void *)pair[1];
        if (pair[0] <= fp || pair[0] - fp > (8u << 20)) break; /* stacks grow down */
        fp = pair[0];
    }
    return k;
}

int stacks_init(void)
{
    pyframes_init();
    if (cl_cfg.depth == 0) return 0;
    void *h = sanitizer_present() ? NULL : dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
    if (!h && !sanitizer_present()) return -1;
    if (h) {
        unw_bt = (int (*)(void **, int))dlsym(h, "unw_backtrace");
        int (*policy)(void *, int) = (int (*)(void *, int))dlsym(h, "_ULx86_64_set_caching_policy");
        void **as = (void **)dlsym(h, "_ULx86_64_local_addr_space");
        cl_in_unwind = 1; /* libunwind creates its pipe during its first call */
        if (policy && as) policy(*as, 2 /* UNW_CACHE_PER_THREAD: no global lock */);
        cl_in_unwind = 0;
    } else {
        unw_bt = unwind_fp;
    }
    size_t tbytes = STK_CAP * sizeof(struct stk_entry), abytes = ARENA_CAP * sizeof(uintptr_t);
    table = mmap(NULL, tbytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
    arena = mmap(NULL, abytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
    if (!unw_bt || table == MAP_FAILED || arena == MAP_FAILED) {
        unw_bt = NULL;
        return -1;
    }
    void *warm[4];
    unwind(warm, 4); /* libunwind initialises lazily: do it here, not in a hook */
    return 0;
}

static uint64_t pcs_hash(uintptr_t *pcs, int n, uint32_t py)
{
    uint64_t h = 1469598103934665603ull ^ py;
    for (int i = 0; i < n; i++) {
        h ^= pcs[i];
        h *= 1099511628211ull;
        h ^= h >> 29;
    }
    return h | 1;
}

static bool entry_matches(struct stk_entry *e, uint64_t h, uintptr_t *pcs, int n, uint32_t py)
{
    return atomic_load_explicit(&e->hash, memory_order_acquire) == h && e->depth == n &&
           e->py == py && memcmp(arena + e->off, pcs, (size_t)n * sizeof(uintptr_t)) == 0;
}

static void stack_emit_locked(uint32_t id, uintptr_t *pcs, int n, uint32_t py)
{
    char mem[CL_MAX_DEPTH * 22 + 80];
    struct jb b;
    modules_refresh_locked(); /* a new stack may run through a new dlopen'ed module */
    pyframes_emit_locked(py); /* the Python chain it names goes first */
    jb_init(&b, mem, sizeof(mem) - 1);
    jb_raw(&b, "{\"t\":\"stk\"");
    jb_kv_u64(&b, "id", id);
    if (py) jb_kv_u64(&b, "py", py);
    jb_raw(&b, ",\"pc\":[");
    for (int i = 0; i < n; i++) {
        if (i) jb_rawn(&b, ",", 1);
        jb_hex(&b, pcs[i]);
    }
    jb_raw(&b, "]}\n");
    trace_append_locked(b.p, b.len);
}

/* Inserts under the lock; re-probes first since another thread may have won. */
static struct stk_entry *stack_insert(uint64_t h, uintptr_t *pcs, int n, uint32_t py)
{
    lock_take(&cl_stack_lock);
    struct stk_entry *e = NULL;
    for (uint32_t i = (uint32_t)h & (STK_CAP - 1);; i = (i + 1) & (STK_CAP - 1)) {
        e = &table[i];
        if (entry_matches(e, h, pcs, n, py)) break;
        if (atomic_load(&e->hash) != 0) continue;
        uint32_t off = atomic_load(&arena_used);
        if (atomic_load(&nstacks) >= STK_CAP * 3 / 4 || off + (uint32_t)n > ARENA_CAP) {
            e = NULL;
            break;
        }
        memcpy(arena + off, pcs, (size_t)n * sizeof(uintptr_t));
        atomic_store(&arena_used, off + (uint32_t)n);
        e->off = off;
        e->depth = (uint16_t)n;
        e->py = py;
        atomic_store(&e->emitted_gen, 0);
        atomic_fetch_add(&nstacks, 1);
        atomic_store_explicit(&e->hash, h, memory_order_release);
        break;
    }
    lock_give(&cl_stack_lock);
    if (!e && !atomic_exchange(&full_noted, 1))
        ev_note("stack-table-full", "too many distinct stacks: new ones are recorded as stack 0");
    return e;
}

static struct stk_entry *stack_find(uintptr_t *pcs, int n, uint32_t py)
{
    uint64_t h = pcs_hash(pcs, n, py);
    for (uint32_t i = (uint32_t)h & (STK_CAP - 1);; i = (i + 1) & (STK_CAP - 1)) {
        struct stk_entry *e = &table[i];
        uint64_t eh = atomic_load_explicit(&e->hash, memory_order_acquire);
        if (eh == 0) return stack_insert(h, pcs, n, py);
        if (entry_matches(e, h, pcs, n, py)) return e;
    }
}

uint32_t stack_capture(void)
{
    if (!unw_bt) return 0;
    void *raw[CL_MAX_DEPTH + SKIP_MAX];
    int n = unwind(raw, cl_cfg.depth + SKIP_MAX);
    int skip = 0;
    while (skip < n && skip < SKIP_MAX && modules_self_contains((uintptr_t)raw[skip])) skip++;
    n -= skip;
    uintptr_t *pcs = (uintptr_t *)(raw + skip);
    /* our wrappers of libcurl / OpenSSL calls sit deeper in the stack
     * (app -> our curl_easy_perform -> libcurl -> socket): drop them too */
    int kept = 0;
    for (int i = 0; i < n; i++)
        if (!modules_self_contains(pcs[i])) pcs[kept++] = pcs[i];
    n = kept;
    if (n > cl_cfg.depth) n = cl_cfg.depth;
    uint32_t py = pyframes_capture();
    if (n <= 0 && !py) return 0;
    struct stk_entry *e = stack_find(pcs, n < 0 ? 0 : n, py);
    if (!e) return 0;
    uint32_t id = (uint32_t)(e - table) + 1;
    uint32_t gen = atomic_load(&cl_trace_gen);
    if (atomic_load(&e->emitted_gen) != gen && trace_ensure_open()) {
        lock_take(&cl_trace_lock);
        if (atomic_load(&e->emitted_gen) != gen && trace_is_open()) {
            stack_emit_locked(id, arena + e->off, e->depth, e->py);
            atomic_store(&e->emitted_gen, gen);
        }
        lock_give(&cl_trace_lock);
    }
    return id;
}

uintptr_t stack_top_pc(uint32_t id)
{
    if (!table || id == 0 || id > STK_CAP) return 0;
    const struct stk_entry *e = &table[id - 1];
    if (atomic_load_explicit(&e->hash, memory_order_acquire) == 0 || !e->depth) return 0;
    return arena[e->off];
}

/* Writes stack `id` into the current trace if it is not there yet: for the
 * records a fork child writes about sockets it inherited. */
void stack_emit_id(uint32_t id)
{
    if (!table || id == 0 || id > STK_CAP) return;
    struct stk_entry *e = &table[id - 1];
    uint32_t gen = atomic_load(&cl_trace_gen);
    if (atomic_load_explicit(&e->hash, memory_order_acquire) == 0) return;
    if (atomic_load(&e->emitted_gen) == gen) return; /* there already: no lock */
    lock_take(&cl_trace_lock);
    if (atomic_load(&e->emitted_gen) != gen) {
        stack_emit_locked(id, arena + e->off, e->depth, e->py);
        atomic_store(&e->emitted_gen, gen);
    }
    lock_give(&cl_trace_lock);
}

/* The child of a fork starts a new trace file: every stack must be written
 * again before use there. */
void stacks_after_fork_child(void)
{
    if (fork_unsafe) {
        __atomic_store_n(&unw_bt, NULL, __ATOMIC_RELEASE);
        atomic_store(&no_stacks_noted, 1);
    }
    fork_unsafe = false;
    atomic_store(&unwinders, 0); /* the parent's other threads are not here */
    atomic_store(&fork_pending, 0);
    atomic_fetch_add(&cl_trace_gen, 1);
    atomic_flag_clear(&cl_stack_lock.f);
    pyframes_after_fork_child();
}
