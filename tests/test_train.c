/* End-to-end tests of training through the public API (src/nn/train.c).
 *
 * The data set is written by the test as .npy files and read back with ba_dataset_load:
 * momenta drawn uniformly (not physical, which training does not need) and an amplitude
 * whose logarithm is a smooth function of a few of them, so that a small network can
 * learn it within a few epochs. The checks: the validation loss falls clearly with both
 * samplers; a seed fixes the result bit for bit, whatever the thread count; early
 * stopping stops where the rule says; bad settings are refused before anything changes.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bayesamp.h"
#include "check.h"
#include "data/npy.h"
#include "nn/model.h"

#define NF 20
#define N_TRN 2000
#define N_VAL 500
#define N_TST 50
#define EPOCHS 10
#define MAX_EPOCHS 64

static const int HIDDEN[] = {32, 32};

/* ------------------------------------------------------------------ data */

static double uniform(uint64_t *state)
{
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(*state >> 11) * 0x1p-53;
}

/* The amplitude to learn: log A depends smoothly on four momentum components. */
static double log_amplitude(const double *p)
{
    double u1 = p[1] / 50, u6 = p[6] / 50, u9 = p[9] / 50, u17 = p[17] / 50;
    return 1.0 + sin(2 * u1) + 0.5 * u6 * u9 - 0.3 * u17 * u17;
}

static void write_split(const char *dir, const char *split, size_t n, uint64_t seed)
{
    double *mom = malloc(n * NF * sizeof *mom), *amp = malloc(n * sizeof *amp);
    for (size_t i = 0; i < n; i++) {
        double *p = mom + i * NF;
        for (int k = 0; k < NF; k++)
            p[k] = 200 * uniform(&seed) - 100;
        for (int j = 0; j < 5; j++) /* positive energies, for the look of it */
            p[4 * j] = fabs(p[4 * j]) + 100;
        amp[i] = exp(log_amplitude(p));
    }
    char path[4096];
    size_t dshape[3] = {n, 5, 4}, ashape[1] = {n};
    ba_error err;
    snprintf(path, sizeof path, "%s/%s_dat.npy", dir, split);
    int rc = npy_write_f64(path, mom, 3, dshape, &err);
    snprintf(path, sizeof path, "%s/%s_amp.npy", dir, split);
    rc = rc || npy_write_f64(path, amp, 1, ashape, &err);
    if (rc) {
        fprintf(stderr, "cannot write test data: %s\n", err.msg);
        exit(2);
    }
    free(mom);
    free(amp);
}

/* ------------------------------------------------------------------ training runs */

/* What the epoch callback saw. */
typedef struct run_log {
    int n;
    ba_epoch_stats stats[MAX_EPOCHS];
    int best[MAX_EPOCHS];
    int stop_after; /* the callback asks to stop after this epoch (0: never) */
} run_log;

static int on_epoch(const ba_epoch_stats *s, int best, const ba_model *m, void *user)
{
    run_log *log = user;
    (void)m;
    if (log->n < MAX_EPOCHS) {
        log->stats[log->n] = *s;
        log->best[log->n] = best;
        log->n++;
    }
    return log->stop_after > 0 && s->epoch >= log->stop_after;
}

static ba_model *new_model(uint64_t seed)
{
    ba_arch a = {.n_inputs = NF, .n_hidden = 2, .prior_sigma = 1};
    memcpy(a.hidden, HIDDEN, sizeof HIDDEN);
    ba_error err;
    ba_model *m = ba_model_create(&a, seed, &err);
    if (!m) {
        fprintf(stderr, "%s\n", err.msg);
        exit(2);
    }
    return m;
}

static ba_train_config config(ba_sampler sampler, int threads)
{
    ba_train_config c = ba_train_defaults();
    c.epochs = EPOCHS;
    /* 41 full batches, each cut into blocks of 32 and 16 rows, and a last one of 32:
     * blocks of several sizes, which the threads share out differently. */
    c.batch_size = 48;
    c.lr = 1e-2;
    c.sampler = sampler;
    c.seed = 11;
    c.threads = threads;
    return c;
}

/* Train a fresh model (initialised from seed 5) and return it with its log. */
static ba_model *train(const ba_dataset *ds, const ba_train_config *cfg, run_log *log)
{
    ba_model *m = new_model(5);
    ba_error err;
    memset(log, 0, sizeof *log);
    int rc = ba_train(m, ds, cfg, on_epoch, log, &err);
    CHECK_MSG(rc == 0, "ba_train: %s", err.msg);
    return m;
}

static int same_params(const ba_model *a, const ba_model *b)
{
    return a->n_params == b->n_params &&
           memcmp(a->params, b->params, a->n_params * sizeof *a->params) == 0;
}

