/* bayesamp: Bayesian neural networks for scattering amplitudes.
 *
 * The public interface of the library. Everything a front end (the CLI, a Python
 * module, another program) needs, and nothing more: the structs behind the handles are
 * opaque. Every function that can fail returns 0 on success and fills a ba_error with
 * one line that names the file or argument and the problem.
 */
#ifndef BAYESAMP_H
#define BAYESAMP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BAYESAMP_VERSION "0.1.0"

/* The floating-point type of the network's arithmetic: float32 by default; the tests
 * also build the library with BA_REAL_DOUBLE to compare against float64 references. */
#ifdef BA_REAL_DOUBLE
typedef double ba_real;
#else
typedef float ba_real;
#endif

/* Build information: the git commit the library was built from ("unknown" outside a
 * checkout), the BLAS library's configuration string, and the arithmetic ("float32"). */
const char *ba_git_commit(void);
const char *ba_blas_version(void);
const char *ba_precision(void);

/* One-line, human-readable error. */
typedef struct ba_error {
    char msg[512];
} ba_error;

/* ------------------------------------------------------------------ process */

/* A 2 -> n scattering process in MadGraph's syntax, "g g > a a g": the two incoming
 * particles left of '>', the outgoing ones right of it, names separated by spaces. The
 * momenta of an event are (P, 4), rows in the order of the process, (E, px, py, pz) in
 * GeV, |M|^2 in GeV^(8 - 2P).
 *
 * Particle names and masses (GeV) of the built-in table (physics/process.c):
 *   g a (gluon, photon), d u s c b and d~ u~ s~ c~ b~, e- e+ mu- mu+ ta- ta+,
 *   ve vm vt ve~ vm~ vt~: massless (light quarks and leptons as in MadGraph's default
 *   model; b and tau massless too, the five-flavour scheme);
 *   t t~ 173; z 91.1876; w+ w- 80.377; h 125.
 * ba_process_set_mass overrides a mass for one process (particle and antiparticle). */
#define BA_MAX_PARTICLES 10
#define BA_PROCESS_CHARS 128
#define BA_PARTICLE_CHARS 8

/* The process of data without one stated: today's g g -> gamma gamma g. */
#define BA_PROCESS_DEFAULT "g g > a a g"

/* Momenta are checked against their process (ba_process_check_event) to this relative
 * tolerance, measured against the energy E_in = E_1 + E_2 of the incoming pair in the
 * frame given: |E^2 - |p|^2 - m^2| <= tol E_in^2 for every particle and
 * |sum_in p^mu - sum_out p^mu| <= tol E_in for every component. 1e-6 lets float32
 * momenta through (their rounding is ~1e-7) and stops anything unphysical. */
#define BA_KINEMATICS_TOL 1e-6

typedef struct ba_process {
    char text[BA_PROCESS_CHARS];                   /* canonical: "g g > a a g" */
    int n_particles;                               /* P: 2 incoming + n outgoing */
    char name[BA_MAX_PARTICLES][BA_PARTICLE_CHARS];
    double mass[BA_MAX_PARTICLES];                 /* GeV, from the table or overridden */
    /* Identical final-state particles (same name) share the index of the first of
     * them; every other particle, incoming ones included, has its own index. */
    int identical_to[BA_MAX_PARTICLES];
} ba_process;

/* Parse a process: 2 incoming, 2 to BA_MAX_PARTICLES - 2 outgoing particles from the
 * table. A malformed string or an unknown particle gives one line naming the token. */
int ba_process_parse(const char *text, ba_process *out, ba_error *err);

/* The table's mass of a particle name, GeV; -1 if the name is not in the table. */
int ba_particle_mass(const char *name, double *mass);

/* Override a mass in a process: "t=172.5" sets every t and t~ of the process to
 * 172.5 GeV (a particle and its antiparticle share their mass). Refuses names not in
 * the process, negative or non-finite masses. */
int ba_process_set_mass(ba_process *p, const char *assignment, ba_error *err);

/* The mass dimension of |M|^2 for the process: 8 - 2P. */
int ba_process_mass_dimension(const ba_process *p);

/* Check one event (P x 4 momenta) against the process: finite, positive energies,
 * every particle on its mass shell and momentum conserved within BA_KINEMATICS_TOL.
 * On failure, err says what is wrong (the caller adds the file and row). */
