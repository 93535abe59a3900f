/* Monte-Carlo prediction (src/nn/predict.c, predict_file.c) and the streaming .npy reader
 * and writer it uses.
 *
 * The network's outputs are checked against a plain forward pass written out here in
 * double precision, with the mean weights (MAP) or with weights drawn from the
 * documented Philox streams (SAMPLE with one pass). The statistics over the passes are
 * checked against a direct two-pass computation; reproducibility across thread counts,
 * batch sizes (FIXED) and file pieces is checked bit for bit.
 * BAYESAMP_TEST_FLOAT64: also built against the float64 library (tests/CMakeLists.txt).
 */
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bayesamp.h"
#ifdef BAYESAMP_HAVE_HDF5
#include <hdf5.h>
#endif
#include "check.h"
#include "common/rng.h"
#include "data/npy.h"
#include "nn/model.h"
#include "nn/predict.h"
#include "nn/streams.h"

#ifdef BA_REAL_DOUBLE
static const double RTOL = 1e-10;
#define normals ba_rng_normals_f64
#else
static const double RTOL = 2e-5;
#define normals ba_rng_normals_f32
#endif

#define NF 20

static char tmpdir[64];

static double uniform(uint64_t *state)
{
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(*state >> 11) * 0x1p-53;
}

/* Momenta of n events, uniform in [-100, 100] GeV (positive energies). */
static double *random_momenta(size_t n, uint64_t seed)
{
    double *p = malloc(n * NF * sizeof *p);
    for (size_t i = 0; i < n * NF; i++)
        p[i] = 200 * uniform(&seed) - 100;
    for (size_t i = 0; i < n * 5; i++)
        p[4 * i] = fabs(p[4 * i]) + 100;
    return p;
}

/* A 20-16-16-2 network with visible weight noise (logsig2 = -3 instead of -9), so that
 * the passes differ, and a preprocessing constant as a trained model would have. */
static ba_model *test_model_with(ba_activation activation, int width_1, int width_2)
{
    ba_arch arch = {.n_inputs = NF, .n_hidden = 2, .hidden = {width_1, width_2},
                    .prior_sigma = 1, .activation = activation};
    ba_error err;
    ba_model *m = ba_model_create(&arch, 7, &err);
    for (int l = 0; l < m->n_layers; l++) {
        const layer_layout *L = &m->layers[l];
        uint64_t s = 100 + (uint64_t)l;
        for (size_t i = 0; i < L->n_weights; i++)
            m->params[L->logsig2_w + i] = (ba_real)(-3.0 - uniform(&s));
        for (int j = 0; j < L->n_out; j++)
            m->params[L->bias + j] = (ba_real)(0.1 * (uniform(&s) - 0.5));
    }
    ba_model_preprocessing(m)->gluon_pt_mean = 50;
    return m;
}

static ba_model *test_model(void) { return test_model_with(BA_ACTIVATION_RELU, 16, 16); }

/* The head (mu, logsig2) of one event, in double, with the weights at the mu_w offsets
 * of weights (a vector as long as the parameters). */
static void reference_forward(const ba_model *m, const ba_real *weights, const double *momenta,
                              double out[2])
{
    double a[64], b[64];
    for (int i = 0; i < NF; i++)
        a[i] = (double)(ba_real)(momenta[i] / m->pre.gluon_pt_mean);
    for (int l = 0; l < m->n_layers; l++) {
        const layer_layout *L = &m->layers[l];
        for (int j = 0; j < L->n_out; j++) {
            double s = m->params[L->bias + j];
            for (int i = 0; i < L->n_in; i++)
                s += (double)weights[L->mu_w + (size_t)j * L->n_in + i] * a[i];
            b[j] = l + 1 < m->n_layers && s < 0 ? 0 : s;
        }
        memcpy(a, b, (size_t)L->n_out * sizeof *a);
    }
    out[0] = a[0];
    out[1] = a[1];
}

/* The weights of draw (pass, batch): mu + exp(logsig2 / 2) eps, eps from the stream
 * stream_id(STREAM_PREDICT_NOISE, pass, batch, layer). */
