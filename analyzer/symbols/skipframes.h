/* skipframes.h - which frames are not the user's code: the libraries a
 * finding's headline frame skips (libc, libcurl, libssl, ...), and the
 * patterns of --skip-frames.
 *
 * A pattern is a shell glob (fnmatch) matched against a frame's module file
 * name (its basename: "libcurl.so.4") and against its function name
 * ("Curl_*", "myhttp_*"): a frame matching either is skipped. The stack is
 * still printed whole; only the headline frame (top_frame) and the `user`
 * flag of frames change. */
#ifndef CONNLEAK_SKIPFRAMES_H
#define CONNLEAK_SKIPFRAMES_H

#include <stdbool.h>
#include <stddef.h>

/* The patterns skipped by default, NULL-terminated (README, "Stacks"). */
extern const char *const skip_frames_default[];

/* The user's --skip-frames patterns, on top of the defaults. */
struct skip_frames {
    const char *const *extra;
    size_t nextra;
};

/* True when the frame (module path and function, either may be NULL)
 * matches a default pattern or one of s (s may be NULL). */
bool skip_frames_match(const struct skip_frames *s, const char *module, const char *function);

#endif