int ba_process_check_event(const ba_process *p, const double *event, ba_error *err);

/* ------------------------------------------------------------------ data */

/* What the network sees of an event of P particles:
 *  - MOMENTA (the tutorial): the 4P components divided by the training set's mean pT of
 *    the last outgoing particle (the gluon of g g > a a g); target log(A);
 *  - INVARIANTS: log s_12 and log(s_ij / s_12) of the other P(P-1)/2 - 1 pairs,
 *    s_ij = 2 p_i.p_j, identical final-state particles in a canonical order (the
 *    amplitude is Lorentz invariant and s_12^(4-P) times a function of ratios); target
 *    log(A s_12^(P-4)), i.e. log(A s_12) for P = 5. */
typedef enum { BA_FEATURES_MOMENTA = 0, BA_FEATURES_INVARIANTS = 1 } ba_features;

/* The most inputs a process of BA_MAX_PARTICLES particles needs: 10 * 9 / 2 invariants
 * (4 * 10 momentum components). */
#define BA_MAX_FEATURES 45

/* Events of one split in the Heidelberg layout, already preprocessed:
 * x is (n, n_features) row-major, y is (n,) the network's target (see
 * ba_preprocessing). */
typedef struct ba_split {
    size_t n;
    size_t n_features;
    ba_real *x;
    ba_real *y;
} ba_split;

/* Preprocessing, stored with every model so that prediction applies the transform the
 * network was trained with. The choices (features, standardize) are set by the user;
 * the constants are computed from the training set. With standardize, every input and
 * the target are shifted and scaled to mean 0 and standard deviation 1 over the
 * training set: x' = (x - x_mean) / x_std, y' = (y - y_mean) / y_std. */
typedef struct ba_preprocessing {
    ba_features features;
    int standardize;
    int n_features;                 /* 4P or P(P-1)/2: 20 or 10 for g g > a a g */
    /* mean pT of the last outgoing particle over the training set, GeV (the tutorial's
     * outgoing gluon, whence the name) */
    double gluon_pt_mean;
    double x_mean[BA_MAX_FEATURES], x_std[BA_MAX_FEATURES];
    double y_mean, y_std;           /* 0 and 1 without standardize */
    ba_process process;             /* the process the features are made for */
} ba_preprocessing;

typedef struct ba_dataset {
    ba_split trn, val, tst;
    ba_preprocessing pre;
} ba_dataset;

/* The process of a data folder: text if not NULL; else the "process" of
 * dir/generate.json (which `bayesamp generate` writes); else, if the momenta have 5
 * particles, BA_PROCESS_DEFAULT (data folders from before processes); else an error
 * asking for the process. source (may be NULL) gets where it came from: "given",
 * "generate.json" or "default". */
int ba_data_process(const char *dir, const char *text, ba_process *out, const char **source,
                    ba_error *err);

/* Load {trn,val,tst}_{dat,amp}.npy from dir for the process: momenta (N, P, 4) with the
 * process's P, every event checked with ba_process_check_event, amplitudes positive
 * and finite; a bad file or row is named in one line. Then preprocess with the chosen
 * features and standardisation (out->pre holds the choice, the process and the
 * constants computed from the training split). */
int ba_dataset_load_process(const char *dir, const ba_process *process, ba_features features,
                            int standardize, ba_dataset *out, ba_error *err);
/* The same from a source: a data folder (split NULL), or one file of events, FILE.npy
 * or FILE.h5:NAME (rows of the P four-momenta and the amplitude), cut into training,
 * validation and test events by the fractions split[3] (deterministic: the same file
 * gives the same split on every machine). */
int ba_dataset_load_source(const char *source, const double *split, const ba_process *process,
                           ba_features features, int standardize, ba_dataset *out,
                           ba_error *err);
/* Parse the fractions of such a split, "0.8,0.1,0.1": each in [0, 1], the training one
 * positive, adding up to 1; -1 with the reason otherwise. */
int ba_split_parse(const char *text, double fractions[3], ba_error *err);
/* Data folders of g g > a a g, (N, 5, 4), as before processes: shapes, finite momenta
 * and positive amplitudes are checked, not the kinematics. ba_dataset_load
 * preprocesses as the tutorial (momenta / mean gluon pT, target log A). */
