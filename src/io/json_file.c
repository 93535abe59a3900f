#include "io/json_file.h"

#include <math.h>
#include <stdio.h>
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

cJSON *json_read_stream(FILE *fp)
{
    char *text = NULL;
    size_t size = 0, used = 0, got;
    char chunk[4096];
    while ((got = fread(chunk, 1, sizeof chunk, fp)) > 0) {
        if (used + got + 1 > size) {
            size = 2 * (used + got + 1);
            char *grown = realloc(text, size);
            if (!grown) {
                free(text);
                return NULL;
            }
            text = grown;
        }
        memcpy(text + used, chunk, got);
        used += got;
    }
    if (!text || ferror(fp)) {
        free(text);
        return NULL;
    }
    text[used] = '\0';
    /* With the length: the parser never looks beyond the bytes of the file. */
    cJSON *root = cJSON_ParseWithLength(text, used);
    free(text);
    return root;
}

cJSON *json_read_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    cJSON *root = json_read_stream(fp);
    fclose(fp);
    return root;
}

double json_number(const cJSON *root, const char *k1, const char *k2)
{
    const cJSON *node = cJSON_GetObjectItemCaseSensitive(root, k1);
    if (node && k2)
        node = cJSON_GetObjectItemCaseSensitive(node, k2);
    return cJSON_IsNumber(node) ? node->valuedouble : NAN;
}
