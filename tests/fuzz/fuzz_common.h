/* What every harness checks besides the sanitizers: a reader that refuses its input
 * says why in one line (the CLI prints err.msg as is), and never says nothing. */
#ifndef BA_FUZZ_COMMON_H
#define BA_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bayesamp.h"

/* Abort (a finding for libFuzzer) unless msg is a non-empty single line. */
static inline void fuzz_check_message(const char *what, const char *msg)
{
    if (msg[0] == '\0' || strchr(msg, '\n') || strchr(msg, '\r')) {
        fprintf(stderr, "%s: error message is empty or not one line: \"%s\"\n", what, msg);
        abort();
    }
}

static inline void fuzz_require(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "invariant violated: %s\n", what);
        abort();
    }
}

#endif