int ba_dataset_load(const char *dir, ba_dataset *out, ba_error *err);
int ba_dataset_load_as(const char *dir, ba_features features, int standardize,
                       ba_dataset *out, ba_error *err);
void ba_dataset_free(ba_dataset *ds);

/* Preprocess n events of raw momenta (n,P,4) into the network's inputs
 * (n, pre->n_features) with the model's preprocessing. Returns -1 (naming the row in
 * err) if an event has no valid features (a non-positive invariant). */
int ba_preprocess_events(const double *momenta, size_t n, const ba_preprocessing *pre,
                         ba_real *features, ba_error *err);

/* From the network's output scale back to log(A) for one event: log A = a * y + b,
 * sigma(log A) = a * sigma(y). */
void ba_target_to_log_amplitude(const double *event, const ba_preprocessing *pre, double *a,
                                double *b);

/* ------------------------------------------------------------------ model */

#define BA_MAX_LAYERS 16

typedef enum { BA_SAMPLER_WEIGHT = 0, BA_SAMPLER_LOCAL = 1 } ba_sampler;

/* How a forward pass treats the weight distributions. */
typedef enum {
    BA_NOISE_RESAMPLE = 0, /* draw new noise (the tutorial's resample=True) */
    BA_NOISE_KEEP = 1,     /* reuse the noise of the last draw (resample=False) */
    BA_NOISE_MAP = 2       /* use the mean weights mu_w (no noise) */
} ba_noise_mode;

/* The activation of the hidden layers. */
typedef enum {
    BA_ACTIVATION_RELU = 0, /* the tutorial */
    BA_ACTIVATION_SILU = 1,
    BA_ACTIVATION_GELU = 2,
    BA_ACTIVATION_TANH = 3
} ba_activation;

typedef struct ba_arch {
    int n_inputs;                  /* 20 for the tutorial */
    int n_hidden;                  /* number of hidden layers */
    int hidden[BA_MAX_LAYERS];     /* their widths */
    double prior_sigma;            /* KL towards N(0, prior_sigma^2) */
    ba_activation activation;
} ba_arch;

typedef struct ba_model ba_model; /* opaque: parameters of the whole network */

ba_model *ba_model_create(const ba_arch *arch, uint64_t seed, ba_error *err);
void ba_model_free(ba_model *m);
const ba_arch *ba_model_arch(const ba_model *m);
size_t ba_model_n_params(const ba_model *m);
ba_preprocessing *ba_model_preprocessing(ba_model *m);

/* Model files: safetensors with the tutorial's PyTorch tensor names (model.0.mu_w, ...)
 * and the architecture and preprocessing in __metadata__. Written atomically. */
int ba_model_save(const ba_model *m, const char *path, ba_error *err);
ba_model *ba_model_load(const char *path, ba_error *err);

/* A copy of a model (parameters, architecture, preprocessing), e.g. to keep the best
 * epoch's parameters in memory while training goes on; ba_model_copy overwrites dst,
 * which must have the same architecture. */
ba_model *ba_model_clone(const ba_model *m, ba_error *err);
int ba_model_copy(ba_model *dst, const ba_model *src, ba_error *err);

/* ------------------------------------------------------------------ training */

/* The learning rate over the optimiser steps t = 0 .. total - 1:
 *   CONSTANT  lr (after the warm-up, a linear ramp from 0);
 *   COSINE    linear warm-up to lr, then cosine annealing to lr * final_ratio;
 *   ONECYCLE  cosine rise from lr / 25 to lr over the warm-up, then cosine decay to
 *             lr * final_ratio (PyTorch's OneCycleLR). */
typedef enum { BA_LR_CONSTANT = 0, BA_LR_COSINE = 1, BA_LR_ONECYCLE = 2 } ba_lr_schedule;

typedef struct ba_lr_config {
    ba_lr_schedule schedule;
    double lr;              /* peak learning rate */
    double final_ratio;     /* last rate / lr for COSINE and ONECYCLE */
    long warmup_steps;
} ba_lr_config;

