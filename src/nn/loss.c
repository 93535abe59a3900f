#include "nn/loss.h"

#include "nn/real.h"

double gaussian_nll(const ba_real *outputs, const ba_real *y, const ba_real *weight, int rows,
                    int batch_rows, ba_real *grad, double clamp, double tail_pull)
{
    double sum = 0;
    const ba_real lo = (ba_real)-clamp, hi = (ba_real)clamp;
    for (int r = 0; r < rows; r++) {
        ba_real mu = outputs[2 * r], logsig2 = outputs[2 * r + 1];
        int clamped = 0;
        if (clamp > 0 && (logsig2 < lo || logsig2 > hi)) {
            logsig2 = logsig2 < lo ? lo : hi;
            clamped = 1;
        }
        ba_real resid = mu - y[r];
        /* exp(-logsig2) rather than a division by exp(logsig2): the same value, and finite
         * for every logsig2 where the term itself is finite. */
        ba_real inv_var = ba_exp(-logsig2);
        ba_real pull2 = resid * resid * inv_var;
        ba_real w = weight ? weight[r] : 1;
        ba_real c2 = (ba_real)(tail_pull * tail_pull);
        if (tail_pull > 0 && pull2 > c2) {
            /* The logarithmic tail (loss.h): c^2/2 (1 + log(z^2/c^2)) + logsig2/2. */
            sum += w * (c2 * (ba_real)0.5 * (1 + ba_log(pull2 / c2)) + logsig2 * (ba_real)0.5);
            if (grad) {
                grad[2 * r] = w * c2 / resid / (ba_real)batch_rows;
                grad[2 * r + 1] = clamped ? 0 : w * (1 - c2) / (ba_real)(2 * batch_rows);
            }
            continue;
        }
        sum += w * (pull2 * (ba_real)0.5 + logsig2 * (ba_real)0.5);
        if (grad) {
            grad[2 * r] = w * resid * inv_var / (ba_real)batch_rows;
            grad[2 * r + 1] = clamped ? 0 : w * (1 - pull2) / (ba_real)(2 * batch_rows);
        }
    }
    return sum;
}
