/* test_trend.c - unit tests of analyzer/util/trend.c (Theil-Sen slope,
 * Mann-Kendall test, time to a limit, sparklines) against series whose
 * answers are known: exact lines, lines with outliers, noise, steps, and
 * numbers worked out by hand (and checked with a few lines of python3). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/trend.h"

#define ALPHA 0.05

/* cmocka 1.1.5 (Debian 12) compares only floats: doubles need their own. */
#define assert_near(got, want, eps)                                                                \
    do {                                                                                           \
        double g_ = (got), w_ = (want);                                                            \
        if (!(fabs(g_ - w_) <= (eps))) fail_msg("%s = %.12g, want %.12g", #got, g_, w_);           \
    } while (0)

/* A deterministic pseudo-random number in [0, 1): the same in every run. */
static double noise_next(uint32_t *state)
{
    *state = *state * 1664525u + 1013904223u;
    return (double)(*state >> 8) / (double)(1u << 24);
}

static void seconds_fill(double *x, size_t n, double step)
{
    for (size_t i = 0; i < n; i++) x[i] = (double)i * step;
}

static void test_linear_exact(void **state)
{
    (void)state;
    double x[20], y[20];
    seconds_fill(x, 20, 5); /* a sample every 5 s */
    for (int i = 0; i < 20; i++) y[i] = 3 + 0.5 * x[i];
    struct trend_fit f;
    assert_true(trend_fit(x, y, 20, ALPHA, &f));
    assert_near(f.slope, 0.5, 1e-12);
    assert_near(f.intercept, 3, 1e-9);
    assert_near(f.tau, 1, 1e-12);
    assert_int_equal(f.n, 20);
    assert_true(f.z > 0);
    assert_true(f.p < 1e-6);
    assert_true(f.significant);
}

static void test_linear_outliers(void **state)
{
    (void)state;
    double x[60], y[60];
    seconds_fill(x, 60, 1);
    for (int i = 0; i < 60; i++) y[i] = 100 + 2 * x[i] + (i % 10 == 3 ? 500 : 0);
    y[59] = 0; /* and one collapse at the end */
    struct trend_fit f;
    assert_true(trend_fit(x, y, 60, ALPHA, &f));
    assert_true(fabs(f.slope - 2) <= 0.05 * 2);
    assert_true(fabs(f.intercept - 100) <= 5);
    assert_true(f.significant);
}

static void test_flat_noise(void **state)
{
    (void)state;
    double x[120], y[120];
    uint32_t seed = 12345;
    seconds_fill(x, 120, 1);
    for (int i = 0; i < 120; i++) y[i] = 50 + 10 * (noise_next(&seed) - 0.5);
    struct trend_fit f;
    assert_true(trend_fit(x, y, 120, ALPHA, &f));
    assert_true(fabs(f.slope) < 0.05);
    assert_true(f.p >= ALPHA);
    assert_false(f.significant);
}

static void test_constant(void **state)
{
    (void)state;
    double x[30], y[30];
    seconds_fill(x, 30, 1);
    for (int i = 0; i < 30; i++) y[i] = 42;
    struct trend_fit f;
    assert_true(trend_fit(x, y, 30, ALPHA, &f));
    assert_true(f.slope == 0);
    assert_near(f.intercept, 42, 0);
    assert_true(f.tau == 0 && f.z == 0);
    assert_near(f.p, 1, 0);
    assert_false(f.significant);
    assert_true(trend_time_to(&f, 29, 100) < 0);
}

static void test_short_series(void **state)
{
    (void)state;
    double x[8] = {0, 1, 2, 3, 4, 5, 6, 7}, y[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    struct trend_fit f;
    assert_false(trend_fit(x, y, 0, ALPHA, &f));
    assert_false(trend_fit(x, y, 2, ALPHA, &f));
    assert_false(f.significant);
    /* 7 rising points: S = 21, Var = 7*6*19/18, z = 20/sqrt(44.33) = 3.00,
     * p = 0.0027 < alpha; yet 7 points are too few to call it a trend. */
    assert_true(trend_fit(x, y, 7, ALPHA, &f));
    assert_near(f.slope, 1, 1e-12);
    assert_true(f.p < ALPHA);
    assert_false(f.significant);
    assert_true(trend_fit(x, y, 8, ALPHA, &f));
    assert_true(f.significant);
}

/* y = 10 12 11 15 15 14 18 17 20 19 at x = 0..9. Of the 45 pairs, 5 fall
 * (12>11, 15>14 twice, 18>17, 20>19), 1 is tied (15,15), 39 rise: S = 34,
 * tau = 34/45. Var(S) = (10*9*25 - 2*1*9) / 18 = 124 (one pair of ties),
 * z = (34 - 1) / sqrt(124) = 2.963487, p = erfc(z / sqrt 2) = 0.0030417.
 * Theil-Sen: the median of the 45 pair slopes is 1, the median of
 * y - x is 10.5. (python3: same formulas, independent code.) */
static void test_mann_kendall_by_hand(void **state)
{
    (void)state;
    double x[10], y[10] = {10, 12, 11, 15, 15, 14, 18, 17, 20, 19};
    seconds_fill(x, 10, 1);
    struct trend_fit f;
    assert_true(trend_fit(x, y, 10, ALPHA, &f));
    assert_near(f.tau, 34.0 / 45.0, 1e-12);
    assert_near(f.z, 2.963487483, 1e-8);
    assert_near(f.p, 0.00304174432, 1e-10);
    assert_near(f.slope, 1, 1e-12);
    assert_near(f.intercept, 10.5, 1e-12);
    assert_true(f.significant);
    assert_false(trend_fit(x, y, 10, 0.001, &f) && f.significant); /* p > 0.001 */
}

static void test_decreasing(void **state)
{
    (void)state;
    double x[40], y[40];
    uint32_t seed = 7;
    seconds_fill(x, 40, 2);
    for (int i = 0; i < 40; i++) y[i] = 1000 - 3 * x[i] + 4 * (noise_next(&seed) - 0.5);
    struct trend_fit f;
    assert_true(trend_fit(x, y, 40, ALPHA, &f));
    assert_true(fabs(f.slope + 3) <= 0.05 * 3);
    assert_true(f.tau < -0.9 && f.z < 0);
    assert_true(f.significant);
    assert_true(trend_time_to(&f, 78, 2000) < 0);
}

static void test_time_to(void **state)
{
    (void)state;
    double x[10], y[10];
    seconds_fill(x, 10, 10); /* 0..90 s, 2 fds/s from 10 */
    for (int i = 0; i < 10; i++) y[i] = 10 + 2 * x[i];
    struct trend_fit f;
    assert_true(trend_fit(x, y, 10, ALPHA, &f));
    /* at x = 90 the line is at 190: (1024 - 190) / 2 = 417 s to go */
    assert_near(trend_time_to(&f, 90, 1024), 417, 1e-9);
    assert_near(trend_time_to(&f, 90, 190), 0, 0);
    assert_near(trend_time_to(&f, 90, 100), 0, 0); /* already past */
    struct trend_fit g = {.slope = 0.25, .intercept = -5};
    assert_near(trend_time_to(&g, 100, 60), 160, 1e-12);
    g.slope = 0;
    assert_true(trend_time_to(&g, 100, 60) < 0);
    g.slope = -1;
    assert_true(trend_time_to(&g, 100, 60) < 0);
}

/* One jump of 5 halfway (10 points at 0, 10 at 5): Mann-Kendall sees a
 * monotonic change (S = 100, Var = (20*19*45 - 2*10*9*25)/18 = 700,
 * z = 99/sqrt(700) = 3.742) and Theil-Sen takes the median of 90 zero slopes
 * and 100 positive ones: the 5th and 6th smallest positive, 5/17. So a
 * level shift in the middle of a window reads as significant growth; a jump
 * in the last 2 of 20 points leaves the median slope at 0: not significant,
 * although Mann-Kendall alone says p = 0.027. */
static void test_step(void **state)
{
    (void)state;
    double x[20], y[20];
    seconds_fill(x, 20, 1);
    for (int i = 0; i < 20; i++) y[i] = i < 10 ? 0 : 5;
    struct trend_fit f;
    assert_true(trend_fit(x, y, 20, ALPHA, &f));
    assert_near(f.z, 99 / sqrt(700), 1e-12);
    assert_near(f.slope, 5.0 / 17.0, 1e-12);
    assert_true(f.significant);

    for (int i = 0; i < 20; i++) y[i] = i < 18 ? 0 : 5;
    assert_true(trend_fit(x, y, 20, ALPHA, &f));
    assert_near(f.p, 0.0274686404, 1e-9);
    assert_true(f.slope == 0);
    assert_false(f.significant);
}

static int cmp_d(const void *a, const void *b)
{
    double u = *(const double *)a, v = *(const double *)b;
    return (u > v) - (u < v);
}

static double median_sorted(double *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_d);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The plain O(n^2 log n) Theil-Sen of the textbook, to compare with. */
static void theil_sen_ref(const double *x, const double *y, size_t n, double *slope, double *icpt)
{
    double *s = malloc(n * n * sizeof(*s));
    size_t ns = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (x[j] != x[i]) s[ns++] = (y[j] - y[i]) / (x[j] - x[i]);
    *slope = median_sorted(s, ns);
    for (size_t i = 0; i < n; i++) s[i] = y[i] - *slope * x[i];
    *icpt = median_sorted(s, n);
    free(s);
}

/* Random small-integer series (many ties, odd and even pair counts, repeated
 * timestamps) give the same slope as the textbook computation. */
static void test_matches_reference(void **state)
{
    (void)state;
    uint32_t seed = 99;
    double x[41], y[41];
    for (size_t n = 3; n <= 41; n++) {
        double t = 0;
        for (size_t i = 0; i < n; i++) {
            t += noise_next(&seed) < 0.2 ? 0 : 1; /* some equal x */
            x[i] = t;
            y[i] = floor(noise_next(&seed) * 6) + (double)(i / 4);
        }
        struct trend_fit f;
        double slope, icpt;
        assert_true(trend_fit(x, y, n, ALPHA, &f));
        theil_sen_ref(x, y, n, &slope, &icpt);
        assert_near(f.slope, slope, 1e-12);
        assert_near(f.intercept, icpt, 1e-9);
    }
}

/* 10,000 points (a sample a second for almost 3 hours) are thinned to 2000:
 * the line is still exact and the result the same on every call. */
static void test_long_series_subsampled(void **state)
{
    (void)state;
    size_t n = 10000;
    double *x = malloc(n * sizeof(*x)), *y = malloc(n * sizeof(*y));
    seconds_fill(x, n, 1);
    for (size_t i = 0; i < n; i++) y[i] = 20 + x[i] / 60 + (i % 97 == 0 ? 1000 : 0);
    struct trend_fit f, g;
    assert_true(trend_fit(x, y, n, ALPHA, &f));
    assert_int_equal(f.n, TREND_MAX_POINTS);
    assert_near(f.slope, 1.0 / 60, 1e-9);
    assert_true(f.significant);
    assert_true(trend_fit(x, y, n, ALPHA, &g));
    assert_memory_equal(&f, &g, sizeof(f));
    /* the subsample spans the whole series: flat for 7000 s, then rising */
    for (size_t i = 0; i < n; i++) y[i] = i < 7000 ? 50 : 50 + (x[i] - 7000) / 10;
    assert_true(trend_fit(x, y, n, ALPHA, &f));
    assert_true(f.slope > 0);
    assert_true(f.significant);
    free(x);
    free(y);
}

static void test_sparkline(void **state)
{
    (void)state;
    char out[128];
    double ramp[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    trend_sparkline(ramp, 8, 40, out, sizeof(out));
    assert_string_equal(out, "▁▂▃▄▅▆▇█");

    /* 16 points in 4 buckets, each drawn as its max: 1 7 3 5, scaled 1..7 */
    double spiky[16] = {0, 1, 0, 0, 0, 0, 7, 0, 3, 0, 0, 0, 0, 0, 0, 5};
    trend_sparkline(spiky, 16, 4, out, sizeof(out));
    assert_string_equal(out, "▁█▃▆");

    double flat[3] = {9, 9, 9};
    trend_sparkline(flat, 3, 10, out, sizeof(out));
    assert_string_equal(out, "▁▁▁");

    trend_sparkline(ramp, 0, 10, out, sizeof(out));
    assert_string_equal(out, "");
    trend_sparkline(ramp, 8, 0, out, sizeof(out));
    assert_string_equal(out, "");

    memset(out, 'x', sizeof(out));
    trend_sparkline(ramp, 8, 8, out, 7); /* room for 2 glyphs and the NUL */
    assert_string_equal(out, "▁▂");
    assert_int_equal(out[7], 'x');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear_exact),
        cmocka_unit_test(test_linear_outliers),
        cmocka_unit_test(test_flat_noise),
        cmocka_unit_test(test_constant),
        cmocka_unit_test(test_short_series),
        cmocka_unit_test(test_mann_kendall_by_hand),
        cmocka_unit_test(test_decreasing),
        cmocka_unit_test(test_time_to),
        cmocka_unit_test(test_step),
        cmocka_unit_test(test_matches_reference),
        cmocka_unit_test(test_long_series_subsampled),
        cmocka_unit_test(test_sparkline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
