/* Activation functions of the hidden layers, forward and backward side by side.
 *   relu  max(x, 0)                         (the tutorial)
 *   silu  x sigma(x), sigma(x) = 1 / (1 + e^-x)      (Elfwing et al., arXiv:1702.03118)
 *   gelu  x Phi(x), Phi the standard normal CDF      (Hendrycks & Gimpel, arXiv:1606.08415;
 *         the exact form, as torch.nn.GELU's default)
 *   tanh  tanh(x)
 * Smooth activations give the network a smooth function of its inputs, which suits a
 * smooth amplitude better than ReLU's kinks (the precision preset uses SiLU). */
#ifndef BA_ACTIVATION_H
#define BA_ACTIVATION_H

#include <stddef.h>

#include "bayesamp.h"

/* out = f(pre) for n values (out may equal pre for relu and tanh only). */
void activation_forward(ba_activation a, const ba_real *pre, ba_real *out, size_t n);

/* out (n, cols), one row per unit: out[j][i] = f(out[j][i] + bias[j]), a layer's bias
 * and its activation in one pass over a feature-major block (its products leave out the
 * bias; net_forward_loaded). */
void activation_forward_bias(ba_activation a, ba_real *out, const ba_real *bias, int n,
                             int cols);

/* The same for a pass with a backward pass to come: pre then holds what
 * activation_backward needs: SiLU's logistic s(pre), so that its derivative
 * s + out (1 - s) takes no exponential; the pre-activations themselves for GELU;
 * unchanged for relu and tanh, which need only out. */
void activation_forward_keep(ba_activation a, ba_real *pre, ba_real *out, size_t n);

/* d *= f'(pre), with out = f(pre) and kept what activation_forward_keep left in pre
 * (relu and tanh use only out). */
void activation_backward(ba_activation a, const ba_real *kept, const ba_real *out, ba_real *d,
                         size_t n);

/* Whether the backward pass needs activation_forward_keep's pre kept. */
int activation_needs_pre(ba_activation a);

/* "relu", "silu", "gelu", "tanh"; parse returns -1 for an unknown name. */
const char *activation_name(ba_activation a);
int activation_parse(const char *name, ba_activation *out);

#endif
