/* Atomic file output: a reader of the target, and a later run, find either the previous
 * complete file or the new complete file, never a partial one, whenever the writer dies
 * (an error, a crash, SIGKILL, a full disk).
 *
 * The data go into an unnamed file in the target's folder (Linux O_TMPFILE, open(2)):
 * if the process dies, the kernel frees it and nothing is left behind. Only at commit,
 * after fflush and fsync have succeeded, is it given a name: linked straight to the
 * target if there is none, else linked to a temporary name and renamed over the target
 * (rename(2) replaces atomically), so a named temporary exists for microseconds.
 * Filesystems without O_TMPFILE get a named temporary from the start, as before; its
 * name, TARGET.tmp-PID-XXXXXX, is unique, and opening a file for a target removes the
 * temporaries of that target left by processes that no longer exist.
 *
 * Every failure of write, fflush, fsync, link, rename or close is reported as one line
 * naming the target, e.g. "out/pred.npy: cannot write: No space left on device", and
 * leaves the target as it was. */
#ifndef BA_ATOMIC_FILE_H
#define BA_ATOMIC_FILE_H

#include <stdio.h>

#include "bayesamp.h"

typedef struct atomic_sink atomic_sink;

typedef struct atomic_file {
    FILE *fp;            /* write through this */
    char path[4096];     /* final name */
    char tmp_path[4096]; /* the named temporary ("" while the file is unnamed) */
    int fd;              /* the file under fp */
    int unnamed;         /* created with O_TMPFILE: no name until commit */
    int synced;          /* atomic_file_sync succeeded: data on disk, fp closed */
    atomic_sink *sink;   /* fp's write function and the first write error (private) */
} atomic_file;

/* Open a temporary file for path. Returns 0 or fills err. */
int atomic_file_open(atomic_file *af, const char *path, ba_error *err);
/* Flush, fsync, close and put in place over the target. On failure the temporary file
 * is removed and the target left untouched. */
int atomic_file_commit(atomic_file *af, ba_error *err);
/* Commit in two steps, for outputs of several files that should appear together (see
 * cmd_generate.c): atomic_file_sync flushes and fsyncs, so that every error of writing
 * is known; atomic_file_publish then only names the file (link and rename). Each removes
 * the temporary file on failure. */
int atomic_file_sync(atomic_file *af, ba_error *err);
int atomic_file_publish(atomic_file *af, ba_error *err);
/* Close and remove the temporary file (after an error while writing). Safe to call
 * after a failed commit, sync or publish. */
void atomic_file_abort(atomic_file *af);

/* Write a whole buffer atomically. */
int atomic_write_bytes(const char *path, const void *data, size_t size, ba_error *err);

/* For tests: nonzero makes atomic_file_open use a named temporary even where O_TMPFILE
 * works (as does the environment variable BAYESAMP_NO_O_TMPFILE=1, for the command-line
 * tests). */
void atomic_file_force_named(int on);

#endif