static int same_logs(const run_log *a, const run_log *b)
{
    if (a->n != b->n)
        return 0;
    for (int i = 0; i < a->n; i++) {
        const ba_epoch_stats *x = &a->stats[i], *y = &b->stats[i];
        if (x->epoch != y->epoch || x->train_loss != y->train_loss ||
            x->train_nll != y->train_nll || x->train_kl != y->train_kl ||
            x->val_loss != y->val_loss || a->best[i] != b->best[i])
            return 0;
    }
    return 1;
}

/* ------------------------------------------------------------------ tests */

static void test_learns(const ba_dataset *ds)
{
    static const ba_sampler samplers[2] = {BA_SAMPLER_WEIGHT, BA_SAMPLER_LOCAL};
    static const char *names[2] = {"weight", "local"};
    for (int s = 0; s < 2; s++) {
        ba_train_config cfg = config(samplers[s], 2);
        run_log log;
        ba_model *m = train(ds, &cfg, &log);
        CHECK_MSG(log.n == EPOCHS, "%s: %d epochs", names[s], log.n);
        if (log.n == EPOCHS) {
            const ba_epoch_stats *first = &log.stats[0], *last = &log.stats[EPOCHS - 1];
            printf("%s sampler: val loss %.4f -> %.4f, train nll %.4f -> %.4f, kl %.4f -> %.4f\n",
                   names[s], first->val_loss, last->val_loss, first->train_nll,
                   last->train_nll, first->train_kl, last->train_kl);
            /* The validation loss includes the KL term, which falls as well; the NLL
             * alone shows that the fit improves. The targets have a variance of about 1,
             * so predicting their mean gives an NLL of about 0.5 (the first epoch's);
             * after 10 epochs it is near -0.4 (the weight sampler) to -0.6 (local). */
            CHECK_MSG(last->val_loss < first->val_loss - 1.0, "%s: val loss %g -> %g",
                      names[s], first->val_loss, last->val_loss);
            CHECK_MSG(last->train_nll < first->train_nll - 0.5, "%s: train nll %g -> %g",
                      names[s], first->train_nll, last->train_nll);
            CHECK(log.best[0] == 1);
            int ok = 1;
            for (int e = 0; e < EPOCHS; e++) {
                const ba_epoch_stats *st = &log.stats[e];
                ok &= st->epoch == e + 1 && isfinite(st->train_loss) && isfinite(st->val_loss) &&
                      st->train_kl > 0 && st->seconds >= 0 &&
                      fabs(st->train_loss - (st->train_nll + st->train_kl)) <=
                          1e-9 * fabs(st->train_loss) + 1e-12;
            }
            CHECK_MSG(ok, "%s: epoch statistics inconsistent", names[s]);
        }
        /* ba_train hands the data's constants to the model, for prediction later. */
        CHECK(ba_model_preprocessing(m)->gluon_pt_mean == ds->pre.gluon_pt_mean);
        ba_model_free(m);
    }
}

/* The same seed twice, and 1 against 2 threads: the same model bit for bit. */
static void test_reproducible(const ba_dataset *ds)
{
    static const ba_sampler samplers[2] = {BA_SAMPLER_WEIGHT, BA_SAMPLER_LOCAL};
    for (int s = 0; s < 2; s++) {
        ba_train_config cfg = config(samplers[s], 2);
        cfg.epochs = 3;
        run_log log_a, log_b, log_1;
        ba_model *a = train(ds, &cfg, &log_a);
        ba_model *b = train(ds, &cfg, &log_b);
        CHECK_MSG(same_params(a, b), "sampler %d: same seed, different parameters", s);
        CHECK_MSG(same_logs(&log_a, &log_b), "sampler %d: same seed, different losses", s);
        cfg.threads = 1;
        ba_model *one = train(ds, &cfg, &log_1);
        CHECK_MSG(same_params(a, one), "sampler %d: 1 and 2 threads differ", s);
        CHECK_MSG(same_logs(&log_a, &log_1), "sampler %d: 1 and 2 threads, different losses", s);
        /* Another seed gives another model: the seed is used at all. */
        cfg.seed++;
        run_log log_c;
        ba_model *c = train(ds, &cfg, &log_c);
        CHECK_MSG(!same_params(a, c), "sampler %d: the seed changes nothing", s);
        ba_model_free(a);
        ba_model_free(b);
        ba_model_free(one);
        ba_model_free(c);
    }
}

/* Early stopping: with patience P, training stops after the first epoch that is the P-th
 * in a row without a new best validation loss. A learning rate ten times too high (0.1;
 * 0.3 diverges) makes the validation loss jump about, so that this happens within a few
 * epochs (3 and 4 when this was written). */
