#include "io/json_file.h"

#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "io/atomic_file.h"

int json_write_file(const char *path, const cJSON *root, ba_error *err)
{
    char *text = cJSON_Print(root);
    if (!text)
        return ba_fail(err, "%s: out of memory while formatting JSON", path);
    size_t n = strlen(text);
    text[n] = '\n'; /* replace the terminator: the file ends with a newline */
    int rc = atomic_write_bytes(path, text, n + 1, err);
    free(text);
    return rc;
}
