/* procfd.h - a process's open fds from /proc/PID/fd: how many, and the
 * inodes of its sockets (to join with sock_diag, see sockdiag.h).
 *
 * Read with getdents64 into a buffer the caller lends: no malloc, no stdio,
 * no global state, so that the preload library's sampler thread can use it
 * on its own process as well as `connleak watch` on another one. */
#ifndef CONNLEAK_PROCFD_H
#define CONNLEAK_PROCFD_H

#include <stddef.h>
#include <stdint.h>

#define PROCFD_BUF_MIN 1024 /* smallest getdents64 buffer; 8 KiB or more is faster */

/* Counts the open fds of process pid (0 = the calling process, whose
 * directory fd used for the scan is not counted) and stores the inodes of
 * its sockets in inodes[0 .. cap) (inodes may be NULL when cap is 0).
 * *nsock receives the number of socket fds found, which may exceed cap:
 * then only the first cap were stored. Two fds of one socket give its inode
 * twice. Returns the number of open fds, or -errno: -ENOENT when there is
 * no such process, -EACCES when its fds may not be read, -EINVAL for a bad
 * argument. */
int procfd_scan(int pid, uint64_t *inodes, size_t cap, size_t *nsock, void *buf, size_t buflen);

/* The inode in a /proc/PID/fd link text "socket:[12345]" of len bytes, or 0
 * when it is not a socket. */
uint64_t procfd_socket_inode(const char *link, size_t len);

#endif