typedef struct ba_train_config {
    int epochs;
    int batch_size;
    double lr;
    ba_lr_schedule lr_schedule;
    double lr_final_ratio;  /* default 1e-3 */
    double warmup_epochs;   /* default 0 */
    double clip_grad_norm;  /* clip the gradient's global norm to this; 0: off */
    double logsig2_clamp;   /* clamp the predicted log-variance to [-c, c] in the loss; 0: off */
    double nll_tail_pull;   /* the likelihood is Gaussian for pulls up to this and grows
                               logarithmically beyond (src/nn/loss.h); 0: Gaussian everywhere */
    double amplitude_weight_power; /* weigh each event's likelihood by A^p (mean 1); 0: off */
    int max_rollbacks;      /* on a non-finite loss: go back to the last good epoch with half
                               the learning rate, at most this often (default 3) */
    long inject_nan_step;   /* tests only: poison the loss at this step (0: never) */
    ba_sampler sampler;
    uint64_t seed;
    int threads;     /* 0: all cores */
    int patience;    /* early stopping after this many epochs without improvement; 0: off */
    /* Called every few batches inside an epoch (may be NULL), e.g. for a progress bar. */
    void (*on_progress)(int epoch, size_t events_done, size_t events_total, void *user);
    /* Called when an epoch failed and is repeated with the learning rate times lr_scale
     * (may be NULL). */
    void (*on_rollback)(int epoch, const char *what, double lr_scale, void *user);
} ba_train_config;

/* The tutorial's settings: 100 epochs, batch 128, Adam with lr 1e-3, weight sampler,
 * seed 1, all cores, no early stopping. */
ba_train_config ba_train_defaults(void);

typedef struct ba_epoch_stats {
    int epoch;
    double train_loss, train_nll, train_kl; /* means over the epoch's batches */
    double val_loss;                        /* mean over the validation batches */
    double seconds;                         /* wall time of training + validation */
    double lr;                              /* learning rate of the epoch's last step */
    int rollbacks;                          /* failed epochs repeated so far */
} ba_epoch_stats;

/* Called after every epoch; return non-zero to stop training. best says whether this
 * epoch improved the validation loss (the caller may then save the model). */
typedef int (*ba_epoch_callback)(const ba_epoch_stats *stats, int best, const ba_model *m,
                                 void *user);

/* Train m on ds->trn, validating on ds->val after each epoch. The model's preprocessing
 * constants are set from ds. Results depend on the seed only, not on the thread count.
 * A non-finite loss or parameter is caught in the batch where it appears: the
 * parameters and the optimiser go back to the end of the last good epoch and the
 * epoch is repeated with half the learning rate, up to max_rollbacks times; then
 * training stops with an error, the model holding its last good parameters. */
int ba_train(ba_model *m, const ba_dataset *ds, const ba_train_config *cfg,
             ba_epoch_callback cb, void *user, ba_error *err);

/* A whole training set-up: the network, its inputs and the optimisation. */
typedef struct ba_recipe {
    ba_arch arch;           /* n_inputs follows from features */
    ba_features features;
    int standardize;
    ba_train_config train;
    int calibrate_uncertainty; /* after training, ba_model_calibrate_uncertainty on the
                                  validation split (precision: 1) */
} ba_recipe;

/* The named set-ups:
 *  "tutorial"   the PyTorch tutorial exactly: raw momenta / mean gluon pT, log A, ReLU,
 *               3 x 50, weight sampling, Adam 1e-3 constant, 100 epochs;
 *  "precision"  per-mille amplitudes: log invariants, standardised inputs and target
 *               log(A s12), SiLU, 3 x 50, local reparameterisation, Adam 3e-3 with a
 *               warm-up and cosine decay to 3e-6, log-variance clamp and gradient
 *               clipping against divergence.
 * Returns -1 for an unknown name. */
int ba_recipe_preset(const char *name, ba_recipe *out);

/* The number of threads ba_train uses for threads = 0. */
int ba_default_threads(void);

/* ------------------------------------------------------------------ prediction */

/* How the Monte-Carlo passes of a prediction draw the weights. Prediction always uses
 * the weight sampler: one draw of every weight per batch and pass, shared by the
 * batch's events, as the tutorial's get_prediction. */
typedef enum {
    BA_PREDICT_SAMPLE = 0, /* new weights for every batch of every pass (the tutorial) */
    BA_PREDICT_FIXED = 1,  /* one draw per pass, the same for every batch (resample off) */
    BA_PREDICT_MAP = 2     /* the mean weights mu_w, one pass: no epistemic uncertainty */
} ba_predict_mode;

