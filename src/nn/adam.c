#include "nn/adam.h"

#include "nn/real.h"

adam_step adam_prepare(double lr, long t)
{
    adam_step s = {.beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8};
    s.step_size = lr / (1.0 - pow(s.beta1, (double)t));
    s.inv_sqrt_bias2 = 1.0 / sqrt(1.0 - pow(s.beta2, (double)t));
    return s;
}

void adam_update(const adam_step *s, ba_real *params, const ba_real *grads, ba_real scale,
                 ba_real *m, ba_real *v, size_t n)
{
    const adam_real c = adam_real_of(s);
#pragma omp simd
    for (size_t i = 0; i < n; i++)
        adam_update_one(&c, &params[i], grads[i] * scale, &m[i], &v[i]);
}
