/* Running gnuplot (Debian's gnuplot-nox) on the scripts plots.c writes. gnuplot is
 * optional: it is looked up on PATH at run time, and without it the data and scripts
 * are still there to render later. */
#ifndef BA_GNUPLOT_H
#define BA_GNUPLOT_H

#include <stddef.h>

#include "bayesamp.h"

/* The first executable "gnuplot" in a folder of $PATH, into out; 0 if found, -1 if not
 * (or $PATH is unset). */
int gnuplot_find(char *out, size_t size);

/* Run `gnuplot script` with dir as the working folder and wait for it. On failure err
 * says why in one line: the exit status and the last line gnuplot printed. */
int gnuplot_run(const char *gnuplot, const char *dir, const char *script, ba_error *err);

#endif