typedef struct ba_predict_config {
    int n_monte;          /* Monte-Carlo passes, 1 to 2^20 (MAP makes one) */
    ba_predict_mode mode;
    uint64_t seed;
    int batch_size;       /* events per batch, i.e. per weight draw */
    int threads;          /* 0: all cores */
    int check_kinematics; /* ba_predict_file: check every event against the model's
                             process (mass shells, momentum conservation); default 0 */
} ba_predict_config;

/* The tutorial's settings: 30 passes, sample mode, seed 1, batches of 128, all cores. */
ba_predict_config ba_predict_defaults(void);

/* One event's prediction in log space. With the head's outputs (mu_k, logsig2_k) of the
 * passes k = 1..n: mean = (1/n) sum mu_k, var_aleatoric = (1/n) sum exp(logsig2_k),
 * var_epistemic = (1/n) sum (mu_k - mean)^2; the total variance is their sum. */
typedef struct ba_prediction {
    double mean;
    double var_aleatoric;
    double var_epistemic;
} ba_prediction;

/* A model made ready for prediction: per-thread workspaces and, in FIXED mode, the
 * weight draws of every pass. The model must outlive it. */
typedef struct ba_predictor ba_predictor;

ba_predictor *ba_predictor_create(const ba_model *m, const ba_predict_config *cfg,
                                  ba_error *err);
void ba_predictor_free(ba_predictor *p);

/* Predict n events from features (n, n_inputs), already preprocessed, or from raw
 * momenta (n, P, 4) of the model's process, to which its preprocessing is applied. The
 * events are events first_event .. first_event + n - 1 of a larger sample. An event's
 * row depends on the event, the seed and, in SAMPLE mode, on which weight draws it
 * meets: those of batch floor(index / batch_size) of the sample. It does not depend on
 * the other events, on how the sample is split into calls (any first_event), on the
 * thread count or on the BLAS library: predicting a sample piece by piece, or one event
 * at its index, gives exactly the same numbers as predicting it at once. */
int ba_predict_features(ba_predictor *p, const ba_real *features, size_t n,
                        size_t first_event, ba_prediction *out, ba_error *err);
int ba_predict_momenta(ba_predictor *p, const double *momenta, size_t n,
                       size_t first_event, ba_prediction *out, ba_error *err);

/* Predict every event of a momenta file, (N, P, 4) or (P, 4) for one event, P of the
 * model's process, streaming it in pieces so that memory does not grow with N. Writes
 * out_path atomically: float64 (N, 4) with columns exp(mean), mean, sigma_aleatoric,
 * sigma_epistemic. Checks the shape and that every momentum is finite, and with
 * cfg->check_kinematics every event against the process (ba_process_check_event),
 * naming the row, before predicting. n_events (may be NULL) receives N. */
int ba_predict_file(const ba_model *m, const char *momenta_path, const char *out_path,
                    const ba_predict_config *cfg, size_t *n_events, ba_error *err);

/* The rows of a prediction file (ba_predict_file, evaluate's pred.npy), n x 4 float64:
 * exp(mean), mean, sqrt(var_aleatoric), sqrt(var_epistemic). */
void ba_prediction_rows(const ba_prediction *pred, size_t n, double *rows);

/* Calibrate a trained model's uncertainties on held-out events (its validation split):
 * predict them (cfg: passes, mode, seed), split them at the 90 % quantile of the
 * predicted log A, and scale both sigmas of each group so that its pulls (evaluate's
 * "corrected" total) cover 68.27 % within 1 and 95 % within 1.96 as nearly as one factor
 * can: the geometric mean of the two factors that would make each exact. (The pulls have
 * slightly heavier tails than a Gaussian: a factor fitted to the 68 % alone left the 95 %
 * coverage at 0.94.) In the upper group the factor grows with the predicted log A as
 * scale * exp(slope (log A - edge)), fitted to that group's events in five bins of
 * predicted log A (the 90-95, 95-98, 98-99, 99-99.5 and 99.5-100 % quantiles), up to the
 * largest validation prediction and constant beyond. Why: a network trained hard on the
 * largest amplitudes (the precision preset's weights and enriched data) fits its training
 * events there better than new ones, and its sigmas come out small there, the more so
 * the larger the amplitude (10-25 % in the 0.5 % largest, BENCHMARKS.md); a factor per
 * bin would rest on 150 events each (good to 8 %), the line rests on all 3000 of them.
 * Stored with the model and applied by every prediction. A group or bin of fewer than 50
 * events takes the scale of all events and no slope. Returns 0, or -1 with err. */
