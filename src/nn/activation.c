#include "nn/activation.h"

#include <string.h>

#include "nn/real.h"

static const char *NAMES[] = {"relu", "silu", "gelu", "tanh"};

const char *activation_name(ba_activation a) { return NAMES[a]; }

int activation_parse(const char *name, ba_activation *out)
{
    for (int i = 0; i < 4; i++)
        if (!strcmp(name, NAMES[i])) {
            *out = (ba_activation)i;
            return 0;
        }
    return -1;
}

int activation_needs_pre(ba_activation a) { return a == BA_ACTIVATION_SILU || a == BA_ACTIVATION_GELU; }

void activation_forward(ba_activation a, const ba_real *pre, ba_real *out, size_t n)
{
    switch (a) {
    case BA_ACTIVATION_RELU:
        for (size_t i = 0; i < n; i++)
            out[i] = pre[i] > 0 ? pre[i] : 0;
        break;
    case BA_ACTIVATION_SILU:
        for (size_t i = 0; i < n; i++)
            out[i] = pre[i] / (1 + ba_exp(-pre[i]));
        break;
    case BA_ACTIVATION_GELU:
        for (size_t i = 0; i < n; i++)
            out[i] = (ba_real)0.5 * pre[i] * (1 + ba_erf(pre[i] * (ba_real)0.70710678118654752));
        break;
    case BA_ACTIVATION_TANH:
        for (size_t i = 0; i < n; i++)
            out[i] = ba_tanh(pre[i]);
        break;
    }
}

void activation_backward(ba_activation a, const ba_real *pre, const ba_real *out, ba_real *d,
                         size_t n)
{
    switch (a) {
    case BA_ACTIVATION_RELU:
        /* 1 where the output is positive, i.e. where the input was */
        for (size_t i = 0; i < n; i++)
            d[i] = out[i] > 0 ? d[i] : 0;
        break;
    case BA_ACTIVATION_SILU:
        /* d/dx x s(x) = s(x) (1 + x (1 - s(x))) */
        for (size_t i = 0; i < n; i++) {
            ba_real s = 1 / (1 + ba_exp(-pre[i]));
            d[i] *= s * (1 + pre[i] * (1 - s));
        }
        break;
    case BA_ACTIVATION_GELU:
        /* d/dx x Phi(x) = Phi(x) + x phi(x) */
        for (size_t i = 0; i < n; i++) {
            ba_real x = pre[i];
            ba_real cdf = (ba_real)0.5 * (1 + ba_erf(x * (ba_real)0.70710678118654752));
            ba_real pdf = (ba_real)0.39894228040143268 * ba_exp((ba_real)-0.5 * x * x);
            d[i] *= cdf + x * pdf;
        }
        break;
    case BA_ACTIVATION_TANH:
        for (size_t i = 0; i < n; i++)
            d[i] *= 1 - out[i] * out[i];
        break;
    }
}
