#include "nn/model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/rng.h"
#include "nn/streams.h"
#include "physics/process.h"

int arch_validate(const ba_arch *arch, ba_error *err)
{
    if (arch->n_inputs < 1 || arch->n_inputs > 100000)
        return ba_fail(err, "number of inputs %d out of range", arch->n_inputs);
    if (arch->n_hidden < 0 || arch->n_hidden > BA_MAX_LAYERS)
        return ba_fail(err, "%d hidden layers: between 0 and %d supported", arch->n_hidden,
                       BA_MAX_LAYERS);
    for (int i = 0; i < arch->n_hidden; i++)
        if (arch->hidden[i] < 1 || arch->hidden[i] > 100000)
            return ba_fail(err, "hidden width %d out of range (1 to 100000)", arch->hidden[i]);
    if (!(arch->prior_sigma > 0) || !isfinite(arch->prior_sigma))
        return ba_fail(err, "prior sigma must be positive and finite, got %g", arch->prior_sigma);
    return 0;
}

ba_model *model_alloc(const ba_arch *arch, ba_error *err)
{
    if (arch_validate(arch, err))
        return NULL;
    ba_model *m = calloc(1, sizeof *m);
    if (!m) {
        ba_fail(err, "out of memory");
        return NULL;
    }
    m->arch = *arch;
    /* Until a data set sets them: the tutorial's features, no standardisation. */
    m->pre.features = BA_FEATURES_MOMENTA;
    m->pre.n_features = 20;
    m->pre.gluon_pt_mean = 1;
    process_default(&m->pre.process);
    for (int k = 0; k < BA_MAX_FEATURES; k++)
        m->pre.x_std[k] = 1;
    m->pre.y_std = 1;
    m->n_layers = arch->n_hidden + 1;
    int dims[BA_MAX_LAYERS + 2];
    dims[0] = arch->n_inputs;
    for (int i = 0; i < arch->n_hidden; i++)
        dims[i + 1] = arch->hidden[i];
    dims[m->n_layers] = 2;
    size_t offset = 0;
    m->max_width = 0;
    for (int l = 0; l < m->n_layers; l++) {
        layer_layout *L = &m->layers[l];
        L->n_in = dims[l];
        L->n_out = dims[l + 1];
        L->n_weights = (size_t)L->n_in * L->n_out;
        L->mu_w = offset;
        L->logsig2_w = offset + L->n_weights;
        L->bias = offset + 2 * L->n_weights;
        offset += 2 * L->n_weights + L->n_out;
        if (L->n_in > m->max_width)
            m->max_width = L->n_in;
        if (L->n_out > m->max_width)
            m->max_width = L->n_out;
    }
    m->n_params = offset;
    m->params = calloc(offset, sizeof *m->params);
    if (!m->params) {
        free(m);
        ba_fail(err, "out of memory for %zu parameters", offset);
        return NULL;
    }
    return m;
}

void model_init(ba_model *m, uint64_t seed)
{
    for (int l = 0; l < m->n_layers; l++) {
        const layer_layout *L = &m->layers[l];
        ba_real *mu = m->params + L->mu_w, *ls = m->params + L->logsig2_w;
        double stdv = 1.0 / sqrt((double)L->n_in);
        ba_rng r;
        ba_rng_init(&r, seed, stream_id(STREAM_INIT, 0, 0, (unsigned)l));
        for (size_t i = 0; i < L->n_weights; i++)
            mu[i] = (ba_real)(stdv * ba_rng_normal(&r));
        for (size_t i = 0; i < L->n_weights; i++)
            ls[i] = (ba_real)(-9.0 + 0.001 * ba_rng_normal(&r));
        memset(m->params + L->bias, 0, (size_t)L->n_out * sizeof *m->params);
    }
}

int model_params_finite(const ba_model *m)
{
    for (size_t i = 0; i < m->n_params; i++)
        if (!isfinite((double)m->params[i]))
            return 0;
    return 1;
}

/* ---- the public handle ---- */

ba_model *ba_model_create(const ba_arch *arch, uint64_t seed, ba_error *err)
{
    ba_model *m = model_alloc(arch, err);
    if (m)
        model_init(m, seed);
    return m;
}

void ba_model_free(ba_model *m)
{
    if (!m)
        return;
    free(m->params);
    free(m);
}

const ba_arch *ba_model_arch(const ba_model *m) { return &m->arch; }
size_t ba_model_n_params(const ba_model *m) { return m->n_params; }
ba_preprocessing *ba_model_preprocessing(ba_model *m) { return &m->pre; }

int ba_model_copy(ba_model *dst, const ba_model *src, ba_error *err)
{
    if (dst->n_params != src->n_params || dst->n_layers != src->n_layers ||
        memcmp(dst->layers, src->layers, sizeof dst->layers) != 0)
        return ba_fail(err, "cannot copy a model into one of another architecture");
    dst->arch = src->arch;
    dst->pre = src->pre;
    dst->n_sigma_groups = src->n_sigma_groups;
    memcpy(dst->sigma_edges, src->sigma_edges, sizeof dst->sigma_edges);
    memcpy(dst->sigma_scale, src->sigma_scale, sizeof dst->sigma_scale);
    dst->sigma_slope = src->sigma_slope;
    dst->sigma_slope_end = src->sigma_slope_end;
    memcpy(dst->params, src->params, src->n_params * sizeof *src->params);
    return 0;
}

ba_model *ba_model_clone(const ba_model *m, ba_error *err)
{
    ba_model *c = model_alloc(&m->arch, err);
    if (c && ba_model_copy(c, m, err)) {
        ba_model_free(c);
        return NULL;
    }
    return c;
}

double model_sigma_factor(const ba_model *m, double log_a)
{
    int last = m->n_sigma_groups - 1, g = 0;
    if (last < 0)
        return 1;
    while (g < last && log_a >= m->sigma_edges[g])
        g++;
    if (g == 0 || g < last || m->sigma_slope == 0)
        return m->sigma_scale[g];
    return m->sigma_scale[g] *
           exp(m->sigma_slope * (fmin(log_a, m->sigma_slope_end) - m->sigma_edges[g - 1]));
}