static void test_early_stopping(const ba_dataset *ds)
{
    for (int patience = 1; patience <= 2; patience++) {
        ba_train_config cfg = config(BA_SAMPLER_WEIGHT, 2);
        cfg.epochs = 30;
        cfg.lr = 0.1;
        cfg.patience = patience;
        run_log log;
        ba_model *m = train(ds, &cfg, &log);
        /* Where the rule says training should have stopped, from the losses seen. */
        double best = INFINITY;
        int since = 0, want_stop = cfg.epochs, best_ok = 1;
        for (int e = 0; e < log.n; e++) {
            int improved = log.stats[e].val_loss < best;
            best_ok &= improved == log.best[e];
            if (improved) {
                best = log.stats[e].val_loss;
                since = 0;
            } else if (++since >= patience) {
                want_stop = e + 1;
                break;
            }
        }
        printf("patience %d: stopped after %d of %d epochs\n", patience, log.n, cfg.epochs);
        CHECK_MSG(log.n < cfg.epochs, "patience %d: no early stop in %d epochs", patience,
                  log.n);
        CHECK_MSG(log.n == want_stop, "patience %d: stopped after %d epochs, want %d",
                  patience, log.n, want_stop);
        CHECK(best_ok);
        CHECK(model_params_finite(m));
        ba_model_free(m);
    }

    /* A callback that returns non-zero stops training at once, and that is no error. */
    ba_train_config cfg = config(BA_SAMPLER_LOCAL, 2);
    run_log log;
    ba_model *m = new_model(5);
    ba_error err;
    memset(&log, 0, sizeof log);
    log.stop_after = 2;
    CHECK(ba_train(m, ds, &cfg, on_epoch, &log, &err) == 0);
    CHECK(log.n == 2);
    ba_model_free(m);
}

static void test_refuses(const ba_dataset *ds)
{
    ba_model *m = new_model(5), *fresh = new_model(5);
    ba_error err;
    struct {
        const char *what;
        int epochs, batch_size, patience;
        double lr;
    } bad[] = {
        {"batch size 0", 3, 0, 0, 1e-3},   {"batch size -5", 3, -5, 0, 1e-3},
        {"epochs -1", -1, 16, 0, 1e-3},    {"lr 0", 3, 16, 0, 0.0},
        {"lr -1e-3", 3, 16, 0, -1e-3},     {"lr NaN", 3, 16, 0, NAN},
        {"patience -1", 3, 16, -1, 1e-3},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ba_train_config cfg = config(BA_SAMPLER_WEIGHT, 1);
        cfg.epochs = bad[i].epochs;
        cfg.batch_size = bad[i].batch_size;
        cfg.patience = bad[i].patience;
        cfg.lr = bad[i].lr;
        run_log log;
        memset(&log, 0, sizeof log);
        err.msg[0] = '\0';
        CHECK_MSG(ba_train(m, ds, &cfg, on_epoch, &log, &err) != 0, "%s accepted", bad[i].what);
        CHECK_MSG(err.msg[0] != '\0', "%s: no message", bad[i].what);
        CHECK_MSG(log.n == 0, "%s: %d epochs run", bad[i].what, log.n);
    }
    /* A network that does not take the data's 20 features. */
    ba_arch a = {.n_inputs = 19, .n_hidden = 1, .hidden = {8}, .prior_sigma = 1};
    ba_model *narrow = ba_model_create(&a, 1, &err);
    ba_train_config cfg = config(BA_SAMPLER_WEIGHT, 1);
    CHECK(narrow && ba_train(narrow, ds, &cfg, NULL, NULL, &err) != 0 && strstr(err.msg, "20"));
    ba_model_free(narrow);
    /* Refusals change nothing. */
    CHECK(same_params(m, fresh));
    CHECK(ba_model_preprocessing(m)->gluon_pt_mean == 1); /* still the neutral default */

    /* Zero epochs is a valid request that does nothing. */
    cfg.epochs = 0;
    run_log log;
    memset(&log, 0, sizeof log);
    CHECK(ba_train(m, ds, &cfg, on_epoch, &log, &err) == 0 && log.n == 0);
    CHECK(same_params(m, fresh));
    ba_model_free(m);
    ba_model_free(fresh);
}

/* The divergence guard: a loss poisoned in the middle of epoch 3 is caught in its batch;
 * the epoch is repeated from the end of epoch 2 with half the learning rate, and training
 * ends with finite parameters. Without rollbacks allowed, training stops with an error
 * and the model holds exactly the parameters of the last good epoch. */
