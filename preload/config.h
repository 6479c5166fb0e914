/* config.h - the CONNLEAK_* environment variables, read once at start
 * (config.c). Any file of preload/ that acts on a setting includes it. */
#ifndef CONNLEAK_CONFIG_H
#define CONNLEAK_CONFIG_H

#include "preload.h"

#define CL_MAX_DEPTH 128 /* the largest CONNLEAK_DEPTH */

struct cl_config {
    char dir[4096];        /* CONNLEAK_DIR: where traces go (default ".") */
    char prometheus[4096]; /* CONNLEAK_PROMETHEUS: metrics file, "" = none (prom.c) */
    char notify[108];      /* CONNLEAK_NOTIFY: connleak run's abstract socket (trace.c) */
    int depth;             /* CONNLEAK_DEPTH: frames per stack, 0 = no stacks */
    int flush_ms;          /* CONNLEAK_FLUSH_MS: periodic flush interval */
    bool close_stacks;     /* CONNLEAK_CLOSE_STACKS=1: remember the stack of each close */
    bool follow_exec;      /* CONNLEAK_FOLLOW_EXEC=1: keep LD_PRELOAD for exec'd programs */
    bool disabled;         /* CONNLEAK_DISABLE=1: load but record nothing */
    int http;        /* CONNLEAK_HTTP: 0 off, 1 follow HTTP/1 (default), 2 also log exchanges */
    pid_t root_pid;  /* CONNLEAK_ROOT_PID: the process `connleak run` started */
    int sample_ms;   /* CONNLEAK_SAMPLE_MS: sampler period, 0 = off */
    int dump_signal; /* CONNLEAK_DUMP_SIGNAL: writes the live set, 0 = off */
    bool dump_signal_refused; /* it named a signal other than USR1, USR2, RTMIN+n */
    long detail_sockets;      /* CONNLEAK_DETAIL_SOCKETS: written one by one, -1 = all */
    bool tw_exact; /* CONNLEAK_TW_EXACT (default 1): local port at close, for TIME_WAIT */
    int tw_min;    /* CONNLEAK_TW_MIN (default 100): closes first that bring a last walk at exit */
};
extern struct cl_config cl_cfg;
void config_load(void);
void config_strip_preload(void);
bool config_exe_is_launcher(void);

#endif
