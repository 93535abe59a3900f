/* A minimal test harness: CHECK records a failure and goes on, so one run reports every
 * broken assertion; test_summary() prints "N passed, N failed" and gives the exit code. */
#ifndef BA_TEST_CHECK_H
#define BA_TEST_CHECK_H

#include <math.h>
#include <stdio.h>

static int check_passed, check_failed;

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (cond) {                                                                   \
            check_passed++;                                                           \
        } else {                                                                      \
            check_failed++;                                                           \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);  \
        }                                                                             \
    } while (0)

#define CHECK_MSG(cond, ...)                                                          \
    do {                                                                              \
        if (cond) {                                                                   \
            check_passed++;                                                           \
        } else {                                                                      \
            check_failed++;                                                           \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond);  \
            fprintf(stderr, __VA_ARGS__);                                             \
            fputc('\n', stderr);                                                      \
        }                                                                             \
    } while (0)

/* |a - b| <= rtol * max(|a|, |b|) + atol */
static inline int check_close(double a, double b, double rtol, double atol)
{
    if (isnan(a) || isnan(b))
        return 0;
    double scale = fmax(fabs(a), fabs(b));
    return fabs(a - b) <= rtol * scale + atol;
}

#define CHECK_CLOSE(a, b, rtol, atol)                                                 \
    CHECK_MSG(check_close((a), (b), (rtol), (atol)), "%.17g vs %.17g", (double)(a),   \
              (double)(b))

static inline int test_summary(const char *name)
{
    printf("%s: %d passed, %d failed\n", name, check_passed, check_failed);
    return check_failed ? 1 : 0;
}

#endif
