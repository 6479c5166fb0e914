/* kernel_sample.h - what the kernel-view samples (closewait_server,
 * timewait_churn, leak_growth) share: strict flag parsing, loopback
 * listen/connect, monotonic pacing, and starting a peer process.
 *
 * None of these functions opens the sockets a sample is about: every marked
 * call site ("connleak-test: ...-site") stays in the sample's own file, so
 * that the reported stacks point there. Bad flags print one line and exit 2. */
#ifndef KERNEL_SAMPLE_H
#define KERNEL_SAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The sample's name, for messages; set by main before anything else. */
extern const char *ksample_prog;

/* Prints "PROG: MSG" (and "usage: USAGE") on stderr and exits 2. */
_Noreturn void ksample_usage(const char *usage, const char *msg);

/* The same for an argument that is not one of the sample's flags. */
_Noreturn void ksample_bad_arg(const char *usage, const char *arg);

/* argv[*i] is a flag wanting a value: returns argv[*i + 1] as an integer in
 * [min, max] and advances *i; anything else is a usage error. */
long ksample_flag_long(int argc, char **argv, int *i, long min, long max, const char *usage);

/* A TCP listener on 127.0.0.1:port (0: the kernel picks), close-on-exec,
 * with its port in *bound. Returns the fd, or -1 with errno set. */
int ksample_listen(int port, int *bound);

/* Connects fd to 127.0.0.1:port. Returns connect()'s result. */
int ksample_connect(int fd, int port);

/* Sends all of buf (MSG_NOSIGNAL). False on error. */
bool ksample_send_all(int fd, const char *buf, size_t len);

/* Reads until EOF or until buf (size cap) is full. Returns the bytes read, or
 * -1 on error; buf is NUL-terminated. */
ssize_t ksample_read_eof(int fd, char *buf, size_t cap);

/* CLOCK_MONOTONIC in seconds, and sleeping until such a time. */
double ksample_now(void);
void ksample_sleep_until(double t);

/* Runs this same executable again (/proc/self/exe) with argv in a child that
 * gets SIGTERM when this process dies (PR_SET_PDEATHSIG), so a peer never
 * outlives its sample, and without LD_PRELOAD (connleak follows exec): the
 * peer is not traced. Returns the child's pid, or -1. */
pid_t ksample_spawn_self(char *const argv[]);

#endif
