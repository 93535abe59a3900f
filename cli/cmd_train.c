/* bayesamp train: the training half of the tutorial's workflow. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "common/clock.h"
#include "bayesamp.h"
#include "cli.h"
#include "common/parallel.h"
#include "data/dataset_shard.h"
#include "evaluate_run.h"
#include "io/atomic_file.h"
#include "io/json_file.h"
#include "nn/activation.h"
#include "nn/schedule.h"
#include "nn/train.h"

static void train_usage(FILE *out)
{
    fprintf(out,
        "usage: bayesamp train --data DIR --out RUN [--preset tutorial|precision] [options]\n"
        "\n"
        "Train a Bayesian network on DIR ({trn,val,tst}_{dat,amp}.npy) and\n"
        "write RUN/model.safetensors (best validation loss), RUN/model-last.safetensors,\n"
        "RUN/history.csv and RUN/train.json; then evaluate the best model on the test\n"
        "split into RUN/eval (as 'bayesamp evaluate': 30 Monte-Carlo passes, same seed).\n"
        "A previous run in RUN is removed first; train.json is written after training:\n"
        "a folder without it holds an interrupted run (the best model so far and its\n"
        "history).\n"
        "\n"
        "  --data DIR          data folder in the Heidelberg layout, or one file of\n"
        "                      events, FILE.npy or FILE.h5:NAME, rows of the P\n"
        "                      four-momenta then the amplitude (required)\n"
        "  --split T,V,S       fractions of a single file's events for training,\n"
        "                      validation and test, e.g. 0.8,0.1,0.1; a fixed shuffle, the\n"
        "                      same on every machine (default: none, as a folder needs)\n"
        "  --out RUN           output folder, created if missing (required)\n"
        "  --process P         the process in MadGraph syntax, e.g. \"g g > g g g g\"\n"
        "                      (default: DIR/generate.json's, else \"g g > a a g\" for\n"
        "                      momenta of 5 particles); every event is checked against it\n"
        "  --mass NAME=GEV     override a particle's mass (and its antiparticle's), e.g.\n"
        "                      t=172.5; may be repeated (default: the built-in table)\n"
        "  --preset P          tutorial: the PyTorch tutorial exactly; precision: invariant\n"
        "                      inputs, standardisation, SiLU, local sampler, cosine schedule,\n"
        "                      1000 epochs (default tutorial). Every flag below overrides it;\n"
        "                      the defaults shown are the tutorial's.\n"
        "  --epochs N          training epochs (default 100; precision 1000)\n"
        "  --batch-size N      events per batch (default 128)\n"
        "  --lr X              peak Adam learning rate (default 1e-3; precision 3e-3)\n"
        "  --lr-schedule S     constant, cosine or onecycle (default constant; precision cosine)\n"
        "  --lr-final-ratio X  last learning rate / peak, for cosine and onecycle (default 1e-3)\n"
        "  --warmup-epochs X   epochs of learning-rate warm-up (default 0; precision 5)\n"
        "  --features F        momenta: the 4P components / mean pT of the last outgoing\n"
        "                      particle, target log A; invariants: log s12 and\n"
        "                      log(s_ij/s12), target log(A s12^(P-4))\n"
        "                      (default momenta; precision invariants)\n"
        "  --standardize yes|no  shift and scale inputs and target to mean 0, sd 1 over the\n"
        "                      training set (default no; precision yes)\n"
        "  --activation A      relu, silu, gelu or tanh (default relu; precision silu)\n"
        "  --hidden W,W,...    hidden layer widths (default 50,50,50)\n"
        "  --prior-sigma X     width of the Gaussian prior of the weights (default 1)\n"
        "  --sampler S         weight: one weight draw per batch, as the tutorial;\n"
        "                      local: local reparameterisation trick (default weight;\n"
        "                      precision local)\n"
        "  --clip-grad-norm X  clip the gradient's global norm to X (default 0: off;\n"
        "                      precision 10)\n"
        "  --logsig2-clamp X   clamp the predicted log-variance to [-X, X] in the loss\n"
        "                      (default 0: off; precision 20)\n"
        "  --nll-tail-pull C   the likelihood is Gaussian for pulls |mu - y|/sigma up to C\n"
        "                      and grows logarithmically beyond, so that one badly missed\n"
        "                      event cannot make the loss spike (default 0: Gaussian\n"
        "                      everywhere; precision 5)\n"
        "  --amplitude-weight P  weigh each training and validation event's likelihood by\n"
        "                      A^P, normalised to mean 1 over the training set, so that\n"
        "                      the network spends its capacity where the amplitude, and a\n"
        "                      cross section, is large (default 0: all events alike;\n"
        "                      precision 0.35)\n"
        "  --calibrate-sigma yes|no  after training, scale the best model's sigmas so that\n"
        "                      the pulls of the validation events have width 1, separately\n"
        "                      below and above the 90 %% quantile of the predicted\n"
        "                      amplitude (30 passes, --seed) (default no; precision yes)\n"
        "  --max-rollbacks N   on a non-finite loss, repeat the epoch from the last good\n"
        "                      state with half the learning rate, at most N times (default 3)\n"
        "  --seed N            random seed; results do not depend on --threads (default 1)\n"
        "  --threads N         at most N threads; while they keep waiting for each other\n"
        "                      (another process on the cores) epochs run on one thread,\n"
        "                      and N is tried again every 8 epochs; the numbers do not\n"
        "                      change (default: all cores)\n"
        "  --patience P        stop after P epochs without a better validation loss\n"
        "                      (default 0: off)\n"
        "  --no-eval           skip the evaluation on the test split (default: evaluate)\n"
        "  --help              this text\n");
}

typedef struct train_options {
    const char *data, *out;
    const char *preset;
    const char *process;        /* --process, or NULL */
    const char *masses[BA_MAX_PARTICLES];
    int n_masses;               /* --mass, in order */
    ba_train_config cfg;
    ba_arch arch;
    ba_features features;
    int standardize;
    int calibrate;  /* --calibrate-sigma */
    int no_eval;  /* --no-eval: no evaluation after training */
    double split[3];  /* --split: fractions of a single file of events */
    int has_split;
} train_options;

