/* counter.h - the tiny project of samples/ci (see README.md there). */
#ifndef COUNTER_H
#define COUNTER_H

int vendor_healthcheck(void); /* vendor.c: third-party, leaks */
int counter_fetch(int n);     /* counter.c: the project's own code */

#endif
