/* The command-line front end: one file per command, helpers shared by them here.
 * Exit codes: 0 success, 1 failure while running (bad data, unwritable output),
 * 2 usage error (unknown or missing flag, malformed value). */
#ifndef BA_CLI_H
#define BA_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "bayesamp.h"

#define EXIT_USAGE 2

int cmd_train(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_evaluate(int argc, char **argv);
int cmd_generate(int argc, char **argv);
int cmd_amplitude(int argc, char **argv);
int cmd_demo(int argc, char **argv);

/* After getopt_long (with ":" as its option string) returned c for flag, a code no
 * command handles: report a missing value (c == ':') or an unknown option. */
void cli_bad_option(const char *command, int c, const char *flag);

/* After the options: non-zero, with a message, if positional arguments are left. */
int cli_no_arguments_left(const char *command, int argc, char **argv);

/* Print "bayesamp: <message>" on one line to stderr (on rank 0 of an MPI job only). */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parse a flag's value; on failure print which flag and why, and return -1. */
int cli_parse_int(const char *flag, const char *text, long min, long max, long *out);
int cli_parse_u64(const char *flag, const char *text, uint64_t *out);
int cli_parse_double(const char *flag, const char *text, double min, double max, double *out);
/* A comma-separated list of at most max_n numbers in [min, max] into out[0..*n). */
int cli_parse_doubles(const char *flag, const char *text, double min, double max, int max_n,
                      double *out, int *n);
/* Three fractions "a,b,c" (training, validation, test events of one file) into
 * fractions; -1 after reporting. */
int cli_parse_split(const char *flag, const char *text, double fractions[3]);

/* " x K MPI ranks" after a thread count when the job has K > 1 ranks, else "". */
const char *cli_ranks(void);

/* Create a folder and its parents if missing; -1 with a message on failure. */
int cli_make_dir(const char *path);

/* Join folder and file name into out; -1 if too long. */
int cli_path(char *out, size_t size, const char *dir, const char *name);

/* A --process given to a command that reads a model: it must parse and be the model's
 * process (a model always has one; files from before processes are g g > a a g).
 * -1 with a message otherwise. */
int cli_check_process(const char *text, const ba_process *model_process,
                      const char *model_path);

#endif
