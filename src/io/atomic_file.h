/* Atomic file output: write to a temporary file beside the target, then fsync and rename,
 * so that a reader sees either the old complete file or the new complete file and an
 * interrupted run never leaves a partial one behind. */
#ifndef BA_ATOMIC_FILE_H
#define BA_ATOMIC_FILE_H

#include <stdio.h>

#include "bayesamp.h"

typedef struct atomic_file {
    FILE *fp;            /* write through this */
    char path[4096];     /* final name */
    char tmp_path[4096]; /* temporary name in the same folder */
} atomic_file;

/* Open a temporary file for path. Returns 0 or fills err. */
int atomic_file_open(atomic_file *af, const char *path, ba_error *err);
/* Flush, fsync, close and rename over the target. On failure the temporary file is
 * removed and the target left untouched. */
int atomic_file_commit(atomic_file *af, ba_error *err);
/* Close and remove the temporary file (after an error while writing). */
void atomic_file_abort(atomic_file *af);

/* Write a whole buffer atomically. */
int atomic_write_bytes(const char *path, const void *data, size_t size, ba_error *err);

#endif
