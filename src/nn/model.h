/* The network's parameters: one allocation for the whole model (as in llm.c), laid out
 * layer by layer as [mu_w (n_out x n_in) | logsig2_w (n_out x n_in) | bias (n_out)].
 * Layer l maps dims[l] -> dims[l+1]; hidden layers are followed by the activation
 * (ReLU in the tutorial; nn/activation.h), the last layer
 * has 2 outputs: the predicted mean and log-variance of log(amplitude).
 * PyTorch names the layers model.0, model.2, ... (the activations take the odd
 * indices). */
#ifndef BA_MODEL_H
#define BA_MODEL_H

#include <stddef.h>

#include "bayesamp.h"

typedef struct layer_layout {
    int n_in, n_out;
    size_t mu_w, logsig2_w, bias; /* offsets into the parameter vector */
    size_t n_weights;             /* n_in * n_out */
} layer_layout;

/* Groups of the uncertainty calibration (ba_model_calibrate_uncertainty, bayesamp.h). */
#define SIGMA_GROUPS BA_SIGMA_GROUPS

struct ba_model {
    ba_arch arch;
    ba_preprocessing pre;
    /* The uncertainty calibration: both sigmas of an event whose predicted log A is in
     * group g (split at sigma_edges) are multiplied by sigma_scale[g]; n_sigma_groups 0:
     * none (every model before training and calibration). In the last group the factor
     * is sigma_scale[last] exp(sigma_slope (min(log A, sigma_slope_end) - last edge)). */
    int n_sigma_groups;
    double sigma_edges[SIGMA_GROUPS - 1];
    double sigma_scale[SIGMA_GROUPS];
    double sigma_slope, sigma_slope_end;
    int n_layers;                         /* hidden layers + the output layer */
    layer_layout layers[BA_MAX_LAYERS + 1];
    int max_width;                        /* widest layer input or output */
    size_t n_params;
    ba_real *params;
};

/* Check an architecture; 0 if usable. */
int arch_validate(const ba_arch *arch, ba_error *err);

/* Allocate a model with parameters set to zero (no initialisation). */
ba_model *model_alloc(const ba_arch *arch, ba_error *err);

/* The tutorial's initialisation: mu_w ~ N(0, 1/sqrt(n_in)) (standard deviation),
 * logsig2_w ~ N(-9, 0.001), bias = 0; drawn from Philox streams keyed by seed. */
void model_init(ba_model *m, uint64_t seed);

/* ba_model_load of a model file already in memory (size bytes at data), with the same
 * checks; name stands for the path in errors. For the fuzz harnesses and tests. */
ba_model *model_load_mem(const void *data, size_t size, const char *name, ba_error *err);

/* True when every parameter is finite. */
int model_params_finite(const ba_model *m);

/* The factor of both sigmas of an event with predicted log A log_a under m's uncertainty
 * calibration (above); 1 without one. */
double model_sigma_factor(const ba_model *m, double log_a);

#endif
