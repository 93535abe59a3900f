#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "common/parallel.h"
#include "data/event_file.h"

void cli_error(const char *fmt, ...)
{
    /* Every rank of an MPI job meets the same errors (those of one rank reach the others
     * through par_agree, with the rank named): rank 0 prints the one line. */
    if (par_rank() != 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("bayesamp: ", stderr);
    /* With several ranks the line says which rank: the failing rank of an error that
     * par_agree brought, else rank 0 (its own error, or one that every rank met). */
    if (par_size() > 1)
        fprintf(stderr, "rank %d: ", par_failed_rank() >= 0 ? par_failed_rank() : 0);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void cli_bad_option(const char *command, int c, const char *flag)
{
    if (c == ':')
        cli_error("%s: %s needs a value", command, flag);
    else
        cli_error("%s: unknown option '%s' (see 'bayesamp %s --help')", command, flag, command);
}

int cli_no_arguments_left(const char *command, int argc, char **argv)
{
    if (optind < argc) {
        cli_error("%s: unexpected argument '%s'", command, argv[optind]);
        return -1;
    }
    return 0;
}

int cli_parse_int(const char *flag, const char *text, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end) {
        cli_error("%s: '%s' is not an integer", flag, text);
        return -1;
    }
    if (v < min || v > max) {
        cli_error("%s: %ld is out of range [%ld, %ld]", flag, v, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_u64(const char *flag, const char *text, uint64_t *out)
{
    char *end;
    errno = 0;
    if (text[0] == '-') {
        cli_error("%s: '%s' must not be negative", flag, text);
        return -1;
    }
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || end == text || *end) {
        cli_error("%s: '%s' is not a non-negative integer", flag, text);
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

int cli_parse_double(const char *flag, const char *text, double min, double max, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end || !isfinite(v)) {
        cli_error("%s: '%s' is not a number", flag, text);
        return -1;
    }
    if (v < min || v > max) {
        cli_error("%s: %g is out of range [%g, %g]", flag, v, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_doubles(const char *flag, const char *text, double min, double max, int max_n,
                      double *out, int *n)
{
    *n = 0;
    for (const char *item = text;;) {
        const char *comma = strchr(item, ',');
        size_t len = comma ? (size_t)(comma - item) : strlen(item);
        char value[64];
        if (*n == max_n || len == 0 || len >= sizeof value) {
            cli_error("%s: '%s' is not a list of up to %d numbers like 0.01,0.001", flag, text,
                      max_n);
            return -1;
        }
        memcpy(value, item, len);
        value[len] = '\0';
        if (cli_parse_double(flag, value, min, max, &out[*n]))
            return -1;
        (*n)++;
        if (!comma)
            return 0;
        item = comma + 1;
    }
}

int cli_make_dir(const char *path)
{
    char buf[4096];
    if (strlen(path) >= sizeof buf) {
        cli_error("%s: path too long", path);
        return -1;
    }
    strcpy(buf, path);
    for (char *p = buf + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
                cli_error("%s: cannot create folder: %s", buf, strerror(errno));
                return -1;
            }
            *p = c;
            if (c == '\0')
                break;
        }
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
        cli_error("%s: not a folder", path);
        return -1;
    }
    return 0;
}

int cli_path(char *out, size_t size, const char *dir, const char *name)
{
    int n = snprintf(out, size, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= size) {
        cli_error("%s/%s: path too long", dir, name);
        return -1;
    }
    return 0;
}

int cli_check_process(const char *text, const ba_process *model_process,
                      const char *model_path)
{
    ba_process given;
    ba_error err;
    if (ba_process_parse(text, &given, &err)) {
        cli_error("--process: %s", err.msg);
        return -1;
    }
    if (strcmp(given.text, model_process->text)) {
        cli_error("--process: \"%s\" is not the process of %s, \"%s\"", given.text,
                  model_path, model_process->text);
        return -1;
    }
    return 0;
}

int cli_parse_split(const char *flag, const char *text, double fractions[3])
{
    ba_error err;
    if (ba_split_parse(text, fractions, &err)) {
        cli_error("%s: %s", flag, err.msg);
        return -1;
    }
    return 0;
}

const char *cli_ranks(void)
{
    static char text[48];
    if (par_size() == 1)
        return "";
    snprintf(text, sizeof text, " x %d MPI ranks", par_size());
    return text;
}
