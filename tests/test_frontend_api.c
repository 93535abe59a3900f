/* The public functions that front ends other than the command line need (bayesamp.h:
 * events in memory, evaluation, generation, the exact amplitude, bindings), against the
 * code paths the command line takes:
 *  - ba_generate is `generate`'s split, bit for bit, whatever the threads;
 *  - ba_dataset_from_events makes the data set ba_dataset_load_source makes from the
 *    same events written to a folder, bit for bit, and names the split and row of a bad
 *    event;
 *  - ba_evaluate's predictions are ba_predict_momenta's, its JSON holds the metrics
 *    eval_metrics_compute gives; rescaling fits k on the events given;
 *  - ba_model_clone and ba_model_copy copy everything; ba_amplitudes and its checks;
 *    ba_sizeof knows every public struct.
 * Small sizes, so that it stays quick under ASan.
 */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bayesamp.h"
#include "check.h"
#include "data/npy.h"
#include "eval/evaluate.h"
#include "physics/amplitude.h"
#include "physics/generate.h"

#define N_TRN 300
#define N_VAL 100
#define N_TST 120
#define SEED 5

typedef struct split_data {
    size_t n;
    double *momenta, *amp;
} split_data;

static split_data make_split(ba_data_split split, size_t n, int threads)
{
    ba_phase_space ps = ba_phase_space_defaults();
    split_data d = {n, malloc(n * 20 * sizeof(double)), malloc(n * sizeof(double))};
    ba_error err;
    CHECK_MSG(ba_generate(&ps, SEED, split, n, threads, d.momenta, d.amp, NULL, NULL, NULL,
                          &err) == 0, "%s", err.msg);
    return d;
}

static ba_events as_events(const split_data *d)
{
    return (ba_events){.n = d->n, .momenta = d->momenta, .amp = d->amp, .n_particles = 5};
}

static void test_generate(const split_data *trn)
{
    ba_phase_space ps = ba_phase_space_defaults();
    ps_settings internal = ps_settings_default();
    CHECK(memcmp(&ps, &internal, sizeof ps) == 0);
    double (*p)[5][4] = malloc(N_TRN * sizeof *p);
    double *amp = malloc(N_TRN * sizeof *amp);
    ba_error err;
    CHECK(gen_events(&internal, SEED, gen_split_first_index(GEN_TRAIN), N_TRN, 1, p, amp, NULL,
                     NULL, NULL, &err) == 0);
    CHECK(memcmp(p, trn->momenta, N_TRN * sizeof *p) == 0);
    CHECK(memcmp(amp, trn->amp, N_TRN * sizeof *amp) == 0);

    /* the exact amplitude of the generated events is the generator's */
    double *again = malloc(N_TRN * sizeof *again);
    CHECK_MSG(ba_amplitudes(trn->momenta, N_TRN, BA_AMPLITUDE_TOL, 2, again, NULL, NULL,
                            &err) == 0, "%s", err.msg);
    CHECK(memcmp(again, trn->amp, N_TRN * sizeof *again) == 0);
    ba_exact_config ec = {BA_AMPLITUDE_TOL, 1};
    memset(again, 0, N_TRN * sizeof *again);
    CHECK(ba_exact_amplitudes(trn->momenta, N_TRN, again, &ec, &err) == 0);
    CHECK(memcmp(again, trn->amp, N_TRN * sizeof *again) == 0);

    /* one bad row stops everything, before any amplitude is computed */
    memcpy(p, trn->momenta, N_TRN * sizeof *p);
    p[7][2][0] *= 1.01;
    again[0] = -1;
    CHECK(ba_amplitudes(&p[0][0][0], N_TRN, BA_AMPLITUDE_TOL, 2, again, NULL, NULL, &err) == -1);
    CHECK_MSG(!strncmp(err.msg, "row 7: ", 7), "%s", err.msg);
    CHECK(again[0] == -1);
    CHECK(ba_amplitude_check(&p[0][0][0], 7, BA_AMPLITUDE_TOL, &err) == 0);
    CHECK(ba_amplitude_check(&p[0][0][0], N_TRN, 0, &err) == -1);
    CHECK_MSG(strstr(err.msg, "tolerance") != NULL, "%s", err.msg);

    /* settings and splits are refused with a reason */
    ps.mhat_max = ps.mhat_min / 2;
    CHECK(ba_phase_space_check(&ps, &err) == -1);
    CHECK_MSG(strstr(err.msg, "mhat_max") != NULL, "%s", err.msg);
    CHECK(ba_generate(&ps, SEED, BA_SPLIT_TRN, 4, 1, &p[0][0][0], amp, NULL, NULL, NULL,
                      &err) == -1);
    ps = ba_phase_space_defaults();
    CHECK(ba_generate(&ps, SEED, (ba_data_split)3, 4, 1, &p[0][0][0], amp, NULL, NULL, NULL,
                      &err) == -1);
    free(p), free(amp), free(again);
}

