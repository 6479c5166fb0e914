/* sample_server.h - a tiny in-process HTTP/1.1 server for the samples.
 *
 * The client samples need a peer on loopback without depending on anything
 * outside the process. The server listens on 127.0.0.1 on a port the kernel
 * picks, serves every connection in its own thread and closes every socket it
 * accepted: the only socket it leaves open is the listener, which connleak
 * leaves out of its report. */
#ifndef SAMPLE_SERVER_H
#define SAMPLE_SERVER_H

/* The body of every 200 response. */
#define SAMPLE_SERVER_BODY "hello from sample_server\n"

/* Starts the server in a background thread. Returns the port it listens on
 * (127.0.0.1), or -1 with errno set on failure. Call it once per process. */
int sample_server_start(void);

#endif
