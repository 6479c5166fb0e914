/* trend.c - Theil-Sen slope, Mann-Kendall trend test and sparklines for the
 * time series behind the fd-growth and unbounded-pool findings.
 *
 * Both statistics look at every pair of points, so they cost O(n^2): fine for
 * the TREND_MAX_POINTS (2000) points they are given at most; a longer series
 * (a service sampled every second for days) is first thinned to evenly spaced
 * indices, first and last kept, so the same input always gives the same fit.
 * The median of the pairwise slopes is found with quickselect. */
#include "util/trend.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

/* Picks which input indices trend_fit uses: all, or TREND_MAX_POINTS evenly
 * spaced ones. Returns the count; *idx is allocated. */
static size_t points_pick(size_t n, size_t **idx)
{
    size_t m = n > TREND_MAX_POINTS ? TREND_MAX_POINTS : n;
    *idx = xmalloc(m * sizeof(**idx));
    for (size_t i = 0; i < m; i++) (*idx)[i] = m == n ? i : i * (n - 1) / (m - 1);
    return m;
}

static void swap_d(double *a, double *b)
{
    double t = *a;
    *a = *b;
    *b = t;
}

/* Moves the k-th smallest of v[0..n) to v[k] (smaller ones before it, larger
 * after) and returns it. Median-of-three pivot, Hoare-style partition. */
static double select_kth(double *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] < v[lo]) swap_d(&v[mid], &v[lo]);
        if (v[hi] < v[lo]) swap_d(&v[hi], &v[lo]);
        if (v[hi] < v[mid]) swap_d(&v[hi], &v[mid]);
        double pivot = v[mid];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot) i++;
            while (v[j] > pivot) j--;
            if (i <= j) {
                swap_d(&v[i], &v[j]);
                i++;
                if (j == 0) break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            break; /* j < k < i: v[k] equals the pivot */
    }
    return v[k];
}

/* Median of v[0..n), n > 0; reorders v. */
static double median_of(double *v, size_t n)
{
    size_t k = n / 2;
    double hi = select_kth(v, n, k);
    if (n % 2) return hi;
    double lo = v[0]; /* the largest of v[0..k), all <= hi after the select */
    for (size_t i = 1; i < k; i++)
        if (v[i] > lo) lo = v[i];
    return (lo + hi) / 2;
}

/* Theil-Sen: median of the slopes of all pairs with distinct x, and the
 * median of y - slope * x as intercept. */
static void fit_theil_sen(const double *x, const double *y, const size_t *idx, size_t m,
                          struct trend_fit *out)
{
    double *s = xmalloc((m * (m - 1) / 2) * sizeof(*s));
    size_t ns = 0;
    for (size_t i = 0; i < m; i++)
        for (size_t j = i + 1; j < m; j++) {
            double dx = x[idx[j]] - x[idx[i]];
            if (dx != 0) s[ns++] = (y[idx[j]] - y[idx[i]]) / dx;
        }
    out->slope = ns ? median_of(s, ns) : 0;
    for (size_t i = 0; i < m; i++) s[i] = y[idx[i]] - out->slope * x[idx[i]];
    out->intercept = median_of(s, m);
    free(s);
}

static int cmp_double(const void *a, const void *b)
{
    double u = *(const double *)a, v = *(const double *)b;
    return (u > v) - (u < v);
}

/* Sum over groups of tied y values of t(t-1)(2t+5), for Var(S). */
static double ties_term(const double *y, const size_t *idx, size_t m)
{
    double *v = xmalloc(m * sizeof(*v));
    for (size_t i = 0; i < m; i++) v[i] = y[idx[i]];
    sort_n(v, m, sizeof(*v), cmp_double);
    double sum = 0;
    for (size_t i = 0; i < m;) {
        size_t j = i + 1;
        while (j < m && v[j] == v[i]) j++;
        double t = (double)(j - i);
        sum += t * (t - 1) * (2 * t + 5);
        i = j;
    }
    free(v);
    return sum;
}

