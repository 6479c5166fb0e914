/* trend.h - trend statistics for time series (open fds, live sockets, per-peer
 * connections): a robust slope (Theil-Sen), a monotonic trend test
 * (Mann-Kendall), the projected time to a limit, and a sparkline.
 *
 * Used by the fd-growth and unbounded-pool findings and by `connleak watch`.
 * A finding is made only when the fit is `significant`: enough points, a
 * small p-value and a non-zero slope. Series longer than TREND_MAX_POINTS are
 * subsampled deterministically (evenly spaced indices, first and last kept). */
#ifndef CONNLEAK_TREND_H
#define CONNLEAK_TREND_H

#include <stdbool.h>
#include <stddef.h>

/* Above this many points, trend_fit works on an evenly spaced subsample. */
#define TREND_MAX_POINTS 2000
/* Fewer points than this are never significant. */
#define TREND_MIN_SIGNIFICANT 8

struct trend_fit {
    double slope;     /* Theil–Sen median slope, units of y per second */
    double intercept; /* y at x = 0 */
    double tau;       /* Kendall's tau of the Mann–Kendall test */
    double z;         /* its normal statistic (tie-corrected) */
    double p;         /* two-sided p-value */
    int n;            /* points used */
    bool significant; /* n >= 8 and p < alpha and slope != 0 */
};

/* x: seconds (increasing), y: values. Returns false if n < 3. */
bool trend_fit(const double *x, const double *y, size_t n, double alpha, struct trend_fit *out);

/* Seconds from x_last until the fitted line reaches limit; < 0 if never (slope <= 0). */
double trend_time_to(const struct trend_fit *f, double x_last, double limit);

/* Writes a UTF-8 sparkline (▁▂▃▄▅▆▇█, 3 bytes a glyph) of y into out, at most
 * `width` glyphs: when n > width, each glyph is the max of its bucket. Scaled
 * from min to max of y; a flat series is all ▁. Always NUL-terminated; stops
 * early rather than cut a glyph when outsz is too small. */
void trend_sparkline(const double *y, size_t n, size_t width, char *out, size_t outsz);

#endif
