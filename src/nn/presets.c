/* The named training set-ups (bayesamp.h, ba_recipe_preset). The precision preset
 * follows the reference experiment of issue 5 (30k training events, 13 TeV phase space):
 * invariants and standardisation remove what the network need not learn (boosts,
 * rotations, the 1/s12 scaling); SiLU gives a smooth function; the local
 * reparameterisation trick gives gradients of lower variance; a warm-up and cosine
 * decay of the learning rate let the fit settle; clamping the log-variance and clipping
 * the gradient norm prevented the late divergences seen there. The number of epochs
 * was chosen on our generated data (BENCHMARKS.md) to stay within 10 minutes on two
 * cores. */
#include <string.h>

#include "bayesamp.h"

int ba_recipe_preset(const char *name, ba_recipe *out)
{
    memset(out, 0, sizeof *out);
    out->train = ba_train_defaults();
    out->arch = (ba_arch){.n_inputs = 20, .n_hidden = 3, .hidden = {50, 50, 50},
                          .prior_sigma = 1, .activation = BA_ACTIVATION_RELU};
    out->features = BA_FEATURES_MOMENTA;
    out->standardize = 0;
    if (!strcmp(name, "tutorial"))
        return 0;
    if (strcmp(name, "precision"))
        return -1;
    out->arch.n_inputs = 10;
    out->arch.activation = BA_ACTIVATION_SILU;
    out->features = BA_FEATURES_INVARIANTS;
    out->standardize = 1;
    out->train.sampler = BA_SAMPLER_LOCAL;
    out->train.epochs = 1000;
    out->train.lr = 3e-3;
    out->train.lr_schedule = BA_LR_COSINE;
    out->train.lr_final_ratio = 1e-3;
    out->train.warmup_epochs = 5;
    out->train.logsig2_clamp = 20;
    /* issue 11: no loss spikes (src/nn/loss.h), and the network's effort where the
     * amplitude, and any cross section, is large (BENCHMARKS.md, "Large amplitudes") */
    out->train.nll_tail_pull = 5;
    out->train.amplitude_weight_power = 0.35;
    out->calibrate_uncertainty = 1;
    out->train.clip_grad_norm = 10;
    return 0;
}
