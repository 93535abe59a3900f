/* Model files: safetensors with the tutorial's PyTorch names, so that
 *   torch_model.load_state_dict(safetensors.torch.load_file("model.safetensors"))
 * works for the tutorial's bayes_amp_net. Layer l of ours is PyTorch's model.{2l} (the
 * ReLUs sit at the odd indices of its nn.Sequential); each has mu_w and logsig2_w of
 * shape (n_out, n_in) and bias (n_out,). The architecture, the process (its MadGraph
 * string and the masses of its particles) and the preprocessing constants go into
 * __metadata__ (string values, as the format requires). Files from before processes
 * have no "process" and are g g > a a g.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bayesamp.h"
#include "common/error.h"
#include "data/features.h"
#include "io/safetensors.h"
#include "nn/activation.h"
#include "nn/model.h"
#include "physics/process.h"

#ifdef BA_REAL_DOUBLE
#define MODEL_DTYPE ST_F64
#else
#define MODEL_DTYPE ST_F32
#endif

static const char *PART_NAMES[3] = {"mu_w", "logsig2_w", "bias"};

static void tensor_name(char *out, size_t size, int layer, int part)
{
    snprintf(out, size, "model.%d.%s", 2 * layer, PART_NAMES[part]);
}

static void format_hidden(char *out, size_t size, const ba_arch *a)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < a->n_hidden && used < size; i++)
        used += (size_t)snprintf(out + used, size - used, i ? ",%d" : "%d", a->hidden[i]);
}

/* n numbers, comma-separated, each with all 17 digits so that they read back exactly. */
static void format_numbers(char *out, size_t size, const double *x, int n)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < n && used < size; i++)
        used += (size_t)snprintf(out + used, size - used, i ? ",%.17g" : "%.17g", x[i]);
}

static const char *FEATURE_NAMES[] = {"momenta/gluon_pt_mean", "log_invariants"};
static const char *TARGET_NAMES[] = {"log_amplitude", "log_amplitude_times_s12"};

int ba_model_save(const ba_model *m, const char *path, ba_error *err)
{
    if (!model_params_finite(m))
        return ba_fail(err, "%s: refusing to write a model with non-finite parameters", path);
    int n = 3 * m->n_layers;
    st_tensor *t = calloc((size_t)n, sizeof *t);
    double *values = malloc(m->n_params * sizeof *values);
    if (!t || !values) {
        free(t), free(values);
        return ba_fail(err, "%s: out of memory", path);
    }
    for (size_t i = 0; i < m->n_params; i++)
        values[i] = (double)m->params[i];
    for (int l = 0; l < m->n_layers; l++) {
        const layer_layout *L = &m->layers[l];
        size_t offsets[3] = {L->mu_w, L->logsig2_w, L->bias};
        for (int p = 0; p < 3; p++) {
            st_tensor *x = &t[3 * l + p];
            tensor_name(x->name, sizeof x->name, l, p);
            x->dtype = MODEL_DTYPE;
            if (p < 2) {
                x->ndim = 2;
                x->shape[0] = (size_t)L->n_out;
                x->shape[1] = (size_t)L->n_in;
            } else {
                x->ndim = 1;
                x->shape[0] = (size_t)L->n_out;
            }
            x->count = p < 2 ? L->n_weights : (size_t)L->n_out;
            x->data = values + offsets[p];
        }
    }
    const ba_preprocessing *pre = &m->pre;
    char hidden[512], n_inputs[32], prior[64], gpt[64], x_mean[25 * BA_MAX_FEATURES],
        x_std[25 * BA_MAX_FEATURES], y_mean[64], y_std[64], masses[25 * BA_MAX_PARTICLES],
        edges[25 * SIGMA_GROUPS], scales[25 * SIGMA_GROUPS], slope[64];
    format_hidden(hidden, sizeof hidden, &m->arch);
    snprintf(n_inputs, sizeof n_inputs, "%d", m->arch.n_inputs);
    snprintf(prior, sizeof prior, "%.17g", m->arch.prior_sigma);
    snprintf(gpt, sizeof gpt, "%.17g", pre->gluon_pt_mean);
    format_numbers(x_mean, sizeof x_mean, pre->x_mean, pre->n_features);
    format_numbers(x_std, sizeof x_std, pre->x_std, pre->n_features);
    snprintf(y_mean, sizeof y_mean, "%.17g", pre->y_mean);
    snprintf(y_std, sizeof y_std, "%.17g", pre->y_std);
    process_format_masses(&pre->process, masses, sizeof masses);
    format_numbers(edges, sizeof edges, m->sigma_edges, m->n_sigma_groups - 1);
    format_numbers(scales, sizeof scales, m->sigma_scale, m->n_sigma_groups);
    const double slope_end[2] = {m->sigma_slope, m->sigma_slope_end};
    format_numbers(slope, sizeof slope, slope_end, 2);
    /* The network's output is (mu, logsig2) of the target y' = (t - y_mean) / y_std with
     * t = log A (momenta) or log(A s12^(P-4)) (invariants); the inputs are x' = (x - x_mean) /
     * x_std of the features named. Without standardisation the means are 0 and the
     * standard deviations 1. */
    st_meta meta[] = {
        {"format", "pt"},
        {"bayesamp_version", BAYESAMP_VERSION},
        {"n_inputs", n_inputs},
        {"hidden", hidden},
        {"activation", (char *)activation_name(m->arch.activation)},
        {"outputs", "mu,logsig2"},
        {"prior_sigma", prior},
        {"process", (char *)pre->process.text},
        {"masses", masses},
        {"features", (char *)FEATURE_NAMES[pre->features]},
        {"target", (char *)TARGET_NAMES[pre->features]},
        {"standardize", pre->standardize ? "1" : "0"},
        {"gluon_pt_mean", gpt},
        {"x_mean", x_mean},
        {"x_std", x_std},
        {"y_mean", y_mean},
        {"y_std", y_std},
        /* the uncertainty calibration (model.h), only when there is one: the sigmas of
         * events with predicted log A in group g are scaled by sigma_scales[g], the
         * groups split at sigma_group_edges; in the last group times
         * exp(slope (min(log A, end) - its lower edge)), sigma_slope_end = "slope,end" */
        {"sigma_group_edges", edges},
        {"sigma_scales", scales},
        {"sigma_slope_end", slope},
    };
    int n_meta = (int)(sizeof meta / sizeof *meta) - (m->n_sigma_groups > 0 ? 0 : 3);
    int rc = st_write(path, t, n, meta, n_meta, err);
    free(t);
    free(values);
    return rc;
}