#define BA_SIGMA_GROUPS 2
int ba_model_calibrate_uncertainty(ba_model *m, const ba_split *val,
                                   const ba_predict_config *cfg, ba_error *err);
/* The calibration: fills edges[BA_SIGMA_GROUPS - 1] (predicted log A) and
 * scales[BA_SIGMA_GROUPS]; returns the number of groups, 0 for an uncalibrated model
 * (the scales are then 1). */
int ba_model_uncertainty_calibration(const ba_model *m, double *edges, double *scales);
/* The growth of the upper group's factor: returns the slope (per unit of predicted log A,
 * 0 for an uncalibrated model or one calibrated before slopes) and sets *end_log_a to the
 * predicted log A beyond which the factor stays constant. */
double ba_model_uncertainty_slope(const ba_model *m, double *end_log_a);

/* One split of a data folder as stored, for evaluation: momenta (n, P, 4) in GeV and the
 * amplitudes (n,), float64, checked as ba_dataset_load_process checks them. */
typedef struct ba_events {
    size_t n;
    double *momenta;
    double *amp;
    int n_particles;   /* P */
} ba_events;

/* Load {split}_dat.npy and {split}_amp.npy from dir for the process (checked as
 * ba_dataset_load_process does); ba_events_load: as g g > a a g data from before
 * processes (ba_dataset_load's checks). */
int ba_events_load_process(const char *dir, const char *split, const ba_process *process,
                           ba_events *out, ba_error *err);
/* One split ("trn", "val", "tst") of a source as ba_dataset_load_source cuts it. */
int ba_events_load_source(const char *source, const double *fractions, const char *split,
                          const ba_process *process, ba_events *out, ba_error *err);
int ba_events_load(const char *dir, const char *split, ba_events *out, ba_error *err);
void ba_events_free(ba_events *ev);

/* ---- events in memory ----
 * For front ends that hold the events themselves (Python's numpy arrays): the same
 * checks and the same preprocessing as the file loaders, so that the same events give
 * the same numbers whichever way they come in. A ba_events passed here only lends its
 * arrays; nothing is freed. */

/* Check n events of the process as the loaders do: every momentum finite, every event
 * on its mass shells with momentum conserved (ba_process_check_event), and, if amp is
 * not NULL, every amplitude positive and finite. The message names the first bad row:
 * "<what>: row R: ...", with what "momenta" or "amplitudes" after the prefix name
 * (may be NULL). */
int ba_events_check(const ba_process *process, const double *momenta, const double *amp,
                    size_t n, const char *name, ba_error *err);

/* A data set from the events of the three splits in memory, as ba_dataset_load_source
 * makes it from files: every event checked (ba_events_check; trn and val need at least
 * one event, tst may have none), the preprocessing fitted on trn. The n_particles of
 * every split must be the process's. */
int ba_dataset_from_events(const ba_events *trn, const ba_events *val, const ba_events *tst,
                           const ba_process *process, ba_features features, int standardize,
                           ba_dataset *out, ba_error *err);

/* ------------------------------------------------------------------ evaluation */

/* The total uncertainty of log A behind the pulls, coverage, NLL and plots of an
 * evaluation (src/eval/metrics.h has the reasoning): CORRECTED, the error of the
 * Monte-Carlo mean, <sigma^2> - Var(mu) (the default); BAYES, the tutorial's
 * <sigma^2> + Var(mu). Both are always computed. */
typedef enum { BA_UNCERTAINTY_CORRECTED = 0, BA_UNCERTAINTY_BAYES = 1 } ba_uncertainty;

/* The prediction of a set of events with known amplitudes and what it is worth:
 * relative deviations, pulls, coverage, calibration, the near-singular events and the
 * bulk, the largest amplitudes, the amplitude-weighted sums (`bayesamp evaluate`). */
typedef struct ba_evaluation ba_evaluation;

/* Predict the events (checked first with ba_events_check) with cfg and compute their
 * metrics under the uncertainty u. With rescale, one factor k of the total uncertainty
 * is also fitted on the events of val (the robust width of their pulls), or on the
 * evaluated events themselves if val is NULL, and the pulls of the evaluated events
 * with total * k are reported as "rescaled". *out is freed with ba_evaluation_free. */
