/* JSON files through cJSON (Debian's libcjson-dev): output written atomically, and the
 * reading of the files of earlier runs (train.json, metrics.json) that demo compares. */
#ifndef BA_JSON_FILE_H
#define BA_JSON_FILE_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "bayesamp.h"

/* Print root (formatted) to path via a temporary file and rename. */
int json_write_file(const char *path, const cJSON *root, ba_error *err);

/* The JSON value in the file at path, or read from fp to its end; NULL when the file
 * cannot be read or is not JSON (the caller then shows the numbers as missing).
 * Free with cJSON_Delete. */
cJSON *json_read_file(const char *path);
cJSON *json_read_stream(FILE *fp);

/* root[k1] (or root[k1][k2] when k2 is not NULL) if it is a number, else NaN; root may
 * be NULL. */
double json_number(const cJSON *root, const char *k1, const char *k2);

#endif