static ba_real *drawn_weights(const ba_model *m, uint64_t seed, int pass, uint64_t batch)
{
    ba_real *w = calloc(m->n_params, sizeof *w);
    for (int l = 0; l < m->n_layers; l++) {
        const layer_layout *L = &m->layers[l];
        ba_real *eps = malloc(L->n_weights * sizeof *eps);
        normals(seed, stream_id(STREAM_PREDICT_NOISE, (uint64_t)pass, batch, (unsigned)l), 0,
                eps, L->n_weights);
        for (size_t i = 0; i < L->n_weights; i++)
            w[L->mu_w + i] = (ba_real)(m->params[L->mu_w + i] +
                                       exp(0.5 * m->params[L->logsig2_w + i]) * eps[i]);
        free(eps);
    }
    return w;
}

static ba_predict_config config(ba_predict_mode mode, int n_monte, int batch, int threads)
{
    ba_predict_config c = ba_predict_defaults();
    c.mode = mode;
    c.n_monte = n_monte;
    c.batch_size = batch;
    c.threads = threads;
    return c;
}

/* Predict n events in one call; NULL on failure (reported). */
static ba_prediction *predict(const ba_model *m, const double *momenta, size_t n,
                              ba_predict_config cfg)
{
    ba_error err;
    ba_predictor *p = ba_predictor_create(m, &cfg, &err);
    CHECK_MSG(p != NULL, "%s", err.msg);
    if (!p)
        return NULL;
    ba_prediction *out = calloc(n, sizeof *out);
    int rc = ba_predict_momenta(p, momenta, n, 0, out, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    ba_predictor_free(p);
    return out;
}

static int same_predictions(const ba_prediction *a, const ba_prediction *b, size_t n)
{
    return memcmp(a, b, n * sizeof *a) == 0;
}

/* ------------------------------------------------------------------ statistics */

static void test_moments(void)
{
    enum { K = 7, ROWS = 5 };
    ba_real out[K][ROWS][2];
    uint64_t s = 42;
    for (int k = 0; k < K; k++)
        for (int r = 0; r < ROWS; r++) {
            out[k][r][0] = (ba_real)(3 * uniform(&s) - 1 + 100 * (r == 4)); /* an offset row */
            out[k][r][1] = (ba_real)(-4 * uniform(&s));
        }
    mc_moments acc;
    CHECK(mc_moments_alloc(&acc, ROWS) == 0);
    mc_moments_clear(&acc, ROWS);
    for (int k = 0; k < K; k++)
        mc_moments_add(&acc, &out[k][0][0], ROWS, k + 1);
    ba_prediction got[ROWS];
    mc_moments_finish(&acc, ROWS, K, got);
    mc_moments_free(&acc);
    for (int r = 0; r < ROWS; r++) {
        double mean = 0, al = 0, ep = 0;
        for (int k = 0; k < K; k++) {
            mean += out[k][r][0];
            al += exp((double)out[k][r][1]);
        }
        mean /= K;
        al /= K;
        for (int k = 0; k < K; k++)
            ep += ((double)out[k][r][0] - mean) * ((double)out[k][r][0] - mean);
        ep /= K; /* divide by n, as numpy's var */
        CHECK_CLOSE(got[r].mean, mean, 1e-13, 0);
        CHECK_CLOSE(got[r].var_aleatoric, al, 1e-13, 0);
        CHECK_CLOSE(got[r].var_epistemic, ep, 1e-10, 1e-15);
    }
    /* one pass: no epistemic variance */
    mc_moments one;
    CHECK(mc_moments_alloc(&one, 1) == 0);
    mc_moments_clear(&one, 1);
    ba_real o1[2] = {(ba_real)1.5, (ba_real)-2};
    mc_moments_add(&one, o1, 1, 1);
    mc_moments_finish(&one, 1, 1, got);
    mc_moments_free(&one);
    CHECK(got[0].mean == (double)(ba_real)1.5 && got[0].var_epistemic == 0);
    CHECK_CLOSE(got[0].var_aleatoric, exp(-2.0), 1e-15, 0);
}

/* ------------------------------------------------------------------ modes */

static void test_map_is_plain_network(void)
{
    ba_model *m = test_model();
    enum { N = 300 };
    double *mom = random_momenta(N, 1);
    ba_prediction *pred = predict(m, mom, N, config(BA_PREDICT_MAP, 30, 128, 2));
    int bad = 0;
    for (size_t i = 0; pred && i < N; i++) {
        double ref[2];
        reference_forward(m, m->params, mom + i * NF, ref); /* weights = mu_w */
        bad += !check_close(pred[i].mean, ref[0], RTOL, RTOL);
        bad += !check_close(pred[i].var_aleatoric, exp(ref[1]), 10 * RTOL, 0);
        bad += pred[i].var_epistemic != 0;
    }
    CHECK_MSG(bad == 0, "%d values differ from the plain network with the mean weights", bad);
    free(pred);
    free(mom);
    ba_model_free(m);
}

static void test_sample_one_pass_is_one_draw(void)
{
    ba_model *m = test_model();
    enum { N = 300, BATCH = 64 };
    double *mom = random_momenta(N, 2);
    ba_predict_config cfg = config(BA_PREDICT_SAMPLE, 1, BATCH, 2);
    cfg.seed = 99;
    ba_prediction *pred = predict(m, mom, N, cfg);
    int bad = 0;
    for (uint64_t b = 0; pred && b * BATCH < N; b++) {
        ba_real *w = drawn_weights(m, cfg.seed, 0, b);
        for (size_t i = b * BATCH; i < N && i < (b + 1) * BATCH; i++) {
            double ref[2];
            reference_forward(m, w, mom + i * NF, ref);
            bad += !check_close(pred[i].mean, ref[0], RTOL, RTOL);
            bad += !check_close(pred[i].var_aleatoric, exp(ref[1]), 10 * RTOL, 0);
            bad += pred[i].var_epistemic != 0;
        }
        free(w);
    }
    CHECK_MSG(bad == 0, "%d values differ from a forward pass with the drawn weights", bad);
    free(pred);
    free(mom);
    ba_model_free(m);
}

/* Sample mode with several passes, against the reference network and the formulas. */
static void test_sample_statistics(void)
{
    ba_model *m = test_model();
    enum { N = 40, BATCH = 16, K = 5 };
    double *mom = random_momenta(N, 3);
    ba_predict_config cfg = config(BA_PREDICT_SAMPLE, K, BATCH, 1);
    ba_prediction *pred = predict(m, mom, N, cfg);
    double mu[K][N], ls[K][N];
    for (int k = 0; k < K; k++)
        for (uint64_t b = 0; b * BATCH < N; b++) {
            ba_real *w = drawn_weights(m, cfg.seed, k, b);
            for (size_t i = b * BATCH; i < N && i < (b + 1) * BATCH; i++) {
                double ref[2];
                reference_forward(m, w, mom + i * NF, ref);
                mu[k][i] = ref[0];
                ls[k][i] = ref[1];
            }
            free(w);
        }
    int bad = 0, spread = 0;
    for (size_t i = 0; pred && i < N; i++) {
        double mean = 0, al = 0, ep = 0;
        for (int k = 0; k < K; k++)
            mean += mu[k][i] / K, al += exp(ls[k][i]) / K;
        for (int k = 0; k < K; k++)
            ep += (mu[k][i] - mean) * (mu[k][i] - mean) / K;
        bad += !check_close(pred[i].mean, mean, RTOL, RTOL);
        bad += !check_close(pred[i].var_aleatoric, al, 10 * RTOL, 0);
        /* the variance of nearly equal numbers: compare on the scale of mean^2 */
        bad += !check_close(pred[i].var_epistemic, ep, 1e-2, 10 * RTOL * (1 + mean * mean));
        spread += pred[i].var_epistemic > 1e-8;
    }
    CHECK_MSG(bad == 0, "%d values differ from the direct Monte-Carlo computation", bad);
    CHECK_MSG(spread == N, "only %d of %d events have an epistemic spread", spread, N);
    free(pred);
    free(mom);
    ba_model_free(m);
}

static void test_threads_and_batches(void)
{
    ba_model *m = test_model();
    enum { N = 1000 };
    double *mom = random_momenta(N, 4);
    /* the thread count never changes a bit */
    ba_predict_mode modes[3] = {BA_PREDICT_SAMPLE, BA_PREDICT_FIXED, BA_PREDICT_MAP};
    for (int k = 0; k < 3; k++) {
        ba_prediction *a = predict(m, mom, N, config(modes[k], 8, 64, 1));
        ba_prediction *b = predict(m, mom, N, config(modes[k], 8, 64, 2));
        ba_prediction *c = predict(m, mom, N, config(modes[k], 8, 64, 5));
        CHECK_MSG(a && b && same_predictions(a, b, N), "mode %d: 1 and 2 threads differ", k);
        CHECK_MSG(a && c && same_predictions(a, c, N), "mode %d: 1 and 5 threads differ", k);
        free(a), free(b), free(c);
    }
    /* FIXED and MAP: the same weights for every batch, so the batch size does not change
     * a bit: every row goes through the same arithmetic (net_forward_loaded) */
    ba_prediction *ref = predict(m, mom, N, config(BA_PREDICT_FIXED, 8, 128, 2));
    ba_prediction *map = predict(m, mom, N, config(BA_PREDICT_MAP, 1, 128, 2));
    int sizes[5] = {1, 7, 33, 100, 5000};
    for (int s = 0; s < 5; s++) {
        ba_prediction *p = predict(m, mom, N, config(BA_PREDICT_FIXED, 8, sizes[s], 2));
        CHECK_MSG(p && ref && same_predictions(p, ref, N),
                  "fixed mode, batch size %d differs from batch 128", sizes[s]);
        free(p);
        p = predict(m, mom, N, config(BA_PREDICT_MAP, 1, sizes[s], 1));
        CHECK_MSG(p && map && same_predictions(p, map, N),
                  "map mode, batch size %d differs from batch 128", sizes[s]);
        free(p);
    }
    free(map);
    /* SAMPLE draws per batch, so the batch size matters, but batch 0 is FIXED's draw */
    ba_prediction *smp = predict(m, mom, N, config(BA_PREDICT_SAMPLE, 8, 128, 2));
    CHECK(smp && ref && same_predictions(smp, ref, 128));
    CHECK(smp && ref && !same_predictions(smp + 128, ref + 128, 128));
    /* FIXED without the stored draws (over the memory budget) redraws the same weights */
    ba_error err;
    ba_predict_config cfg = config(BA_PREDICT_FIXED, 8, 128, 2);
    ba_predictor *p = ba_predictor_create(m, &cfg, &err);
    CHECK(p && p->fixed != NULL);
    free(p->fixed);
    p->fixed = NULL;
    ba_prediction *redrawn = calloc(N, sizeof *redrawn);
    CHECK(ba_predict_momenta(p, mom, N, 0, redrawn, &err) == 0);
    CHECK(ref && same_predictions(redrawn, ref, N));
    ba_predictor_free(p);
    /* another seed, other numbers */
    cfg = config(BA_PREDICT_SAMPLE, 8, 128, 2);
    cfg.seed = 2;
    ba_prediction *other = predict(m, mom, N, cfg);
    CHECK(other && smp && other[0].mean != smp[0].mean);
    free(ref), free(smp), free(redrawn), free(other);
    free(mom);
    ba_model_free(m);
}

/* Predicting in pieces cut anywhere, or one event at a time at its index, equals
 * predicting at once, in every mode: an event's row does not depend on the events it is
 * computed with. SiLU with widths 13 and 7: the activations' blocks of 16 values
 * (src/nn/activation.c) end part-way through rows, at places that move with the batch. */
static void test_pieces(ba_activation activation, int width_1, int width_2)
{
    ba_model *m = test_model_with(activation, width_1, width_2);
    enum { N = 500, BATCH = 32 };
    double *mom = random_momenta(N, 5);
    ba_predict_mode modes[3] = {BA_PREDICT_SAMPLE, BA_PREDICT_FIXED, BA_PREDICT_MAP};
    ba_error err;
    for (int k = 0; k < 3; k++) {
        ba_predict_config cfg = config(modes[k], 6, BATCH, 2);
        ba_prediction *all = predict(m, mom, N, cfg);
        ba_predictor *p = ba_predictor_create(m, &cfg, &err);
        ba_prediction *pieces = calloc(N, sizeof *pieces);
        size_t cuts[6] = {0, 1, 37, 3 * BATCH, 10 * BATCH + 5, N};
        for (int c = 0; c < 5; c++)
            CHECK(ba_predict_momenta(p, mom + cuts[c] * NF, cuts[c + 1] - cuts[c], cuts[c],
                                     pieces + cuts[c], &err) == 0);
        CHECK_MSG(all && same_predictions(all, pieces, N), "mode %d: pieces differ", k);
        int bad = 0;
        for (size_t i = 0; i < N; i += 7) {
            ba_prediction one;
            CHECK(ba_predict_momenta(p, mom + i * NF, 1, i, &one, &err) == 0);
            bad += !all || !same_predictions(all + i, &one, 1);
        }
        CHECK_MSG(bad == 0, "mode %d: %d single events differ from their rows", k, bad);
        /* the weights of FIXED and MAP do not depend on the index either */
        if (modes[k] != BA_PREDICT_SAMPLE) {
            ba_prediction one;
            CHECK(ba_predict_momenta(p, mom + 333 * NF, 1, 0, &one, &err) == 0);
            CHECK_MSG(all && same_predictions(all + 333, &one, 1),
                      "mode %d: an event alone differs from its row in the sample", k);
        }
        ba_predictor_free(p);
        free(all), free(pieces);
    }
    ba_predict_config cfg = config(BA_PREDICT_SAMPLE, 6, BATCH, 2);
    ba_prediction *all = predict(m, mom, N, cfg);
    ba_predictor *p = ba_predictor_create(m, &cfg, &err);
    ba_prediction *pieces = calloc(N, sizeof *pieces);
    /* features already preprocessed give the same as momenta */
    ba_real *x = malloc((size_t)N * NF * sizeof *x);
    CHECK(ba_preprocess_events(mom, N, ba_model_preprocessing(m), x, &err) == 0);
    CHECK(ba_predict_features(p, x, N, 0, pieces, &err) == 0);
    CHECK(all && same_predictions(all, pieces, N));
    ba_predictor_free(p);
    free(x), free(all), free(pieces), free(mom);
    ba_model_free(m);
}

static void test_bad_config(void)
{
    ba_model *m = test_model();
    ba_error err;
    ba_predict_config bad[4] = {config(BA_PREDICT_SAMPLE, 0, 128, 1),
                                config(BA_PREDICT_SAMPLE, (1 << 20) + 1, 128, 1),
                                config(BA_PREDICT_SAMPLE, 30, 0, 1),
                                config((ba_predict_mode)7, 30, 128, 1)};
    for (int k = 0; k < 4; k++) {
        err.msg[0] = '\0';
        CHECK_MSG(ba_predictor_create(m, &bad[k], &err) == NULL, "config %d accepted", k);
        CHECK(err.msg[0] != '\0');
    }
    /* momenta need a network with 20 inputs */
    ba_arch arch = {.n_inputs = 3, .n_hidden = 1, .hidden = {4}, .prior_sigma = 1};
    ba_model *small = ba_model_create(&arch, 1, &err);
    ba_predict_config cfg = config(BA_PREDICT_MAP, 1, 8, 1);
    ba_predictor *p = ba_predictor_create(small, &cfg, &err);
    double mom[NF] = {0};
    ba_prediction out[1];
    CHECK(p && ba_predict_momenta(p, mom, 1, 0, out, &err) != 0);
    CHECK_MSG(strstr(err.msg, "20") != NULL, "%s", err.msg);
    ba_predictor_free(p);
    ba_model_free(small);
    ba_model_free(m);
}

/* ------------------------------------------------------------------ streaming .npy */

static void path_in_tmp(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/%s", tmpdir, name);
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Files in tmpdir whose name contains ".tmp" (left-over temporary files). */
static int leftover_temporaries(void)
{
    DIR *d = opendir(tmpdir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += strstr(e->d_name, ".tmp") != NULL;
    if (d)
        closedir(d);
    return d ? n : -1;
}

static void test_npy_streaming(void)
{
    enum { N = 1000 };
    double *v = random_momenta(N, 6); /* N x 20 values */
    char a[512], b[512];
    ba_error err;
    size_t shape[3] = {N, 5, 4};
    path_in_tmp(a, sizeof a, "whole.npy");
    path_in_tmp(b, sizeof b, "pieces.npy");
    CHECK(npy_write_f64(a, v, 3, shape, &err) == 0);

    /* the reader: any range, the same values as npy_read */
    npy_reader r;
    CHECK_MSG(npy_reader_open(&r, a, &err) == 0, "%s", err.msg);
    CHECK(r.ndim == 3 && r.shape[0] == N && r.shape[1] == 5 && r.shape[2] == 4 &&
          r.count == N * 20);
    double buf[300];
    CHECK(npy_reader_read(&r, 137, 300, buf, &err) == 0);
    CHECK(memcmp(buf, v + 137, sizeof buf) == 0);
    CHECK(npy_reader_read(&r, 0, 5, buf, &err) == 0 && memcmp(buf, v, 5 * sizeof *buf) == 0);
    CHECK(npy_reader_read(&r, N * 20 - 3, 3, buf, &err) == 0 &&
          memcmp(buf, v + N * 20 - 3, 3 * sizeof *buf) == 0);
    CHECK(npy_reader_read(&r, N * 20 - 3, 4, buf, &err) != 0); /* past the end */
    npy_reader_close(&r);
    CHECK(npy_reader_open(&r, "/nonexistent/x.npy", &err) != 0);

    /* the writer: pieces give the same bytes as one write */
    npy_writer w;
    CHECK(npy_writer_open(&w, b, 3, shape, &err) == 0);
    CHECK(!file_exists(b)); /* not before the commit */
    size_t done = 0, step[3] = {1, 7999, N * 20 - 8000};
    for (int k = 0; k < 3; k++) {
        CHECK(npy_writer_append(&w, v + done, step[k], &err) == 0);
        done += step[k];
    }
    CHECK_MSG(npy_writer_commit(&w, &err) == 0, "%s", err.msg);
    npy_array x, y;
    CHECK(npy_read(a, &x, &err) == 0 && npy_read(b, &y, &err) == 0);
    CHECK(x.count == y.count && memcmp(x.data, y.data, x.count * sizeof *x.data) == 0);
    npy_free(&x), npy_free(&y);
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int same = fa && fb;
    for (int ca = 0, cb = 0; same && ca != EOF;) {
        ca = fgetc(fa), cb = fgetc(fb);
        same = ca == cb;
    }
    CHECK_MSG(same, "pieces and one write give different bytes");
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);

    /* too few or too many values, or an abort: no file, no temporary file */
    char c[512];
    path_in_tmp(c, sizeof c, "short.npy");
    CHECK(npy_writer_open(&w, c, 3, shape, &err) == 0);
    CHECK(npy_writer_append(&w, v, 10, &err) == 0);
    CHECK(npy_writer_commit(&w, &err) != 0 && !file_exists(c));
    CHECK(npy_writer_open(&w, c, 3, shape, &err) == 0);
    CHECK(npy_writer_append(&w, v, N * 20 + 1, &err) != 0 && !file_exists(c));
    npy_writer_abort(&w); /* a second abort is harmless */
    CHECK(npy_writer_open(&w, c, 3, shape, &err) == 0);
    npy_writer_abort(&w);
    CHECK(!file_exists(c));
    CHECK_MSG(leftover_temporaries() == 0, "temporary files left in %s", tmpdir);
    CHECK(npy_writer_open(&w, "/nonexistent/dir/x.npy", 3, shape, &err) != 0);
    remove(a);
    remove(b);
    free(v);
}

/* ------------------------------------------------------------------ files */

/* Read a prediction file (n, 4) back; NULL unless it has that shape. */
static double *read_pred(const char *path, size_t n)
{
    npy_array a;
    ba_error err;
    if (npy_read(path, &a, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return NULL;
    }
    if (a.ndim != 2 || a.shape[0] != n || a.shape[1] != 4) {
        npy_free(&a);
        return NULL;
    }
    return a.data;
}

static int rows_match(const double *rows, const ba_prediction *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (rows[4 * i] != exp(p[i].mean) || rows[4 * i + 1] != p[i].mean ||
            rows[4 * i + 2] != sqrt(p[i].var_aleatoric) ||
            rows[4 * i + 3] != sqrt(p[i].var_epistemic))
            return 0;
    return 1;
}

static void test_predict_file(void)
{
    ba_model *m = test_model();
    enum { N = 1000 };
    double *mom = random_momenta(N, 7);
    char in[512], out[512];
    ba_error err;
    path_in_tmp(in, sizeof in, "momenta.npy");
    path_in_tmp(out, sizeof out, "pred.npy");
    size_t shape[3] = {N, 5, 4};
    CHECK(npy_write_f64(in, mom, 3, shape, &err) == 0);

    ba_predict_config cfg = config(BA_PREDICT_SAMPLE, 5, 64, 2);
    ba_prediction *ref = predict(m, mom, N, cfg);
    /* pieces of 300 events are rounded down to 256 = 4 batches: 4 pieces */
    size_t n = 0;
    CHECK_MSG(predict_file_chunked(m, in, out, &cfg, 300, &n, &err) == 0, "%s", err.msg);
    CHECK(n == N);
    double *rows = read_pred(out, N);
    CHECK_MSG(rows && ref && rows_match(rows, ref, N),
              "streaming in pieces differs from the prediction in memory");
    free(rows);
    /* one piece (the public function), and pieces smaller than a batch */
    CHECK(ba_predict_file(m, in, out, &cfg, NULL, &err) == 0);
    rows = read_pred(out, N);
    CHECK(rows && ref && rows_match(rows, ref, N));
    free(rows);
    CHECK(predict_file_chunked(m, in, out, &cfg, 10, NULL, &err) == 0);
    rows = read_pred(out, N);
    CHECK(rows && ref && rows_match(rows, ref, N));
    free(rows);

    /* the same events as rows (N, 20), and as rows with an amplitude column (N, 21),
     * which is ignored: the same predictions */
    {
        char flat[512];
        path_in_tmp(flat, sizeof flat, "rows.npy");
        double *with_amp = malloc((size_t)N * (NF + 1) * sizeof *with_amp);
        for (size_t i = 0; i < N; i++) {
            memcpy(with_amp + i * (NF + 1), mom + i * NF, NF * sizeof *mom);
            with_amp[i * (NF + 1) + NF] = 1.0 + (double)i;
        }
        size_t shape_rows[2] = {N, NF}, shape_amp[2] = {N, NF + 1};
        CHECK(npy_write_f64(flat, mom, 2, shape_rows, &err) == 0);
        CHECK_MSG(ba_predict_file(m, flat, out, &cfg, &n, &err) == 0, "%s", err.msg);
        rows = read_pred(out, N);
        CHECK_MSG(n == N && rows && ref && rows_match(rows, ref, N), "rows (N, 20) differ");
        free(rows);
        CHECK(npy_write_f64(flat, with_amp, 2, shape_amp, &err) == 0);
        CHECK_MSG(ba_predict_file(m, flat, out, &cfg, &n, &err) == 0, "%s", err.msg);
        rows = read_pred(out, N);
        CHECK_MSG(n == N && rows && ref && rows_match(rows, ref, N), "rows (N, 21) differ");
        free(rows);
        size_t shape_bad[2] = {N, NF - 1};
        CHECK(npy_write_f64(flat, mom, 2, shape_bad, &err) == 0);
        CHECK(ba_predict_file(m, flat, out, &cfg, &n, &err) != 0);
        CHECK_MSG(strstr(err.msg, "rows.npy") && strstr(err.msg, "19 columns"), "%s", err.msg);
        remove(flat);
        free(with_amp);
    }

#ifdef BAYESAMP_HAVE_HDF5
    /* the same rows as a float64 dataset in an HDF5 file: the same predictions */
    {
        char h5[512], spec[600];
        path_in_tmp(h5, sizeof h5, "events.h5");
        snprintf(spec, sizeof spec, "%s:events", h5);
        hid_t file = H5Fcreate(h5, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
        hsize_t dims[2] = {N, NF};
        hid_t space = H5Screate_simple(2, dims, NULL);
        hid_t dset = H5Dcreate2(file, "events", H5T_IEEE_F64LE, space, H5P_DEFAULT,
                                H5P_DEFAULT, H5P_DEFAULT);
        CHECK(file >= 0 && dset >= 0 &&
              H5Dwrite(dset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, mom) >= 0);
        H5Dclose(dset), H5Sclose(space), H5Fclose(file);
        CHECK_MSG(ba_predict_file(m, spec, out, &cfg, &n, &err) == 0, "%s", err.msg);
        rows = read_pred(out, N);
        CHECK_MSG(n == N && rows && ref && rows_match(rows, ref, N), "HDF5 rows differ");
        free(rows);
        snprintf(spec, sizeof spec, "%s:nothing", h5);
        CHECK(ba_predict_file(m, spec, out, &cfg, &n, &err) != 0);
        CHECK_MSG(strstr(err.msg, "nothing") && strstr(err.msg, "events.h5"), "%s", err.msg);
        remove(h5);
    }
#endif

    /* one event of shape (5, 4) */
    char one[512];
    path_in_tmp(one, sizeof one, "one.npy");
    size_t shape1[2] = {5, 4};
    CHECK(npy_write_f64(one, mom, 2, shape1, &err) == 0);
    CHECK_MSG(ba_predict_file(m, one, out, &cfg, &n, &err) == 0, "%s", err.msg);
    rows = read_pred(out, 1);
    CHECK(n == 1 && rows && ref && rows_match(rows, ref, 1));
    free(rows);
    remove(out);

    /* bad files: an error naming the problem, and no output */
    char bad[512];
    path_in_tmp(bad, sizeof bad, "bad.npy");
    size_t wrong[3] = {N, 4, 5};
    CHECK(npy_write_f64(bad, mom, 3, wrong, &err) == 0);
    CHECK(ba_predict_file(m, bad, out, &cfg, NULL, &err) != 0);
    CHECK_MSG(strstr(err.msg, "(N, 5, 4)") && strstr(err.msg, "(1000, 4, 5)"), "%s", err.msg);
    size_t empty[3] = {0, 5, 4};
    CHECK(npy_write_f64(bad, mom, 3, empty, &err) == 0);
    CHECK(ba_predict_file(m, bad, out, &cfg, NULL, &err) != 0);
    CHECK_MSG(strstr(err.msg, "no events") != NULL, "%s", err.msg);
    mom[777 * NF + 13] = NAN;
    CHECK(npy_write_f64(bad, mom, 3, shape, &err) == 0);
    CHECK(ba_predict_file(m, bad, out, &cfg, NULL, &err) != 0);
    CHECK_MSG(strstr(err.msg, "row 777") && strstr(err.msg, "bad.npy"), "%s", err.msg);
    CHECK(!file_exists(out));
    CHECK(ba_predict_file(m, "/nonexistent/m.npy", out, &cfg, NULL, &err) != 0);
    CHECK_MSG(strstr(err.msg, "/nonexistent/m.npy") != NULL, "%s", err.msg);
    CHECK(ba_predict_file(m, in, "/nonexistent/dir/pred.npy", &cfg, NULL, &err) != 0);
    CHECK_MSG(strstr(err.msg, "/nonexistent/dir/pred.npy") != NULL, "%s", err.msg);
    CHECK(!file_exists(out));
    CHECK_MSG(leftover_temporaries() == 0, "temporary files left in %s", tmpdir);
    remove(in), remove(one), remove(bad);
    free(ref);
    free(mom);
    ba_model_free(m);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "%s", "/tmp/bayesamp-predict-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 2;
    }
    test_moments();
    test_map_is_plain_network();
    test_sample_one_pass_is_one_draw();
    test_sample_statistics();
    test_threads_and_batches();
    test_pieces(BA_ACTIVATION_RELU, 16, 16);
    test_pieces(BA_ACTIVATION_SILU, 13, 7);
    test_bad_config();
    test_npy_streaming();
    test_predict_file();
    rmdir(tmpdir);
    return test_summary("test_predict");
}