static void save_split(const char *dir, const char *name, const split_data *d)
{
    char path[512];
    ba_error err;
    size_t dshape[3] = {d->n, 5, 4}, ashape[1] = {d->n};
    snprintf(path, sizeof path, "%s/%s_dat.npy", dir, name);
    CHECK_MSG(npy_write_f64(path, d->momenta, 3, dshape, &err) == 0, "%s", err.msg);
    snprintf(path, sizeof path, "%s/%s_amp.npy", dir, name);
    CHECK_MSG(npy_write_f64(path, d->amp, 1, ashape, &err) == 0, "%s", err.msg);
}

static int same_split(const ba_split *a, const ba_split *b)
{
    return a->n == b->n && a->n_features == b->n_features &&
           memcmp(a->x, b->x, a->n * a->n_features * sizeof *a->x) == 0 &&
           memcmp(a->y, b->y, a->n * sizeof *a->y) == 0;
}

static void test_dataset_from_events(const split_data s[3])
{
    char dir[] = "/tmp/bayesamp_api_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    static const char *names[3] = {"trn", "val", "tst"};
    for (int i = 0; i < 3; i++)
        save_split(dir, names[i], &s[i]);
    ba_process proc;
    ba_error err;
    CHECK(ba_process_parse(BA_PROCESS_DEFAULT, &proc, &err) == 0);
    ba_events ev[3] = {as_events(&s[0]), as_events(&s[1]), as_events(&s[2])};
    for (int features = 0; features < 2; features++) {
        ba_dataset from_files, from_memory;
        CHECK_MSG(ba_dataset_load_source(dir, NULL, &proc, (ba_features)features, features,
                                         &from_files, &err) == 0, "%s", err.msg);
        CHECK_MSG(ba_dataset_from_events(&ev[0], &ev[1], &ev[2], &proc, (ba_features)features,
                                         features, &from_memory, &err) == 0, "%s", err.msg);
        CHECK(memcmp(&from_files.pre, &from_memory.pre, sizeof from_files.pre) == 0);
        CHECK(same_split(&from_files.trn, &from_memory.trn));
        CHECK(same_split(&from_files.val, &from_memory.val));
        CHECK(same_split(&from_files.tst, &from_memory.tst));
        ba_dataset_free(&from_files);
        ba_dataset_free(&from_memory);
    }
    /* no test events: allowed */
    ba_events none = {.n = 0, .momenta = NULL, .amp = NULL, .n_particles = 5};
    ba_dataset ds;
    CHECK_MSG(ba_dataset_from_events(&ev[0], &ev[1], &none, &proc, BA_FEATURES_MOMENTA, 0, &ds,
                                     &err) == 0, "%s", err.msg);
    CHECK(ds.tst.n == 0 && ds.trn.n == N_TRN);
    ba_dataset_free(&ds);
    /* a bad row is named with its split; the caller's arrays are untouched */
    double *mom = malloc(N_VAL * 20 * sizeof *mom);
    memcpy(mom, s[1].momenta, N_VAL * 20 * sizeof *mom);
    mom[3 * 20 + 5] = NAN;
    ba_events bad = {.n = N_VAL, .momenta = mom, .amp = s[1].amp, .n_particles = 5};
    CHECK(ba_dataset_from_events(&ev[0], &bad, &ev[2], &proc, BA_FEATURES_MOMENTA, 0, &ds,
                                 &err) == -1);
    CHECK_MSG(!strcmp(err.msg, "validation momenta: row 3: non-finite momentum component nan "
                           "(particle 2, g, px)"),
              "%s", err.msg);
    CHECK(isnan(mom[3 * 20 + 5]) && mom[0] == s[1].momenta[0]);
    mom[3 * 20 + 5] = s[1].momenta[3 * 20 + 5];
    mom[3 * 20 + 8] *= 1.1; /* the first photon off its mass shell */
    CHECK(ba_dataset_from_events(&ev[0], &bad, &ev[2], &proc, BA_FEATURES_MOMENTA, 0, &ds,
                                 &err) == -1);
    CHECK_MSG(!strncmp(err.msg, "validation momenta: row 3: ", 27), "%s", err.msg);
    bad.momenta = s[1].momenta;
    double *amp = malloc(N_VAL * sizeof *amp);
    memcpy(amp, s[1].amp, N_VAL * sizeof *amp);
    amp[9] = 0;
    bad.amp = amp;
    CHECK(ba_events_check(&proc, bad.momenta, bad.amp, N_VAL, "val", &err) == -1);
    CHECK_MSG(!strcmp(err.msg, "val amplitudes: row 9: amplitude 0 is not positive and finite"),
              "%s", err.msg);
    /* the rows are checked in parallel; the first bad row is named with any thread count
     * (one more bad row in the last thread's share) */
    amp[N_VAL - 2] = -1;
    int default_threads = omp_get_max_threads();
    for (int threads = 1; threads <= 4; threads++) {
        omp_set_num_threads(threads);
        CHECK(ba_events_check(&proc, bad.momenta, bad.amp, N_VAL, "val", &err) == -1);
        CHECK_MSG(!strcmp(err.msg, "val amplitudes: row 9: amplitude 0 is not positive and "
                                   "finite"), "%d threads: %s", threads, err.msg);
    }
    omp_set_num_threads(default_threads);
    amp[9] = s[1].amp[9];
    CHECK(ba_events_check(&proc, bad.momenta, bad.amp, N_VAL, "val", &err) == -1);
    CHECK_MSG(strstr(err.msg, "amplitude -1 is not positive") != NULL, "%s", err.msg);
    CHECK(ba_events_check(&proc, bad.momenta, NULL, N_VAL, NULL, &err) == 0);
    ba_events four = ev[0];
    four.n_particles = 4;
    CHECK(ba_dataset_from_events(&four, &ev[1], &ev[2], &proc, BA_FEATURES_MOMENTA, 0, &ds,
                                 &err) == -1);
    CHECK_MSG(strstr(err.msg, "(N, 5, 4)") != NULL, "%s", err.msg);
    free(mom), free(amp);

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
}