int ba_evaluate(const ba_model *m, const ba_events *events, const ba_predict_config *cfg,
                ba_uncertainty u, int rescale, const ba_events *val, ba_evaluation **out,
                ba_error *err);
void ba_evaluation_free(ba_evaluation *e);
/* The number of events and their predictions (valid until ba_evaluation_free). */
size_t ba_evaluation_size(const ba_evaluation *e);
const ba_prediction *ba_evaluation_predictions(const ba_evaluation *e);
/* The metrics as JSON text: metrics.json of `bayesamp evaluate` without its
 * "settings" and "versions". Free it with ba_free; NULL if out of memory. */
char *ba_evaluation_json(const ba_evaluation *e);

/* The total uncertainty of log A of n predictions of n_monte passes each (1 in MAP
 * mode) under u, into sigma[0..n): what the pulls and coverage of an evaluation divide
 * by, and what ba_hybrid_amplitudes compares with its tolerance (CORRECTED). */
void ba_prediction_sigma_total(const ba_prediction *pred, size_t n, ba_uncertainty u,
                               int n_monte, double *sigma);

/* ------------------------------------------------------------------ generation */

/* The most cuts of an enrichment ladder (ba_phase_space.enrich_cuts). */
#define BA_MAX_ENRICH_CUTS 8

/* g g -> gamma gamma g events at the LHC (src/physics/phase_space.h): sqrt(s_hat)
 * log-uniform in [mhat_min, mhat_max], the partonic rapidity uniform within y_max,
 * RAMBO for the final state, then the cuts (pT, |eta| of photons and gluon, Delta R of
 * every pair); a point that fails them is redrawn, at most max_tries times per event. */
typedef struct ba_phase_space {
    double sqrt_s;         /* hadronic centre-of-mass energy, GeV (13000) */
    double mhat_min;       /* range of sqrt(s_hat), GeV (200, 2000) */
    double mhat_max;
    double y_max;          /* largest |rapidity| of the partonic system (2) */
    double pt_min;         /* GeV, every final-state particle (20) */
    double eta_photon_max; /* (2.5) */
    double eta_gluon_max;  /* (5) */
    double dr_min;         /* Delta R between every pair of outgoing particles (0.4) */
    long max_tries;        /* attempts per event before giving up (1000000) */
    /* Training sets only (ba_generate leaves validation and test flat): a fraction of the
     * events drawn near a singularity, where the smallest s_ij / s_12 is below a cut; the
     * enriched events take the cuts of enrich_cuts in turn, a ladder such as {0.01, 0.003,
     * 0.001} reaching deeper into the singular region than one cut could (the entries
     * after the last cut are 0; src/physics/phase_space.h) */
    double enrich_fraction;                     /* (0) */
    double enrich_cuts[BA_MAX_ENRICH_CUTS];     /* ({0.01}) */
} ba_phase_space;

/* The values in parentheses above: `bayesamp generate`'s defaults. */
ba_phase_space ba_phase_space_defaults(void);
/* 0 if the settings can produce events (finite, ordered ranges, mhat_max <= sqrt_s,
 * ...), else -1 with the reason. */
int ba_phase_space_check(const ba_phase_space *s, ba_error *err);

/* The splits of a data folder, {trn,val,tst}_{dat,amp}.npy. Split s draws its events
 * from the random streams s * 2^40 + i, so that the splits never share an event and
 * each is the same whatever the sizes of the others. */
typedef enum { BA_SPLIT_TRN = 0, BA_SPLIT_VAL = 1, BA_SPLIT_TST = 2 } ba_data_split;

/* Where the time of a generation went, in core-seconds (all threads summed). */
typedef struct ba_generate_stats {
    long long tries;     /* phase-space points drawn, accepted or not */
    double ps_seconds;   /* in the phase space (rejected points included) and the event check */
    double amp_seconds;  /* in the exact amplitude */
} ba_generate_stats;

/* Called from the calling thread between blocks of events (done of total so far). */
typedef void (*ba_progress_fn)(size_t done, size_t total, void *user);

/* Events 0 .. n - 1 of a split of the sample with this seed, as `bayesamp generate
 * --seed seed` writes them: momenta n x 5 x 4 ([g_in(+z), g_in(-z), photon, photon,
 * g_out], (E, px, py, pz) in GeV) and their exact |M|^2 (GeV^-2) into amp[0..n). Bit
 * for bit the same whatever threads (0: all cores). stats and progress may be NULL.
 * Under mpirun the ranks share the events and every rank gets all of them (a collective
 * call: every rank must make it). */
