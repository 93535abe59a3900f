/* Wall-clock time for the timings the library and the CLI report. */
#ifndef BA_CLOCK_H
#define BA_CLOCK_H

#include <time.h>

/* Seconds on the monotonic clock (differences only). */
static inline double wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#endif
