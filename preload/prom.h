/* prom.h - Prometheus metrics of the process, for node_exporter's textfile
 * collector (CONNLEAK_PROMETHEUS; prom.c). For sampler.c and lifecycle.c. */
#ifndef CONNLEAK_PROM_H
#define CONNLEAK_PROM_H

#include "sampler.h"

/* Rewrites the metrics file from a sample (the flusher thread). */
void prom_sample(const struct sample_counts *c);
/* Removes this process's file at its exit: its gauges would lie forever. */
void prom_exit(void);

#endif
