/* libFuzzer harness for the JSON files the tool reads back: train.json and
 * metrics.json of earlier runs, which demo compares (json_read_stream, the code of
 * json_read_file), and the look-ups demo makes in them (json_number). */
#define _POSIX_C_SOURCE 200809L /* fmemopen */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "fuzz_common.h"
#include "io/json_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char empty[1];
    FILE *fp = fmemopen(size ? (void *)data : empty, size, "rb");
    if (!fp)
        return 0;
    setvbuf(fp, NULL, _IONBF, 0); /* in memory already; and a fast harness */
    cJSON *root = json_read_stream(fp);
    fclose(fp);
    static const char *keys[][2] = {{"frac_abs_rel_dev_below", "0.001"},
                                    {"frac_abs_rel_dev_below", "0.01"},
                                    {"rel_dev", "q16"},
                                    {"pull", "robust_width"},
                                    {"coverage", "68"},
                                    {"result", "seconds_total"},
                                    {"result", NULL}};
    volatile double sink = 0; /* keep the look-ups */
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
        sink += json_number(root, keys[k][0], keys[k][1]);
    (void)sink;
    cJSON_Delete(root);
    return 0;
}