static void test_divergence_guard(const ba_dataset *ds)
{
    ba_train_config cfg = config(BA_SAMPLER_WEIGHT, 2);
    size_t n_batches = (ds->trn.n + (size_t)cfg.batch_size - 1) / (size_t)cfg.batch_size;
    cfg.epochs = 5;
    cfg.inject_nan_step = (long)(2 * n_batches + n_batches / 2); /* in epoch 3 */
    run_log log;
    ba_model *m = train(ds, &cfg, &log);
    CHECK(log.n == 5 && model_params_finite(m));
    CHECK(log.stats[1].rollbacks == 0 && log.stats[2].rollbacks == 1 &&
          log.stats[4].rollbacks == 1);
    /* the repeated epoch and those after it run at half the rate */
    CHECK(log.stats[1].lr == cfg.lr && log.stats[2].lr == 0.5 * cfg.lr);
    CHECK(log.stats[4].val_loss < log.stats[0].val_loss);

    cfg.max_rollbacks = 0;
    ba_model *stopped = new_model(5);
    ba_error err;
    memset(&log, 0, sizeof log);
    CHECK(ba_train(stopped, ds, &cfg, on_epoch, &log, &err) != 0);
    CHECK_MSG(strstr(err.msg, "epoch 3") && strstr(err.msg, "parameters of epoch 2"), "%s",
              err.msg);
    CHECK(log.n == 2);
    ba_train_config two = config(BA_SAMPLER_WEIGHT, 2);
    two.epochs = 2;
    run_log log2;
    ba_model *reference = train(ds, &two, &log2);
    CHECK(same_params(stopped, reference));
    ba_model_free(m);
    ba_model_free(stopped);
    ba_model_free(reference);
}

/* The schedules and the clipping change the run, and stay reproducible. */
static void test_schedules_and_clipping(const ba_dataset *ds)
{
    ba_train_config cfg = config(BA_SAMPLER_LOCAL, 2);
    cfg.epochs = 6;
    cfg.lr_schedule = BA_LR_COSINE;
    cfg.warmup_epochs = 1;
    cfg.lr_final_ratio = 1e-2;
    cfg.clip_grad_norm = 0.5;
    cfg.logsig2_clamp = 20;
    run_log a, b;
    ba_model *ma = train(ds, &cfg, &a);
    cfg.threads = 1;
    ba_model *mb = train(ds, &cfg, &b);
    CHECK(same_params(ma, mb) && same_logs(&a, &b));
    /* the rate of the last step is the final one */
    CHECK_CLOSE(a.stats[5].lr, cfg.lr * cfg.lr_final_ratio, 1e-12, 0);
    CHECK(a.stats[5].val_loss < a.stats[0].val_loss);
    ba_model_free(ma);
    ba_model_free(mb);
}

static void test_presets(void)
{
    ba_recipe t, p, x;
    CHECK(ba_recipe_preset("tutorial", &t) == 0);
    CHECK(t.features == BA_FEATURES_MOMENTA && !t.standardize && t.arch.n_inputs == 20 &&
          t.arch.n_hidden == 3 && t.arch.hidden[0] == 50 && t.arch.hidden[2] == 50 &&
          t.arch.activation == BA_ACTIVATION_RELU && t.arch.prior_sigma == 1);
    CHECK(t.train.sampler == BA_SAMPLER_WEIGHT && t.train.lr == 1e-3 &&
          t.train.lr_schedule == BA_LR_CONSTANT && t.train.batch_size == 128 &&
          t.train.epochs == 100 && t.train.clip_grad_norm == 0 && t.train.logsig2_clamp == 0 &&
          t.train.nll_tail_pull == 0 && t.train.amplitude_weight_power == 0);
    CHECK(ba_recipe_preset("precision", &p) == 0);
    CHECK(p.features == BA_FEATURES_INVARIANTS && p.standardize && p.arch.n_inputs == 10 &&
          p.arch.activation == BA_ACTIVATION_SILU && p.train.sampler == BA_SAMPLER_LOCAL &&
          p.train.lr == 3e-3 && p.train.lr_schedule == BA_LR_COSINE &&
          p.train.lr_final_ratio == 1e-3 && p.train.logsig2_clamp > 0 &&
          p.train.clip_grad_norm > 0 && p.train.nll_tail_pull == 5 &&
          p.train.amplitude_weight_power == 0.35);
    CHECK(ba_recipe_preset("fast", &x) == -1);
}

int main(void)
{
    char dir[] = "/tmp/bayesamp-test-train-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 2;
    }
    write_split(dir, "trn", N_TRN, 1);
    write_split(dir, "val", N_VAL, 2);
    write_split(dir, "tst", N_TST, 3);
    ba_dataset ds;
    ba_error err;
    int rc = ba_dataset_load(dir, &ds, &err);
    static const char *files[] = {"trn_dat", "trn_amp", "val_dat", "val_amp", "tst_dat", "tst_amp"};
    for (int i = 0; i < 6; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.npy", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
    if (rc) {
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }
    test_learns(&ds);
    test_reproducible(&ds);
    test_early_stopping(&ds);
    test_refuses(&ds);
    test_divergence_guard(&ds);
    test_schedules_and_clipping(&ds);
    test_presets();
    ba_dataset_free(&ds);
    return test_summary("test_train");
}