/* A yes|no flag into *out (1 or 0); -1 with the one-line error otherwise. */
static int parse_yes_no(const char *flag, const char *arg, int *out)
{
    if (strcmp(arg, "yes") && strcmp(arg, "no")) {
        cli_error("%s: '%s' is neither 'yes' nor 'no'", flag, arg);
        return -1;
    }
    *out = strcmp(arg, "yes") == 0;
    return 0;
}

/* The --preset value, found before the other flags so that they override it. */
static const char *find_preset(int argc, char **argv)
{
    const char *preset = "tutorial";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--"))
            break;
        if (!strcmp(argv[i], "--preset") && i + 1 < argc)
            preset = argv[++i];
        else if (!strncmp(argv[i], "--preset=", 9))
            preset = argv[i] + 9;
    }
    return preset;
}

static int parse_hidden(const char *text, ba_arch *arch)
{
    arch->n_hidden = 0;
    const char *p = text;
    while (*p) {
        char item[32];
        size_t len = strcspn(p, ",");
        if (len == 0 || len >= sizeof item || arch->n_hidden == BA_MAX_LAYERS) {
            cli_error("--hidden: '%s' is not a list of up to %d widths like 50,50,50", text,
                      BA_MAX_LAYERS);
            return -1;
        }
        memcpy(item, p, len);
        item[len] = '\0';
        long w;
        if (cli_parse_int("--hidden", item, 1, 100000, &w))
            return -1;
        arch->hidden[arch->n_hidden++] = (int)w;
        p += len;
        if (*p == ',' && *++p == '\0') {
            cli_error("--hidden: '%s' ends with a comma", text);
            return -1;
        }
    }
    if (arch->n_hidden == 0) {
        cli_error("--hidden: give at least one width");
        return -1;
    }
    return 0;
}