/* Parse a decimal integer that must fill the whole string. */
static int parse_int(const char *s, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < -2147483647 || v > 2147483647)
        return -1;
    *out = (int)v;
    return 0;
}

static int parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    *out = strtod(s, &end);
    return (errno || end == s || *end || !isfinite(*out)) ? -1 : 0;
}

static int parse_arch(const st_file *f, const char *path, ba_arch *a, double *gpt,
                      ba_error *err)
{
    const char *keys[4] = {"n_inputs", "hidden", "prior_sigma", "gluon_pt_mean"};
    for (int k = 0; k < 4; k++)
        if (!st_find_meta(f, keys[k]))
            return ba_fail(err, "%s: not a bayesamp model: __metadata__ lacks \"%s\"", path,
                           keys[k]);
    memset(a, 0, sizeof *a);
    if (parse_int(st_find_meta(f, "n_inputs"), &a->n_inputs))
        return ba_fail(err, "%s: metadata n_inputs is not an integer", path);
    const char *h = st_find_meta(f, "hidden");
    while (*h) {
        if (a->n_hidden == BA_MAX_LAYERS)
            return ba_fail(err, "%s: more than %d hidden layers", path, BA_MAX_LAYERS);
        char item[32];
        size_t len = strcspn(h, ",");
        if (len == 0 || len >= sizeof item)
            return ba_fail(err, "%s: metadata hidden is not a list of widths", path);
        memcpy(item, h, len);
        item[len] = '\0';
        if (parse_int(item, &a->hidden[a->n_hidden++]))
            return ba_fail(err, "%s: metadata hidden is not a list of widths", path);
        h += len;
        if (*h == ',' && *++h == '\0')
            return ba_fail(err, "%s: metadata hidden is not a list of widths", path);
    }
    if (parse_double(st_find_meta(f, "prior_sigma"), &a->prior_sigma))
        return ba_fail(err, "%s: metadata prior_sigma is not a number", path);
    if (parse_double(st_find_meta(f, "gluon_pt_mean"), gpt) || !(*gpt > 0))
        return ba_fail(err, "%s: metadata gluon_pt_mean is not a positive number", path);
    const char *act = st_find_meta(f, "activation");
    char shown[80]; /* a metadata string in a message: one line, and short */
    if (act && activation_parse(act, &a->activation))
        return ba_fail(err, "%s: activation \"%s\" not supported", path,
                       st_printable(act, shown, sizeof shown));
    return 0;
}

/* Parse n comma-separated numbers; -1 unless exactly n finite ones. */
static int parse_numbers(const char *s, double *x, int n)
{
    for (int i = 0; i < n; i++) {
        char *end;
        errno = 0;
        x[i] = strtod(s, &end);
        if (errno || end == s || !isfinite(x[i]))
            return -1;
        s = end;
        if (i + 1 < n && *s++ != ',')
            return -1;
    }
    return *s ? -1 : 0;
}

