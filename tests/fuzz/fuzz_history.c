/* libFuzzer harness for history.csv, the training history that evaluate reads back
 * for the loss plot (plots_read_history, the code of the file-reading path). Whatever
 * the file, the result is either a notice (one line) or columns of finite numbers. */
#define _POSIX_C_SOURCE 200809L /* fmemopen */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "io/plots.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char empty[1];
    FILE *fp = fmemopen(size ? (void *)data : empty, size, "r");
    if (!fp)
        return 0;
    setvbuf(fp, NULL, _IONBF, 0); /* in memory already; and a fast harness */
    double *cols[3];
    size_t n = 0;
    char why[600] = "";
    int rc = plots_read_history(fp, "fuzz/history.csv", cols, &n, why, sizeof why);
    fclose(fp);
    if (rc) {
        fuzz_check_message("history.csv", why);
        fuzz_require(!cols[0] && !cols[1] && !cols[2], "a refused file allocates nothing");
        return 0;
    }
    fuzz_require(n > 0, "an accepted history has epochs");
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 3; k++)
            fuzz_require(isfinite(cols[k][i]), "accepted values are finite");
    for (int k = 0; k < 3; k++)
        free(cols[k]);
    return 0;
}