static int stop_after_two(const ba_epoch_stats *s, int best, const ba_model *m, void *user)
{
    (void)best, (void)m, (void)user;
    return s->epoch >= 2;
}

static void test_model_and_evaluation(const split_data s[3])
{
    ba_process proc;
    ba_error err;
    CHECK(ba_process_parse(BA_PROCESS_DEFAULT, &proc, &err) == 0);
    ba_events ev[3] = {as_events(&s[0]), as_events(&s[1]), as_events(&s[2])};
    ba_recipe r;
    CHECK(ba_recipe_preset("precision", &r) == 0);
    ba_dataset ds;
    CHECK(ba_dataset_from_events(&ev[0], &ev[1], &ev[2], &proc, r.features, r.standardize, &ds,
                                 &err) == 0);
    r.arch.n_inputs = ds.pre.n_features;
    r.train.threads = 1;
    ba_model *m = ba_model_create(&r.arch, SEED, &err);
    CHECK(m && ba_train(m, &ds, &r.train, stop_after_two, NULL, &err) == 0);

    /* clone and copy: the same predictions and preprocessing */
    ba_model *c = ba_model_clone(m, &err);
    CHECK(c != NULL && ba_model_n_params(c) == ba_model_n_params(m));
    CHECK(!memcmp(ba_model_preprocessing(c), ba_model_preprocessing(m), sizeof(ba_preprocessing)));
    ba_model *other = ba_model_create(&r.arch, SEED + 1, &err);
    CHECK(ba_model_copy(other, m, &err) == 0);
    ba_arch wide = r.arch;
    wide.hidden[0] += 1;
    ba_model *w = ba_model_create(&wide, SEED, &err);
    CHECK(ba_model_copy(w, m, &err) == -1);

    ba_predict_config pc = ba_predict_defaults();
    pc.n_monte = 5;
    pc.threads = 1;
    ba_prediction pm[N_TST], pcl[N_TST], po[N_TST];
    ba_predictor *p = ba_predictor_create(m, &pc, &err);
    ba_predictor *pc2 = ba_predictor_create(c, &pc, &err);
    ba_predictor *po2 = ba_predictor_create(other, &pc, &err);
    CHECK(ba_predict_momenta(p, s[2].momenta, N_TST, 0, pm, &err) == 0);
    CHECK(ba_predict_momenta(pc2, s[2].momenta, N_TST, 0, pcl, &err) == 0);
    CHECK(ba_predict_momenta(po2, s[2].momenta, N_TST, 0, po, &err) == 0);
    CHECK(!memcmp(pm, pcl, sizeof pm) && !memcmp(pm, po, sizeof pm));
    ba_predictor_free(p), ba_predictor_free(pc2), ba_predictor_free(po2);

    /* the evaluation predicts as ba_predict_momenta and computes eval_metrics_compute */
    ba_evaluation *e = NULL;
    CHECK_MSG(ba_evaluate(m, &ev[2], &pc, BA_UNCERTAINTY_CORRECTED, 0, NULL, &e, &err) == 0,
              "%s", err.msg);
    CHECK(e && ba_evaluation_size(e) == N_TST);
    CHECK(e && !memcmp(ba_evaluation_predictions(e), pm, sizeof pm));
    double log_true[N_TST];
    for (int i = 0; i < N_TST; i++)
        log_true[i] = log(s[2].amp[i]);
    eval_metrics direct;
    CHECK(eval_metrics_compute(pm, log_true, s[2].momenta, &proc, N_TST,
                               EVAL_TOTAL_CORRECTED, 5, &direct, &err) == 0);
    const eval_metrics *em = evaluation_metrics(e);
    CHECK(em->all.rel_q[2] == direct.all.rel_q[2] && em->all.frac_below[1] == direct.all.frac_below[1]);
    CHECK(!em->has_rescaled && em->seconds >= 0);
    char *json = ba_evaluation_json(e);
    CHECK(json && strstr(json, "\"rel_dev\"") && strstr(json, "\"near_singular\"") &&
          !strstr(json, "\"rescaled\""));
    ba_free(json);
    double rows[N_TST][4];
    ba_prediction_rows(pm, N_TST, &rows[0][0]);
    CHECK(rows[3][0] == exp(pm[3].mean) && rows[3][1] == pm[3].mean &&
          rows[3][2] == sqrt(pm[3].var_aleatoric) && rows[3][3] == sqrt(pm[3].var_epistemic));
    ba_evaluation_free(e);

    /* rescaling on other events, and on the evaluated ones */
    CHECK(ba_evaluate(m, &ev[2], &pc, BA_UNCERTAINTY_BAYES, 1, &ev[1], &e, &err) == 0);
    CHECK(e && evaluation_metrics(e)->has_rescaled && evaluation_metrics(e)->rescale_n_fit == N_VAL);
    json = e ? ba_evaluation_json(e) : NULL;
    CHECK(json && strstr(json, "\"rescaled\"") && strstr(json, "\"bayes\""));
    ba_free(json);
    ba_evaluation_free(e);
    CHECK(ba_evaluate(m, &ev[2], &pc, BA_UNCERTAINTY_CORRECTED, 1, NULL, &e, &err) == 0);
    CHECK(e && evaluation_metrics(e)->rescale_n_fit == N_TST);
    ba_evaluation_free(e);

    /* bad events are refused before any work, with the row */
    double amp[N_TST];
    memcpy(amp, s[2].amp, sizeof amp);
    amp[4] = -1;
    ba_events bad = ev[2];
    bad.amp = amp;
    e = (ba_evaluation *)&bad;
    CHECK(ba_evaluate(m, &bad, &pc, BA_UNCERTAINTY_CORRECTED, 0, NULL, &e, &err) == -1);
    CHECK(e == NULL);
    CHECK_MSG(!strcmp(err.msg, "evaluated amplitudes: row 4: amplitude -1 is not positive and "
                      "finite"), "%s", err.msg);
    bad = ev[2];
    bad.n_particles = 6;
    CHECK(ba_evaluate(m, &bad, &pc, BA_UNCERTAINTY_CORRECTED, 0, NULL, &e, &err) == -1);
    CHECK_MSG(strstr(err.msg, "6 particles") != NULL, "%s", err.msg);
    bad.n_particles = 5;
    bad.n = 0;
    CHECK(ba_evaluate(m, &bad, &pc, BA_UNCERTAINTY_CORRECTED, 0, NULL, &e, &err) == -1);
    CHECK(ba_evaluate(m, &ev[2], &pc, (ba_uncertainty)7, 0, NULL, &e, &err) == -1);

    ba_model_free(m), ba_model_free(c), ba_model_free(other), ba_model_free(w);
    ba_dataset_free(&ds);
}

static void test_sizeof(void)
{
    CHECK(ba_sizeof("ba_train_config") == sizeof(ba_train_config));
    CHECK(ba_sizeof("ba_phase_space") == sizeof(ba_phase_space));
    CHECK(ba_sizeof("ba_real") == sizeof(ba_real));
    CHECK(ba_sizeof("ba_model") == 0 && ba_sizeof("nonsense") == 0 && ba_sizeof(NULL) == 0);
}

int main(void)
{
    split_data s[3] = {make_split(BA_SPLIT_TRN, N_TRN, 2), make_split(BA_SPLIT_VAL, N_VAL, 1),
                       make_split(BA_SPLIT_TST, N_TST, 2)};
    test_generate(&s[0]);
    test_dataset_from_events(s);
    test_model_and_evaluation(s);
    test_sizeof();
    for (int i = 0; i < 3; i++)
        free(s[i].momenta), free(s[i].amp);
    return test_summary("test_frontend_api");
}
