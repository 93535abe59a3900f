/* Error reporting shared by the whole library: one formatted line in a ba_error. */
#ifndef BA_ERROR_H
#define BA_ERROR_H

#include "bayesamp.h"

#if defined(__GNUC__)
#define BA_PRINTF(fmt_index, first_arg) __attribute__((format(printf, fmt_index, first_arg)))
#else
#define BA_PRINTF(fmt_index, first_arg)
#endif

/* Set err (may be NULL) to the formatted message; always returns -1 so that callers can
 * write `return ba_fail(err, "...")`. */
int ba_fail(ba_error *err, const char *fmt, ...) BA_PRINTF(2, 3);

#endif
