/* timewait.h - connections closed first on our side, matched to the
 * TIME_WAIT sockets the sampler finds (timewait.c). The close path notes
 * each close; the flusher ages them; the sampler walks the kernel's list. */
#ifndef CONNLEAK_TIMEWAIT_H
#define CONNLEAK_TIMEWAIT_H

#include "fdtable.h"

struct sample_counts; /* sampler.h */

int tw_init(void);
void tw_check_connected(struct sock_rec *r, int fd); /* close path, before ev_close */
void tw_note_close(const struct sock_rec *r, int fd);  /* close path; fd -1: not open */
bool tw_age(uint64_t now, bool *first);               /* flusher: TIME_WAIT worth asking */
void tw_walk_begin(bool with_tw);
bool tw_read_owed(uint64_t min); /* a site's closes first since the last read of
                                    TIME_WAIT may be a storm it did not see */
void tw_walk_sock(int family, const uint8_t *dst, uint16_t dport, uint16_t sport);
uint32_t tw_walk_end(struct sample_counts *out);
void tw_after_fork_child(void);

#endif