/* The uncertainty calibration from the metadata, if any (ba_model_save). */
static int parse_sigma_calibration(const st_file *f, const char *path, ba_model *m,
                                   ba_error *err)
{
    const char *edges = st_find_meta(f, "sigma_group_edges");
    const char *scales = st_find_meta(f, "sigma_scales");
    const char *slope = st_find_meta(f, "sigma_slope_end");
    m->n_sigma_groups = 0;
    m->sigma_slope = 0;
    m->sigma_slope_end = INFINITY;
    if (!edges && !scales && !slope)
        return 0;
    if (!edges || !scales || parse_numbers(edges, m->sigma_edges, SIGMA_GROUPS - 1) ||
        parse_numbers(scales, m->sigma_scale, SIGMA_GROUPS))
        return ba_fail(err, "%s: metadata sigma_group_edges and sigma_scales must be %d and "
                       "%d finite numbers", path, SIGMA_GROUPS - 1, SIGMA_GROUPS);
    for (int g = 0; g < SIGMA_GROUPS; g++)
        if (!(m->sigma_scale[g] > 0) || (g > 0 && g < SIGMA_GROUPS - 1 &&
                                          !(m->sigma_edges[g] >= m->sigma_edges[g - 1])))
            return ba_fail(err, "%s: metadata sigma_scales must be positive and "
                           "sigma_group_edges ascending", path);
    double slope_end[2];
    if (slope) { /* files from before slopes have none: constant factors */
        if (parse_numbers(slope, slope_end, 2))
            return ba_fail(err, "%s: metadata sigma_slope_end must be 2 finite numbers", path);
        m->sigma_slope = slope_end[0];
        m->sigma_slope_end = slope_end[1];
    }
    m->n_sigma_groups = SIGMA_GROUPS;
    return 0;
}

/* The process from the metadata: "process" and "masses"; files from before processes
 * have neither and are g g > a a g with the table's masses. */
static int parse_process(const st_file *f, const char *path, ba_process *proc, ba_error *err)
{
    const char *text = st_find_meta(f, "process"), *masses = st_find_meta(f, "masses");
    ba_error why;
    char shown[256]; /* the message may quote the metadata: one line, and short */
    if (!text)
        process_default(proc);
    else if (ba_process_parse(text, proc, &why))
        return ba_fail(err, "%s: metadata: %s", path, st_printable(why.msg, shown, sizeof shown));
    if (masses && process_parse_masses(proc, masses, &why))
        return ba_fail(err, "%s: metadata: %s", path, st_printable(why.msg, shown, sizeof shown));
    return 0;
}

/* The preprocessing from the metadata; files from before the invariant features lack
 * the keys and get the tutorial's (momenta, no standardisation). */
static int parse_preprocessing(const st_file *f, const char *path, int n_inputs,
                               ba_preprocessing *pre, ba_error *err)
{
    if (parse_process(f, path, &pre->process, err))
        return -1;
    const char *features = st_find_meta(f, "features");
    char shown[80]; /* a metadata string in a message: one line, and short */
    pre->features = BA_FEATURES_MOMENTA;
    if (features && !strcmp(features, FEATURE_NAMES[BA_FEATURES_INVARIANTS]))
        pre->features = BA_FEATURES_INVARIANTS;
    else if (features && strcmp(features, FEATURE_NAMES[BA_FEATURES_MOMENTA]))
        return ba_fail(err, "%s: features \"%s\" not supported", path,
                       st_printable(features, shown, sizeof shown));
    pre->n_features = feature_count(pre->features, &pre->process);
    if (n_inputs != pre->n_features)
        return ba_fail(err, "%s: %d inputs, but the features \"%s\" of \"%s\" are %d", path,
                       n_inputs, FEATURE_NAMES[pre->features], pre->process.text,
                       pre->n_features);
    const char *standardize = st_find_meta(f, "standardize");
    pre->standardize = standardize && !strcmp(standardize, "1");
    pre->y_mean = 0;
    pre->y_std = 1;
    for (int k = 0; k < pre->n_features; k++)
        pre->x_mean[k] = 0, pre->x_std[k] = 1;
    const char *keys[4] = {"x_mean", "x_std", "y_mean", "y_std"};
    double *dest[4] = {pre->x_mean, pre->x_std, &pre->y_mean, &pre->y_std};
    int counts[4] = {pre->n_features, pre->n_features, 1, 1};
    for (int k = 0; k < 4; k++) {
        const char *v = st_find_meta(f, keys[k]);
        if (!v) {
            if (pre->standardize)
                return ba_fail(err, "%s: standardised model without \"%s\"", path, keys[k]);
            continue;
        }
        if (parse_numbers(v, dest[k], counts[k]))
            return ba_fail(err, "%s: metadata %s is not %d finite numbers", path, keys[k],
                           counts[k]);
    }
    for (int k = 0; k < pre->n_features; k++)
        if (!(pre->x_std[k] > 0))
            return ba_fail(err, "%s: metadata x_std has a non-positive entry", path);
    if (!(pre->y_std > 0))
        return ba_fail(err, "%s: metadata y_std is not positive", path);
    return 0;
}