/* Mann-Kendall: S, tie-corrected variance, continuity-corrected z, two-sided
 * p from the normal approximation, and Kendall's tau = S / (m(m-1)/2). */
static void test_mann_kendall(const double *y, const size_t *idx, size_t m, struct trend_fit *out)
{
    double s = 0;
    for (size_t i = 0; i < m; i++)
        for (size_t j = i + 1; j < m; j++) {
            double d = y[idx[j]] - y[idx[i]];
            s += (d > 0) - (d < 0);
        }
    double n = (double)m;
    double var = (n * (n - 1) * (2 * n + 5) - ties_term(y, idx, m)) / 18;
    out->tau = s / (n * (n - 1) / 2);
    out->z = 0;
    if (var > 0 && s > 0) out->z = (s - 1) / sqrt(var);
    if (var > 0 && s < 0) out->z = (s + 1) / sqrt(var);
    out->p = erfc(fabs(out->z) / sqrt(2));
}

bool trend_fit(const double *x, const double *y, size_t n, double alpha, struct trend_fit *out)
{
    memset(out, 0, sizeof(*out));
    out->p = 1;
    out->n = (int)(n > TREND_MAX_POINTS ? TREND_MAX_POINTS : n);
    if (n < 3) return false;
    size_t *idx;
    size_t m = points_pick(n, &idx);
    fit_theil_sen(x, y, idx, m, out);
    test_mann_kendall(y, idx, m, out);
    free(idx);
    out->significant = m >= TREND_MIN_SIGNIFICANT && out->p < alpha && out->slope != 0;
    return true;
}

double trend_time_to(const struct trend_fit *f, double x_last, double limit)
{
    if (!(f->slope > 0)) return -1;
    double now = f->intercept + f->slope * x_last;
    if (now >= limit) return 0;
    return (limit - now) / f->slope;
}

/* Max of y over bucket b of w buckets spanning y[0..n). */
static double bucket_max(const double *y, size_t n, size_t w, size_t b)
{
    size_t from = b * n / w, to = (b + 1) * n / w;
    double v = y[from];
    for (size_t i = from + 1; i < to; i++)
        if (y[i] > v || isnan(v)) v = y[i];
    return v;
}

void trend_sparkline(const double *y, size_t n, size_t width, char *out, size_t outsz)
{
    static const char *const glyph[8] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
    if (outsz == 0) return;
    out[0] = '\0';
    size_t w = n < width ? n : width;
    if (w == 0) return;
    double *v = xmalloc(w * sizeof(*v));
    double lo = INFINITY, hi = -INFINITY;
    for (size_t b = 0; b < w; b++) {
        v[b] = bucket_max(y, n, w, b);
        if (v[b] < lo) lo = v[b];
        if (v[b] > hi) hi = v[b];
    }
    size_t len = 0;
    for (size_t b = 0; b < w && len + 3 < outsz; b++) {
        int level = 0;
        if (hi > lo && isfinite(v[b])) level = (int)lround((v[b] - lo) / (hi - lo) * 7);
        memcpy(out + len, glyph[level], 3);
        len += 3;
    }
    out[len] = '\0';
    free(v);
}

void trend_fit_phrase(const struct trend_fit *f, char *out, size_t outsz)
{
    if (f->p < 0.001)
        snprintf(out, outsz, "Theil-Sen; Mann-Kendall tau %.2f, p < 0.001, %d points", f->tau,
                 f->n);
    else
        snprintf(out, outsz, "Theil-Sen; Mann-Kendall tau %.2f, p = %.3f, %d points", f->tau, f->p,
                 f->n);
}

bool trend_rising(const double *x, const double *y, size_t n, double min_rise,
                  struct trend_fit *fit)
{
    if (n < TREND_MIN_SIGNIFICANT || !trend_fit(x, y, n, TREND_ALPHA, fit)) return false;
    return fit->significant && fit->slope > 0 && fit->slope * (x[n - 1] - x[0]) >= min_rise;
}
