#include "nn/adam.h"

#include "nn/real.h"

adam_step adam_prepare(double lr, long t)
{
    adam_step s = {.beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8};
    s.step_size = lr / (1.0 - pow(s.beta1, (double)t));
    s.inv_sqrt_bias2 = 1.0 / sqrt(1.0 - pow(s.beta2, (double)t));
    return s;
}

void adam_update(const adam_step *s, ba_real *params, const ba_real *grads, ba_real *m,
                 ba_real *v, size_t n)
{
    const ba_real b1 = (ba_real)s->beta1, b2 = (ba_real)s->beta2;
    const ba_real step = (ba_real)s->step_size, inv_b2 = (ba_real)s->inv_sqrt_bias2;
    const ba_real eps = (ba_real)s->eps;
    for (size_t i = 0; i < n; i++) {
        ba_real g = grads[i];
        m[i] = b1 * m[i] + (1 - b1) * g;
        v[i] = b2 * v[i] + (1 - b2) * g * g;
        params[i] -= step * m[i] / (ba_sqrt(v[i]) * inv_b2 + eps);
    }
}