/* The model that f describes. Every tensor the architecture in the metadata implies is
 * checked against f before the parameters are allocated: widths up to 100000 per layer
 * are valid architectures, and a file of a few hundred bytes that merely claims them
 * must not make us allocate gigabytes (found writing the fuzz harness). Once the tensors
 * match, the parameters number no more than the values read from the file. */
static ba_model *model_from_file(const st_file *f, const char *path, ba_error *err)
{
    ba_arch arch;
    double gpt = 0;
    if (parse_arch(f, path, &arch, &gpt, err))
        return NULL;
    ba_error arch_err;
    if (arch_validate(&arch, &arch_err)) {
        ba_fail(err, "%s: %s", path, arch_err.msg);
        return NULL;
    }
    ba_preprocessing pre;
    memset(&pre, 0, sizeof pre);
    for (int k = 0; k < BA_MAX_FEATURES; k++)
        pre.x_std[k] = 1;
    pre.gluon_pt_mean = gpt;
    if (parse_preprocessing(f, path, arch.n_inputs, &pre, err))
        return NULL;
    int n_layers = arch.n_hidden + 1;
    if (f->n_tensors != 3 * n_layers) {
        ba_fail(err, "%s: %d tensors, the architecture needs %d", path, f->n_tensors,
                3 * n_layers);
        return NULL;
    }
    /* dims[l] -> dims[l + 1] is layer l, as model_alloc lays them out */
    int dims[BA_MAX_LAYERS + 2];
    dims[0] = arch.n_inputs;
    for (int i = 0; i < arch.n_hidden; i++)
        dims[i + 1] = arch.hidden[i];
    dims[n_layers] = 2;
    const st_tensor *found[BA_MAX_LAYERS + 1][3];
    for (int l = 0; l < n_layers; l++) {
        size_t n_in = (size_t)dims[l], n_out = (size_t)dims[l + 1];
        for (int p = 0; p < 3; p++) {
            char name[64];
            tensor_name(name, sizeof name, l, p);
            const st_tensor *x = st_find_tensor(f, name);
            if (!x) {
                ba_fail(err, "%s: tensor %s missing", path, name);
                return NULL;
            }
            int ok = p < 2 ? x->ndim == 2 && x->shape[0] == n_out && x->shape[1] == n_in
                           : x->ndim == 1 && x->shape[0] == n_out;
            if (!ok) {
                ba_fail(err, "%s: tensor %s has the wrong shape for a %d -> %d layer", path,
                        name, dims[l], dims[l + 1]);
                return NULL;
            }
            for (size_t i = 0; i < x->count; i++) {
                if (!isfinite(x->data[i])) {
                    ba_fail(err, "%s: tensor %s has a non-finite value at %zu", path, name, i);
                    return NULL;
                }
            }
            found[l][p] = x;
        }
    }
    ba_model *m = model_alloc(&arch, &arch_err);
    if (!m) {
        ba_fail(err, "%s: %s", path, arch_err.msg);
        return NULL;
    }
    m->pre = pre;
    if (parse_sigma_calibration(f, path, m, err)) {
        ba_model_free(m);
        return NULL;
    }
    for (int l = 0; l < m->n_layers; l++) {
        const layer_layout *L = &m->layers[l];
        size_t offsets[3] = {L->mu_w, L->logsig2_w, L->bias};
        for (int p = 0; p < 3; p++)
            for (size_t i = 0; i < found[l][p]->count; i++)
                m->params[offsets[p] + i] = (ba_real)found[l][p]->data[i];
    }
    return m;
}

ba_model *ba_model_load(const char *path, ba_error *err)
{
    st_file f;
    if (st_read(path, &f, err))
        return NULL;
    ba_model *m = model_from_file(&f, path, err);
    st_free(&f);
    return m;
}

ba_model *model_load_mem(const void *data, size_t size, const char *name, ba_error *err)
{
    st_file f;
    if (st_read_mem(data, size, name, &f, err))
        return NULL;
    ba_model *m = model_from_file(&f, name, err);
    st_free(&f);
    return m;
}
