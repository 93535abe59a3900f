/* Adam (Kingma and Ba, arXiv:1412.6980) exactly as torch.optim.Adam with its defaults
 * (no weight decay, no amsgrad): at step t, with m and v starting at 0,
 *   m = b1 m + (1 - b1) g,  v = b2 v + (1 - b2) g^2,
 *   p = p - (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps).
 * Note where eps enters: after the bias correction of sqrt(v), as PyTorch does. */
#ifndef BA_ADAM_H
#define BA_ADAM_H

#include <stddef.h>

#include "bayesamp.h"
#include "nn/real.h"

typedef struct adam_step {
    double step_size;       /* lr / (1 - b1^t) */
    double inv_sqrt_bias2;  /* 1 / sqrt(1 - b2^t) */
    double beta1, beta2, eps;
} adam_step;

/* The constants of step t (t = 1 for the first step). */
adam_step adam_prepare(double lr, long t);

/* The constants of a step in the precision of the parameters, and the step of one
 * parameter, which is all adam_update does to each: for loops that join the update to
 * other work on the same parameters (nn/train.c). */
typedef struct adam_real {
    ba_real beta1, beta2, step_size, inv_sqrt_bias2, eps;
} adam_real;

static inline adam_real adam_real_of(const adam_step *s)
{
    return (adam_real){(ba_real)s->beta1, (ba_real)s->beta2, (ba_real)s->step_size,
                       (ba_real)s->inv_sqrt_bias2, (ba_real)s->eps};
}

static inline void adam_update_one(const adam_real *c, ba_real *param, ba_real grad, ba_real *m,
                                   ba_real *v)
{
    *m = c->beta1 * *m + (1 - c->beta1) * grad;
    *v = c->beta2 * *v + (1 - c->beta2) * grad * grad;
    *param -= c->step_size * *m / (ba_sqrt(*v) * c->inv_sqrt_bias2 + c->eps);
}

/* Update params[0..n) given grads times scale (gradient clipping's factor, 1 without:
 * exact), in one pass; m and v are the moment estimates. */
void adam_update(const adam_step *s, ba_real *params, const ba_real *grads, ba_real scale,
                 ba_real *m, ba_real *v, size_t n);

#endif
