/* config.c - the CONNLEAK_* environment variables, read once in the
 * constructor (getenv is fine there; never inside a hook). */
#define _GNU_SOURCE
#include "config.h"
#include "dumpsig.h"
#include "launchers.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct cl_config cl_cfg = {.dir = ".", .depth = 32, .flush_ms = 200};

static long env_long(const char *name, long def, long lo, long hi)
{
    const char *s = getenv(name);
    if (!s || !*s) return def;
    char *end;
    long v = strtol(s, &end, 10);
    if (*end) return def;
    if (v < lo) return lo;
    if (v > hi) return hi;
    return v;
}

static bool env_flag(const char *name)
{
    const char *s = getenv(name);
    return s && (strcmp(s, "1") == 0 || strcmp(s, "yes") == 0 || strcmp(s, "true") == 0);
}

/* A signal by number or name (USR2, SIGUSR2); 0 / "off" / unknown: none. */

/* A path from the environment into out (size len): a relative one is taken
 * from the directory the program started in, whatever chdir follows. */
static void env_path(const char *name, char *out, size_t len)
{
    const char *v = getenv(name);
    if (v && *v && v[0] != '/') {
        char cwd[4096];
        size_t n = getcwd(cwd, sizeof(cwd)) ? strlen(cwd) : 0;
        if (n && n + 1 + strlen(v) < len) {
            memcpy(out, cwd, n);
            out[n] = '/';
            strcpy(out + n + 1, v);
        }
    } else if (v && *v && strlen(v) < len) {
        strcpy(out, v);
    }
}

void config_load(void)
{
    env_path("CONNLEAK_DIR", cl_cfg.dir, sizeof(cl_cfg.dir));
    env_path("CONNLEAK_PROMETHEUS", cl_cfg.prometheus, sizeof(cl_cfg.prometheus));
    const char *notify = getenv("CONNLEAK_NOTIFY");
    if (notify && strlen(notify) < sizeof(cl_cfg.notify)) strcpy(cl_cfg.notify, notify);
    cl_cfg.depth = (int)env_long("CONNLEAK_DEPTH", 32, 0, CL_MAX_DEPTH);
    cl_cfg.flush_ms = (int)env_long("CONNLEAK_FLUSH_MS", 200, 10, 60000);
    cl_cfg.close_stacks = env_flag("CONNLEAK_CLOSE_STACKS");
    cl_cfg.follow_exec = env_flag("CONNLEAK_FOLLOW_EXEC");
    cl_cfg.disabled = env_flag("CONNLEAK_DISABLE");
    cl_cfg.http = (int)env_long("CONNLEAK_HTTP", 1, 0, 2);
    cl_cfg.sample_ms = (int)env_long("CONNLEAK_SAMPLE_MS", 1000, 0, 3600000);
    cl_cfg.tw_exact = env_long("CONNLEAK_TW_EXACT", 1, 0, 1) != 0;
    cl_cfg.tw_min = (int)env_long("CONNLEAK_TW_MIN", 100, 1, 1000000);
    cl_cfg.dump_signal = dumpsig_parse(getenv("CONNLEAK_DUMP_SIGNAL"));
    cl_cfg.dump_signal_refused = cl_cfg.dump_signal < 0;
    if (cl_cfg.dump_signal < 0) cl_cfg.dump_signal = 0;
    cl_cfg.detail_sockets = env_long("CONNLEAK_DETAIL_SOCKETS", 10000, -1, 1L << 40);
    if (cl_cfg.sample_ms && cl_cfg.sample_ms < 50) cl_cfg.sample_ms = 50;
    cl_cfg.root_pid = (pid_t)env_long("CONNLEAK_ROOT_PID", 0, 0, 1L << 30);
}

/* Programs whose whole job is to exec another: `connleak run -- sh -c ...`,
 * `#!/usr/bin/env python3` scripts, `timeout 10 prog`. Through them the
 * preload carries on into what they start, whatever CONNLEAK_FOLLOW_EXEC
 * says: stopping at the launcher would report a clean run of env. */
bool config_exe_is_launcher(void)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0) return false;
    exe[n] = 0;
    const char *base = strrchr(exe, '/');
    return launcher_name(base ? base + 1 : exe);
}

/* Removes libconnleak from LD_PRELOAD so that programs this process execs are
 * not traced (unless CONNLEAK_FOLLOW_EXEC=1). Forked children keep tracing:
 * they keep the library mapped. Other preloaded libraries stay. */
void config_strip_preload(void)
{
    const char *cur = getenv("LD_PRELOAD");
    if (!cur || !strstr(cur, "libconnleak")) return;
    char out[4096];
    size_t n = 0;
    const char *p = cur;
    while (*p) {
        size_t len = strcspn(p, ": ");
        if (len && !memmem(p, len, "libconnleak", 11) && n + len + 2 < sizeof(out)) {
            if (n) out[n++] = ':';
            memcpy(out + n, p, len);
            n += len;
        }
        p += len;
        if (*p) p++;
    }
    out[n] = 0;
    if (n)
        setenv("LD_PRELOAD", out, 1);
    else
        unsetenv("LD_PRELOAD");
}
