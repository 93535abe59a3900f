/* JSON output through cJSON (Debian's libcjson-dev), written atomically. */
#ifndef BA_JSON_FILE_H
#define BA_JSON_FILE_H

#include <cjson/cJSON.h>

#include "bayesamp.h"

/* Print root (formatted) to path via a temporary file and rename. */
int json_write_file(const char *path, const cJSON *root, ba_error *err);

#endif