/* 0: parsed; 1: --help printed; -1: usage error (already reported). */
static int parse_train_options(int argc, char **argv, train_options *o)
{
    enum { O_DATA = 256, O_OUT, O_EPOCHS, O_BATCH, O_LR, O_HIDDEN, O_PRIOR, O_SAMPLER,
           O_SEED, O_THREADS, O_PATIENCE, O_NO_EVAL, O_HELP, O_PRESET, O_SCHEDULE, O_FINAL,
           O_WARMUP, O_FEATURES, O_STANDARDIZE, O_ACTIVATION, O_CLIP, O_CLAMP, O_TAIL, O_AWEIGHT, O_CALIBRATE, O_ROLLBACKS,
           O_PROCESS, O_MASS, O_SPLIT };
    static const struct option options[] = {
        {"data", required_argument, 0, O_DATA},       {"out", required_argument, 0, O_OUT},
        {"epochs", required_argument, 0, O_EPOCHS},   {"batch-size", required_argument, 0, O_BATCH},
        {"lr", required_argument, 0, O_LR},           {"hidden", required_argument, 0, O_HIDDEN},
        {"prior-sigma", required_argument, 0, O_PRIOR},
        {"sampler", required_argument, 0, O_SAMPLER}, {"seed", required_argument, 0, O_SEED},
        {"threads", required_argument, 0, O_THREADS},
        {"patience", required_argument, 0, O_PATIENCE}, {"no-eval", no_argument, 0, O_NO_EVAL},
        {"help", no_argument, 0, O_HELP},
        {"preset", required_argument, 0, O_PRESET},
        {"lr-schedule", required_argument, 0, O_SCHEDULE},
        {"lr-final-ratio", required_argument, 0, O_FINAL},
        {"warmup-epochs", required_argument, 0, O_WARMUP},
        {"features", required_argument, 0, O_FEATURES},
        {"standardize", required_argument, 0, O_STANDARDIZE},
        {"activation", required_argument, 0, O_ACTIVATION},
        {"clip-grad-norm", required_argument, 0, O_CLIP},
        {"logsig2-clamp", required_argument, 0, O_CLAMP},
        {"nll-tail-pull", required_argument, 0, O_TAIL},
        {"amplitude-weight", required_argument, 0, O_AWEIGHT},
        {"calibrate-sigma", required_argument, 0, O_CALIBRATE},
        {"max-rollbacks", required_argument, 0, O_ROLLBACKS},
        {"process", required_argument, 0, O_PROCESS},
        {"mass", required_argument, 0, O_MASS},
        {"split", required_argument, 0, O_SPLIT},
        {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->preset = find_preset(argc, argv);
    ba_recipe recipe;
    if (ba_recipe_preset(o->preset, &recipe)) {
        cli_error("--preset: '%s' is neither 'tutorial' nor 'precision'", o->preset);
        return -1;
    }
    o->cfg = recipe.train;
    o->arch = recipe.arch;
    o->features = recipe.features;
    o->standardize = recipe.standardize;
    o->calibrate = recipe.calibrate_uncertainty;
    opterr = 0;
    optind = 1;
    int c;
    long v;
    while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
        const char *flag = optind > 0 && optind <= argc ? argv[optind - 1] : "";
        switch (c) {
        case O_DATA: o->data = optarg; break;
        case O_OUT: o->out = optarg; break;
        case O_EPOCHS:
            /* At least one: with none, no model.safetensors would be written. */
            if (cli_parse_int("--epochs", optarg, 1, 1000000, &v)) return -1;
            o->cfg.epochs = (int)v;
            break;
        case O_BATCH:
            if (cli_parse_int("--batch-size", optarg, 1, 1 << 20, &v)) return -1;
            o->cfg.batch_size = (int)v;
            break;
        case O_LR:
            if (cli_parse_double("--lr", optarg, 1e-12, 10, &o->cfg.lr)) return -1;
            break;
        case O_HIDDEN:
            if (parse_hidden(optarg, &o->arch)) return -1;
            break;
        case O_PRIOR:
            if (cli_parse_double("--prior-sigma", optarg, 1e-6, 1e6, &o->arch.prior_sigma))
                return -1;
            break;
        case O_SAMPLER:
            if (!strcmp(optarg, "weight")) o->cfg.sampler = BA_SAMPLER_WEIGHT;
            else if (!strcmp(optarg, "local")) o->cfg.sampler = BA_SAMPLER_LOCAL;
            else {
                cli_error("--sampler: '%s' is neither 'weight' nor 'local'", optarg);
                return -1;
            }
            break;
        case O_SEED:
            if (cli_parse_u64("--seed", optarg, &o->cfg.seed)) return -1;
            break;
        case O_THREADS:
            if (cli_parse_int("--threads", optarg, 1, 1024, &v)) return -1;
            o->cfg.threads = (int)v;
            break;
        case O_PATIENCE:
            if (cli_parse_int("--patience", optarg, 0, 1000000, &v)) return -1;
            o->cfg.patience = (int)v;
            break;
        case O_NO_EVAL: o->no_eval = 1; break;
        case O_PRESET: break; /* applied before the loop */
        case O_SCHEDULE:
            if (lr_schedule_parse(optarg, &o->cfg.lr_schedule)) {
                cli_error("--lr-schedule: '%s' is not one of constant, cosine, onecycle", optarg);
                return -1;
            }
            break;
        case O_FINAL:
            if (cli_parse_double("--lr-final-ratio", optarg, 1e-9, 1, &o->cfg.lr_final_ratio))
                return -1;
            break;
        case O_WARMUP:
            if (cli_parse_double("--warmup-epochs", optarg, 0, 1e6, &o->cfg.warmup_epochs))
                return -1;
            break;
        case O_FEATURES:
            if (!strcmp(optarg, "momenta")) o->features = BA_FEATURES_MOMENTA;
            else if (!strcmp(optarg, "invariants")) o->features = BA_FEATURES_INVARIANTS;
            else {
                cli_error("--features: '%s' is neither 'momenta' nor 'invariants'", optarg);
                return -1;
            }
            break;
        case O_STANDARDIZE:
            if (parse_yes_no("--standardize", optarg, &o->standardize))
                return -1;
            break;
        case O_CALIBRATE:
            if (parse_yes_no("--calibrate-sigma", optarg, &o->calibrate))
                return -1;
            break;
        case O_ACTIVATION:
            if (activation_parse(optarg, &o->arch.activation)) {
                cli_error("--activation: '%s' is not one of relu, silu, gelu, tanh", optarg);
                return -1;
            }
            break;
        case O_CLIP:
            if (cli_parse_double("--clip-grad-norm", optarg, 0, 1e12, &o->cfg.clip_grad_norm))
                return -1;
            break;
        case O_CLAMP:
            if (cli_parse_double("--logsig2-clamp", optarg, 0, 1e6, &o->cfg.logsig2_clamp))
                return -1;
            break;
        case O_AWEIGHT:
            if (cli_parse_double("--amplitude-weight", optarg, 0, 2, &o->cfg.amplitude_weight_power))
                return -1;
            break;
        case O_TAIL:
            if (cli_parse_double("--nll-tail-pull", optarg, 0, 1e6, &o->cfg.nll_tail_pull))
                return -1;
            break;
        case O_ROLLBACKS:
            if (cli_parse_int("--max-rollbacks", optarg, 0, 1000, &v)) return -1;
            o->cfg.max_rollbacks = (int)v;
            break;
        case O_PROCESS: o->process = optarg; break;
        case O_SPLIT:
            if (cli_parse_split("--split", optarg, o->split)) return -1;
            o->has_split = 1;
            break;
        case O_MASS:
            if (o->n_masses == BA_MAX_PARTICLES) {
                cli_error("--mass: more than %d masses", BA_MAX_PARTICLES);
                return -1;
            }
            o->masses[o->n_masses++] = optarg;
            break;
        case O_HELP: train_usage(stdout); return 1;
        default: cli_bad_option("train", c, flag); return -1;
        }
    }
    if (cli_no_arguments_left("train", argc, argv))
        return -1;
    if (!o->data || !o->out) {
        cli_error("train: %s is required (see 'bayesamp train --help')",
                  !o->data ? "--data DIR" : "--out RUN");
        return -1;
    }
    /* n_inputs follows from the process, known once the data are found */
    /* A testing hook, not a user option: poison the loss at this optimiser step to
     * exercise the divergence guard from the command line. */
    const char *inject = getenv("BAYESAMP_INJECT_NAN_STEP");
    if (inject)
        o->cfg.inject_nan_step = atol(inject);
    return 0;
}

/* ---- state shared with the per-epoch callback ---- */

/* The run's files are written at most this often while training, and once more at its
 * end. Each write is atomic (a temporary, fsync, rename): once per epoch that cost 1.1 ms
 * of a 15 ms precision-preset epoch on the project's machine, and an fsync takes
 * milliseconds on a laptop's disk and more on a cluster's network file system
 * (BENCHMARKS.md, "Issue 12, sixth round"). A kill leaves the files of the last
 * checkpoint: the best model and the history up to that moment, consistent with each
 * other. */
#define CHECKPOINT_SECONDS 2.0

typedef struct train_run {
    const train_options *o;
    char model_path[4096], history_path[4096];
    ba_epoch_stats *history;
    int n_history, best_epoch;
    ba_model *best;          /* rank 0: a copy of the best model, until it is written */
    int saved_best_epoch;    /* the epoch whose model the file holds (0: none) */
    int n_history_saved;     /* epochs in the history file */
    double last_checkpoint;  /* wall_seconds() of the last write */
    double best_val;
    int on_terminal;
    int save_failed;
    ba_error save_err;
    int n_sigma_groups; /* the best model's uncertainty calibration, if any */
    double sigma_edges[BA_SIGMA_GROUPS - 1], sigma_scales[BA_SIGMA_GROUPS];
    double sigma_slope, sigma_slope_end;
} train_run;

/* The best model's uncertainty calibration on the validation split (val, all of it),
 * written back into its file (atomically, as every save). */
static int calibrate_best(train_run *r, const ba_split *val)
{
    ba_error err;
    ba_model *best = ba_model_load(r->model_path, &err);
    ba_predict_config pc = ba_predict_defaults();
    pc.seed = r->o->cfg.seed;
    pc.threads = r->o->cfg.threads;
    int rc = !best || ba_model_calibrate_uncertainty(best, val, &pc, &err) ||
             ba_model_save(best, r->model_path, &err);
    if (rc)
        cli_error("calibrating the uncertainties: %s", err.msg);
    else {
        r->n_sigma_groups = ba_model_uncertainty_calibration(best, r->sigma_edges,
                                                             r->sigma_scales);
        r->sigma_slope = ba_model_uncertainty_slope(best, &r->sigma_slope_end);
        double top = r->sigma_scales[1] *
                     exp(r->sigma_slope * (r->sigma_slope_end - r->sigma_edges[0]));
        printf("uncertainties calibrated on %zu validation events: sigma x %.3f below the "
               "90 %% quantile of the predicted amplitude, x %.3f above it, rising to x %.3f "
               "at the largest\n",
               val->n, r->sigma_scales[0], r->sigma_scales[1], top);
    }
    ba_model_free(best);
    return rc;
}

static int write_history(const train_run *r, ba_error *err)
{
    atomic_file af;
    if (atomic_file_open(&af, r->history_path, err))
        return -1;
    fprintf(af.fp, "epoch,train_loss,train_nll,train_kl,val_loss,seconds,lr\n");
    for (int i = 0; i < r->n_history; i++) {
        const ba_epoch_stats *s = &r->history[i];
        fprintf(af.fp, "%d,%.9g,%.9g,%.9g,%.9g,%.6f,%.6g\n", s->epoch, s->train_loss,
                s->train_nll, s->train_kl, s->val_loss, s->seconds, s->lr);
    }
    return atomic_file_commit(&af, err);
}

static void show_progress(int epoch, size_t done, size_t total, void *user)
{
    train_run *r = user;
    if (!r->on_terminal || par_rank() != 0)
        return;
    const int width = 30;
    int filled = (int)((double)done / (double)total * width);
    fprintf(stderr, "\repoch %4d [", epoch);
    for (int i = 0; i < width; i++)
        fputc(i < filled ? '#' : '.', stderr);
    fprintf(stderr, "] %3d%%", (int)(100.0 * (double)done / (double)total));
    fflush(stderr);
}

static void on_rollback(int epoch, const char *what, double lr_scale, void *user)
{
    train_run *r = user;
    if (r->on_terminal)
        fputs("\r\033[K", stderr);
    printf("epoch %4d  failed: %s; back to the end of epoch %d, learning rate x %g\n", epoch,
           what, epoch - 1, lr_scale);
    fflush(stdout);
}

/* Writes what the files lack: the best model, if newer than the file's, and the
 * history (rank 0). */
static int checkpoint(train_run *r)
{
    r->last_checkpoint = wall_seconds();
    if (r->saved_best_epoch != r->best_epoch &&
        ba_model_save(r->best, r->model_path, &r->save_err))
        return -1;
    r->saved_best_epoch = r->best_epoch;
    if (r->n_history_saved < r->n_history && write_history(r, &r->save_err))
        return -1;
    r->n_history_saved = r->n_history;
    return 0;
}

static int on_epoch(const ba_epoch_stats *s, int best, const ba_model *m, void *user)
{
    train_run *r = user;
    r->history[r->n_history++] = *s;
    if (best) {
        r->best_epoch = s->epoch;
        r->best_val = s->val_loss;
    }
    /* Under MPI every rank trains the same model; rank 0 writes it (ba_train stops all
     * ranks when this returns 1 on one). */
    if (par_rank() != 0)
        return 0;
    if (best) {
        if (r->best ? ba_model_copy(r->best, m, &r->save_err)
                    : !(r->best = ba_model_clone(m, &r->save_err))) {
            r->save_failed = 1;
            return 1;
        }
    }
    if (wall_seconds() - r->last_checkpoint >= CHECKPOINT_SECONDS && checkpoint(r)) {
        r->save_failed = 1;
        return 1;
    }
    if (r->on_terminal)
        fputs("\r\033[K", stderr);
    printf("epoch %4d  train %.6f  val %.6f  %.3f s%s\n", s->epoch, s->train_loss, s->val_loss,
           s->seconds, best ? "  *" : "");
    fflush(stdout);
    return 0;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_seconds(const train_run *r)
{
    if (r->n_history == 0)
        return NAN;
    double *s = malloc((size_t)r->n_history * sizeof *s);
    if (!s)
        return NAN;
    for (int i = 0; i < r->n_history; i++)
        s[i] = r->history[i].seconds;
    qsort(s, (size_t)r->n_history, sizeof *s, compare_doubles);
    int n = r->n_history;
    double med = n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    free(s);
    return med;
}

static int write_train_json(const char *path, const train_run *r, const dataset_shard *sh,
                            int threads, double total_seconds, ba_error *err)
{
    const train_options *o = r->o;
    cJSON *root = cJSON_CreateObject();
    cJSON *set = cJSON_AddObjectToObject(root, "settings");
    cJSON_AddStringToObject(set, "data", o->data);
    if (o->has_split)
        cJSON_AddItemToObject(set, "split", cJSON_CreateDoubleArray(o->split, 3));
    else
        cJSON_AddNullToObject(set, "split");
    cJSON_AddStringToObject(set, "out", o->out);
    cJSON_AddStringToObject(set, "preset", o->preset);
    cJSON_AddStringToObject(set, "process", sh->local.pre.process.text);
    cJSON *masses = cJSON_AddArrayToObject(set, "mass_overrides");
    for (int i = 0; i < o->n_masses; i++)
        cJSON_AddItemToArray(masses, cJSON_CreateString(o->masses[i]));
    cJSON_AddNumberToObject(set, "epochs", o->cfg.epochs);
    cJSON_AddNumberToObject(set, "batch_size", o->cfg.batch_size);
    cJSON_AddNumberToObject(set, "lr", o->cfg.lr);
    cJSON_AddStringToObject(set, "lr_schedule", lr_schedule_name(o->cfg.lr_schedule));
    cJSON_AddNumberToObject(set, "lr_final_ratio", o->cfg.lr_final_ratio);
    cJSON_AddNumberToObject(set, "warmup_epochs", o->cfg.warmup_epochs);
    cJSON_AddStringToObject(set, "features", o->features == BA_FEATURES_MOMENTA ? "momenta"
                                                                                 : "invariants");
    cJSON_AddBoolToObject(set, "standardize", o->standardize);
    cJSON_AddBoolToObject(set, "calibrate_sigma", o->calibrate);
    cJSON_AddStringToObject(set, "activation", activation_name(o->arch.activation));
    cJSON_AddNumberToObject(set, "clip_grad_norm", o->cfg.clip_grad_norm);
    cJSON_AddNumberToObject(set, "logsig2_clamp", o->cfg.logsig2_clamp);
    cJSON_AddNumberToObject(set, "nll_tail_pull", o->cfg.nll_tail_pull);
    cJSON_AddNumberToObject(set, "amplitude_weight", o->cfg.amplitude_weight_power);
    cJSON_AddNumberToObject(set, "max_rollbacks", o->cfg.max_rollbacks);
    cJSON *hidden = cJSON_AddArrayToObject(set, "hidden");
    for (int i = 0; i < o->arch.n_hidden; i++)
        cJSON_AddItemToArray(hidden, cJSON_CreateNumber(o->arch.hidden[i]));
    cJSON_AddNumberToObject(set, "prior_sigma", o->arch.prior_sigma);
    cJSON_AddStringToObject(set, "sampler", o->cfg.sampler == BA_SAMPLER_LOCAL ? "local" : "weight");
    cJSON_AddNumberToObject(set, "seed", (double)o->cfg.seed);
    cJSON_AddNumberToObject(set, "threads", threads);
    cJSON_AddNumberToObject(set, "patience", o->cfg.patience);
    cJSON_AddStringToObject(set, "optimizer", "adam(beta1=0.9, beta2=0.999, eps=1e-8)");
    const ba_preprocessing *p = &sh->local.pre;
    int inv = p->features == BA_FEATURES_INVARIANTS;
    const ba_process *proc = &p->process;
    int n_part = proc->n_particles;
    cJSON *pre = cJSON_AddObjectToObject(root, "preprocessing");
    cJSON_AddStringToObject(pre, "process", proc->text);
    cJSON *names = cJSON_AddArrayToObject(pre, "particles");
    for (int i = 0; i < n_part; i++)
        cJSON_AddItemToArray(names, cJSON_CreateString(proc->name[i]));
    cJSON_AddItemToObject(pre, "masses_gev", cJSON_CreateDoubleArray(proc->mass, n_part));
    cJSON_AddNumberToObject(pre, "amplitude_mass_dimension", ba_process_mass_dimension(proc));
    cJSON_AddNumberToObject(pre, "gluon_pt_mean", p->gluon_pt_mean);
    char what[256];
    if (inv)
        snprintf(what, sizeof what, "log s12, log(s_ij / s12) for %d other pairs, identical "
                 "final-state particles ordered by s_1i", p->n_features - 1);
    else
        snprintf(what, sizeof what, "momenta (N,%d) / gluon_pt_mean (mean pT of the last "
                 "outgoing particle)", p->n_features);
    cJSON_AddStringToObject(pre, "features", what);
    if (inv)
        snprintf(what, sizeof what, "log(amplitude * s12^%d)", n_part - 4);
    else
        snprintf(what, sizeof what, "log(amplitude)");
    cJSON_AddStringToObject(pre, "target", what);
    cJSON_AddBoolToObject(pre, "standardize", p->standardize);
    cJSON_AddItemToObject(pre, "x_mean", cJSON_CreateDoubleArray(p->x_mean, p->n_features));
    cJSON_AddItemToObject(pre, "x_std", cJSON_CreateDoubleArray(p->x_std, p->n_features));
    cJSON_AddNumberToObject(pre, "y_mean", p->y_mean);
    cJSON_AddNumberToObject(pre, "y_std", p->y_std);
    cJSON *sizes = cJSON_AddObjectToObject(root, "data_sizes");
    cJSON_AddNumberToObject(sizes, "trn", (double)sh->n[0]);
    cJSON_AddNumberToObject(sizes, "val", (double)sh->n[1]);
    cJSON_AddNumberToObject(sizes, "tst", (double)sh->n[2]);
    if (r->n_sigma_groups) {
        cJSON *cal = cJSON_AddObjectToObject(root, "uncertainty_calibration");
        cJSON_AddStringToObject(cal, "definition",
                                "both sigmas of events with predicted log A in group g are "
                                "multiplied by scales[g]; groups split at "
                                "log_amplitude_edges, the 90 % quantile of the "
                                "validation events' predictions; in the last group also by "
                                "exp(slope (min(log A, slope_end_log_amplitude) - its "
                                "lower edge))");
        cJSON_AddItemToObject(cal, "log_amplitude_edges",
                              cJSON_CreateDoubleArray(r->sigma_edges, r->n_sigma_groups - 1));
        cJSON_AddItemToObject(cal, "scales",
                              cJSON_CreateDoubleArray(r->sigma_scales, r->n_sigma_groups));
        cJSON_AddNumberToObject(cal, "slope", r->sigma_slope);
        cJSON_AddNumberToObject(cal, "slope_end_log_amplitude", r->sigma_slope_end);
    }
    cJSON *res = cJSON_AddObjectToObject(root, "result");
    cJSON_AddNumberToObject(res, "epochs_run", r->n_history);
    cJSON_AddNumberToObject(res, "best_epoch", r->best_epoch);
    if (r->n_history) {
        cJSON_AddNumberToObject(res, "best_val_loss", r->best_val);
        cJSON_AddNumberToObject(res, "final_train_loss", r->history[r->n_history - 1].train_loss);
        cJSON_AddNumberToObject(res, "final_val_loss", r->history[r->n_history - 1].val_loss);
        cJSON_AddNumberToObject(res, "seconds_per_epoch_median", median_seconds(r));
    }
    cJSON_AddNumberToObject(res, "seconds_total", total_seconds);
    cJSON *ver = cJSON_AddObjectToObject(root, "versions");
    cJSON_AddStringToObject(ver, "bayesamp", BAYESAMP_VERSION);
    cJSON_AddStringToObject(ver, "git_commit", ba_git_commit());
    cJSON_AddStringToObject(ver, "precision", ba_precision());
    cJSON_AddStringToObject(ver, "blas", ba_blas_version());
    cJSON_AddStringToObject(ver, "cjson", cJSON_Version());
    cJSON_AddStringToObject(ver, "compiler", __VERSION__);
    int rc = json_write_file(path, root, err);
    cJSON_Delete(root);
    return rc;
}

int cmd_train(int argc, char **argv)
{
    train_options o;
    int parsed = parse_train_options(argc, argv, &o);
    if (parsed)
        return parsed > 0 ? 0 : EXIT_USAGE;

    ba_error err;
    ba_process proc;
    const char *source;
    if (ba_data_process(o.data, o.process, &proc, &source, &err)) {
        cli_error("%s%s", o.process ? "--process: " : "", err.msg);
        return o.process ? EXIT_USAGE : 1;
    }

    for (int i = 0; i < o.n_masses; i++)
        if (ba_process_set_mass(&proc, o.masses[i], &err)) {
            cli_error("--mass: %s", err.msg);
            return EXIT_USAGE;
        }
    /* Under MPI each rank reads its share of the events (data/dataset_shard.h). */
    dataset_shard ds;
    if (dataset_shard_load(o.data, o.has_split ? o.split : NULL, &proc, o.features,
                           o.standardize, &ds, &err)) {
        cli_error("%s", err.msg);
        return 1;
    }
    o.arch.n_inputs = ds.local.pre.n_features;
    train_run r = {.o = &o, .on_terminal = isatty(2)};
    char last_path[4096], json_path[4096];
    /* The run folder is rank 0's (under MPI); the other ranks wait for its verdict. */
    int writer = par_rank() == 0;
    if ((writer && cli_make_dir(o.out)) || cli_path(r.model_path, sizeof r.model_path, o.out, "model.safetensors") ||
        cli_path(r.history_path, sizeof r.history_path, o.out, "history.csv") ||
        cli_path(last_path, sizeof last_path, o.out, "model-last.safetensors") ||
        cli_path(json_path, sizeof json_path, o.out, "train.json")) {
        dataset_shard_free(&ds);
        return 1;
    }
    /* A run folder is complete when it holds train.json (and RUN/eval when it holds
     * eval/metrics.json): both are written last. Remove them first, then the models of
     * a previous run in RUN, so that a kill at any moment leaves either the previous
     * complete run or this run's files so far (model.safetensors, the best model yet,
     * and history.csv), never the one mixed with the other. */
    const char *stale[] = {"train.json", "eval/metrics.json", "model-last.safetensors",
                           "model.safetensors"};
    for (size_t i = 0; i < sizeof stale / sizeof *stale; i++) {
        char path[4096];
        if (cli_path(path, sizeof path, o.out, stale[i])) {
            dataset_shard_free(&ds);
            return 1;
        }
        if (writer && unlink(path) != 0 && errno != ENOENT && errno != ENOTDIR) {
            cli_error("%s: cannot remove: %s", path, strerror(errno));
            dataset_shard_free(&ds);
            return 1;
        }
    }
    /* Fail now, not after hours of training, if RUN cannot be written. */
    int unwritable = writer && write_history(&r, &err);
    if (unwritable)
        cli_error("%s", err.msg);
    if (par_any(unwritable)) {
        dataset_shard_free(&ds);
        return 1;
    }
    r.history = calloc((size_t)o.cfg.epochs + 1, sizeof *r.history);
    ba_model *m = ba_model_create(&o.arch, o.cfg.seed, &err);
    if (!m || !r.history) {
        cli_error("%s", m ? "out of memory" : err.msg);
        ba_model_free(m);
        free(r.history);
        dataset_shard_free(&ds);
        return 1;
    }
    int threads = o.cfg.threads > 0 ? o.cfg.threads : ba_default_threads();
    char layers[256];
    int used = snprintf(layers, sizeof layers, "%d", o.arch.n_inputs);
    for (int i = 0; i < o.arch.n_hidden && used < (int)sizeof layers; i++)
        used += snprintf(layers + used, sizeof layers - (size_t)used, "-%d", o.arch.hidden[i]);
    printf("training %s-2 (%s preset: %s, %s%s, %s sampler, lr %g %s) on %zu events of "
           "%s%s (validation %zu), %d epochs, batch %d, %d threads%s -> %s\n", layers, o.preset,
           o.features == BA_FEATURES_MOMENTA ? "momenta" : "invariants",
           activation_name(o.arch.activation), o.standardize ? ", standardised" : "",
           o.cfg.sampler == BA_SAMPLER_LOCAL ? "local" : "weight", o.cfg.lr,
           lr_schedule_name(o.cfg.lr_schedule), ds.n[0], proc.text,
           /* 5-particle data without a stated process might be another process than
            * g g > a a g (g g > g g g has 5 massless particles too): say so */
           !strcmp(source, "default") ? " (assumed: no --process, no process in "
                                        "generate.json)" : "",
           ds.n[1], o.cfg.epochs,
           o.cfg.batch_size, threads, cli_ranks(), o.out);
    fflush(stdout);
    o.cfg.on_progress = show_progress;
    o.cfg.on_rollback = on_rollback;
    double t0 = wall_seconds();
    r.last_checkpoint = -INFINITY; /* the first epoch's files at once */
    int rc = train_shard(m, &ds, &o.cfg, on_epoch, &r, &err);
    /* the last checkpoint, also after a failure: the best model so far is kept */
    if (writer && !r.save_failed && checkpoint(&r))
        r.save_failed = 1;
    ba_model_free(r.best);
    r.best = NULL;
    double total = wall_seconds() - t0;
    if (r.on_terminal && writer)
        fputs("\r\033[K", stderr);
    /* rank 0's failure to save stopped every rank: all of them exit non-zero */
    r.save_failed = par_agree(r.save_failed ? -1 : 0, &r.save_err) != 0;
    int status = 0;
    if (r.save_failed) {
        cli_error("%s", r.save_err.msg);
        status = 1;
    } else if (rc) {
        cli_error("%s%s", err.msg, r.best_epoch ? "; the best model so far is kept" : "");
        status = 1;
    }
    if (writer && !r.save_failed && rc == 0 && ba_model_save(m, last_path, &err)) {
        cli_error("%s", err.msg);
        status = 1;
    }
    /* rank 0 calibrates and saves, on the validation events that every rank sends it;
     * the par_any below keeps the other ranks from reading the model file before that */
    if (!par_any(status) && o.calibrate && r.best_epoch > 0) {
        ba_split val;
        if (dataset_shard_gather(&ds, 1, &val, &err)) {
            cli_error("calibrating the uncertainties: %s", err.msg);
            status = 1;
        } else if (writer && calibrate_best(&r, &val)) {
            status = 1;
        }
        free(val.x);
        free(val.y);
    }
    if (writer && !r.save_failed && write_train_json(json_path, &r, &ds, threads, total, &err)) {
        cli_error("%s", err.msg);
        status = 1;
    }
    status = par_any(status); /* the evaluation below runs on every rank, or on none */
    if (status == 0)
        printf("best validation loss %.6f in epoch %d; model: %s\n", r.best_val, r.best_epoch,
               r.model_path);
    ba_model_free(m);
    free(r.history);
    dataset_shard_free(&ds);
    /* The tutorial's second half on the best model, unless asked not to. */
    if (status == 0 && !o.no_eval && r.best_epoch > 0) {
        char eval_dir[4096];
        if (cli_path(eval_dir, sizeof eval_dir, o.out, "eval"))
            return 1;
        evaluate_options eo = {.model_path = r.model_path, .data_dir = o.data,
                               .split = "tst", .out_dir = eval_dir,
                               .predict = ba_predict_defaults()};
        memcpy(eo.data_split, o.split, sizeof o.split);
        eo.has_data_split = o.has_split;
        eo.predict.seed = o.cfg.seed;
        eo.predict.threads = o.cfg.threads;
        status = evaluate_run(&eo);
    }
    return status;
}
