/* connleak.h - optional: tell connleak which test is running, so that each
 * finding names the test during which its sockets were opened.
 *
 *     #include <connleak.h>
 *     connleak_mark("suite/test");   // at the start of each test
 *     connleak_unmark();             // between tests (or connleak_mark(NULL))
 *
 * Nothing to link: connleak_mark is a weak reference that libconnleak.so
 * defines when it is preloaded (`connleak run`). Without the preload the
 * reference is NULL and the calls do nothing, so a program built with this
 * header runs unchanged. The mark is process-wide (tests run one at a time
 * per process); it is safe to call from any thread and from a signal
 * handler. Names longer than 256 bytes are cut. See README.md, "Which test
 * leaked?".
 *
 * The program must be position-independent (PIE, the default of Debian's
 * and Ubuntu's compilers): in a -no-pie build the linker sets the weak
 * reference to NULL for good, and the marks are silently not made, unless
 * the file that calls it is built with -fPIC and the program linked with
 * -Wl,-z,dynamic-undefined-weak. */
#ifndef CONNLEAK_H
#define CONNLEAK_H

#ifdef __cplusplus
extern "C" {
#endif

/* Defined by libconnleak.so; NULL when it is not loaded. */
extern void connleak_mark(const char *test) __attribute__((weak));

static inline void connleak_mark_if_loaded_(const char *test)
{
    if (connleak_mark) (connleak_mark)(test);
}

/* Calls go through the check above (the parentheses keep the name of the
 * real function out of this macro). */
#define connleak_mark(test) connleak_mark_if_loaded_(test)

static inline void connleak_unmark(void)
{
    connleak_mark_if_loaded_(0);
}

#ifdef __cplusplus
}
#endif

#endif