int ba_generate(const ba_phase_space *s, uint64_t seed, ba_data_split split, size_t n,
                int threads, double *momenta, double *amp, ba_generate_stats *stats,
                ba_progress_fn progress, void *user, ba_error *err);

/* The exact one-loop |M|^2 of g g -> gamma gamma g (GeV^-2; alpha = 1/137.036,
 * alpha_s = 0.118, five massless quark flavours), for momenta n x 5 x 4 in the order
 * above. Every event is checked first, to the relative tolerance tol (mass shells,
 * momentum conservation, incoming along the beam; BA_AMPLITUDE_TOL for float64 momenta,
 * about 1e-5 for float32 ones): one bad event stops the call before any is computed,
 * with "row R: ..." in err. threads 0: all cores; progress may be NULL. */
#define BA_AMPLITUDE_TOL 1e-10
int ba_amplitude_check(const double *momenta, size_t n, double tol, ba_error *err);
int ba_amplitudes(const double *momenta, size_t n, double tol, int threads, double *amp,
                  ba_progress_fn progress, void *user, ba_error *err);

/* ---- the surrogate with an exact fallback ----
 * For event generation: the network's amplitude where its calibrated uncertainty says
 * it is within a tolerance, the exact amplitude elsewhere. */

/* The exact |M|^2 of n events (momenta n x P x 4, GeV) into amp[0..n); 0, or -1 with
 * err filled. Called once per call of ba_hybrid_amplitudes, with only the events that
 * need it, gathered in their original order. */
typedef int (*ba_exact_amplitude_fn)(const double *momenta, size_t n, double *amp,
                                     void *user, ba_error *err);

typedef struct ba_hybrid_config {
    double tolerance;            /* relative: |A_net / A - 1| < tolerance, e.g. 0.01 */
    double confidence;           /* two-sided probability of that, e.g. 0.99 */
    ba_predict_config predict;   /* the Monte-Carlo prediction (mode SAMPLE or FIXED) */
} ba_hybrid_config;

/* tolerance 0.01, confidence 0.99, ba_predict_defaults(). */
ba_hybrid_config ba_hybrid_defaults(void);

typedef struct ba_hybrid_stats {
    size_t n_events, n_exact;
    double max_sigma;            /* the largest sigma of log A the network may keep */
    double seconds_network, seconds_exact;
} ba_hybrid_stats;

/* amp[i] = exp(mean log A) of the network where z(confidence) sigma_i <=
 * log(1 + tolerance), sigma_i the calibrated total uncertainty of log A (evaluate's
 * "corrected" total), and exact_flag[i] = 0; elsewhere amp[i] from exact() and
 * exact_flag[i] = 1. Events are numbered from 0 for the prediction's weight draws.
 * stats may be NULL. In a program whose MPI ranks were started by the library (the
 * command-line tool under mpirun), every rank calls it with all events: the prediction
 * and the exact events are shared out, and every rank gets all of amp and exact_flag,
 * the same as one process gives. */
int ba_hybrid_amplitudes(const ba_model *m, const double *momenta, size_t n,
                         const ba_hybrid_config *cfg, ba_exact_amplitude_fn exact, void *user,
                         double *amp, unsigned char *exact_flag, ba_hybrid_stats *stats,
                         ba_error *err);

/* The exact fallback for ba_hybrid_amplitudes: ba_amplitudes with user pointing to a
 * ba_exact_config (NULL: BA_AMPLITUDE_TOL, all cores). */
typedef struct ba_exact_config {
    double tol;
    int threads;
} ba_exact_config;
int ba_exact_amplitudes(const double *momenta, size_t n, double *amp, void *user,
                        ba_error *err);

/* ------------------------------------------------------------------ bindings */

/* For bindings that lay out the public structs themselves (python/bayesamp with
 * ctypes): sizeof of a public type by its name ("ba_train_config", ...), 0 if unknown,
 * so that a binding can refuse a library whose layout it does not match. */
size_t ba_sizeof(const char *type_name);
/* Free memory the library handed out (ba_evaluation_json). */
void ba_free(void *p);

#ifdef __cplusplus
}
#endif
#endif
