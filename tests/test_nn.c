/* The Bayesian layer, the network, the loss and Adam against the golden PyTorch values of
 * ../shared/fixtures and against central finite differences.
 * BAYESAMP_TEST_FLOAT64: also built against the float64 library (tests/CMakeLists.txt). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common/rng.h"
#include "fixtures.h"
#include "nn/activation.h"
#include "nn/adam.h"
#include "nn/layerprod.h"
#include "nn/loss.h"
#include "nn/network.h"
#include "nn/rowwise.h"
#include "nn/schedule.h"
#include "nn/real.h"

#ifdef BA_REAL_DOUBLE
static const double RTOL = 1e-10;  /* float64 arithmetic against float64 references */
#else
static const double RTOL = 2e-5;   /* float32 arithmetic */
#endif

static ba_real *to_real(const double *x, size_t n)
{
    ba_real *r = malloc(n * sizeof *r);
    for (size_t i = 0; i < n; i++)
        r[i] = (ba_real)x[i];
    return r;
}

static double *to_double(const ba_real *x, size_t n)
{
    double *d = malloc(n * sizeof *d);
    for (size_t i = 0; i < n; i++)
        d[i] = x[i];
    return d;
}

static int close_real(const ba_real *got, const double *want, size_t n, double rtol,
                      const char *what)
{
    double *g = to_double(got, n);
    int ok = arrays_close(g, want, n, rtol, what);
    free(g);
    return ok;
}

/* (a) one VBLinear(5, 3), batch 4, objective L = sum(out * G) */
static void test_single_layer(void)
{
    enum { B = 4, IN = 5, OUT = 3, NW = IN * OUT };
    ba_real *x = to_real(fixture("vblinear_x", B * IN), B * IN);
    ba_real *mu = to_real(fixture("vblinear_mu_w", NW), NW);
    ba_real *ls = to_real(fixture("vblinear_logsig2_w", NW), NW);
    ba_real *bias = to_real(fixture("vblinear_bias", OUT), OUT);
    ba_real *eps = to_real(fixture("vblinear_eps", NW), NW);
    ba_real *G = to_real(fixture("vblinear_G", B * OUT), B * OUT);
    ba_real sigma[NW], var[NW], weight[NW], out[B * OUT], dx[B * IN], dmu[NW], dls[NW], db[OUT];

    double kl_drawn = vblinear_sample_weights(mu, ls, eps, sigma, var, weight, NW, 1.0);
    CHECK(close_real(weight, fixture("vblinear_weight", NW), NW, RTOL, "weight"));
    /* the layer works on feature-major blocks: torch's (rows, features) transposed */
    ba_real x_fm[IN * B], out_fm[OUT * B], G_fm[OUT * B], dx_fm[IN * B];
    layerprod_transpose(x_fm, x, B, IN);
    CHECK(x_fm[2 * B + 1] == x[1 * IN + 2]); /* (feature, row) holds x[row][feature] */
    layerprod_kernels kernels = {0};
    vblinear_forward(out_fm, x_fm, weight, bias, B, IN, OUT, &kernels);
    layerprod_transpose(out, out_fm, OUT, B);
    CHECK(close_real(out, fixture("vblinear_out", B * OUT), B * OUT, RTOL, "out"));
    layerprod_transpose(G_fm, G, B, OUT);
    vblinear_backward(dx_fm, dmu, dls, db, G_fm, x, weight, eps, sigma, B, IN, OUT, &kernels);
    layerprod_transpose(dx, dx_fm, IN, B);
    CHECK(close_real(dx, fixture("vblinear_grad_x", B * IN), B * IN, RTOL, "grad_x"));
    /* run as test_nn_no_jit (tests/CMakeLists.txt): the OpenBLAS fallback indeed */
    const char *target = getenv("LIBXSMM_TARGET");
    if (target && !strcmp(target, "generic"))
        CHECK_MSG(!kernels.forward && !kernels.weight_grad && !kernels.input_grad,
                  "libxsmm made kernels under LIBXSMM_TARGET=generic: the fallback went "
                  "untested");
    CHECK(close_real(dmu, fixture("vblinear_grad_mu_w", NW), NW, RTOL, "grad_mu_w"));
    CHECK(close_real(dls, fixture("vblinear_grad_logsig2_w", NW), NW, RTOL, "grad_logsig2_w"));
    CHECK(close_real(db, fixture("vblinear_grad_bias", OUT), OUT, RTOL, "grad_bias"));

    double kl = vblinear_kl(mu, ls, var, NW, 1.0);
    CHECK_CLOSE(kl, fixture("vblinear_kl", 1)[0], RTOL, 0);
    CHECK_CLOSE(kl_drawn, kl, 1e-12, 0);
    ba_real kmu[NW] = {0}, kls[NW] = {0};
    vblinear_kl_grad_mu_add(kmu, mu, NW, 1.0, 1.0);
    vblinear_kl_grad_logsig2_add(kls, var, NW, 1.0, 1.0);
    CHECK(close_real(kmu, fixture("vblinear_kl_grad_mu_w", NW), NW, RTOL, "kl_grad_mu_w"));
    CHECK(close_real(kls, fixture("vblinear_kl_grad_logsig2_w", NW), NW, RTOL,
                     "kl_grad_logsig2_w"));
    free(x), free(mu), free(ls), free(bias), free(eps), free(G);
}

/* (b) the tutorial's network with width 7, batch 6 */
enum { NB = 6, NH = 7 };
static const int layer_index[4] = {0, 2, 4, 6}; /* PyTorch's model.K */

static ba_model *fixture_model(net_noise *nz, ba_sampler sampler, ba_activation activation)
{
    ba_arch arch = {.n_inputs = 20, .n_hidden = 3, .hidden = {NH, NH, NH}, .prior_sigma = 1,
                    .activation = activation};
    ba_error err;
    ba_model *m = model_alloc(&arch, &err);
    CHECK(m != NULL);
    CHECK(net_noise_alloc(nz, m, sampler, &err) == 0);
    char name[64];
    for (int l = 0; l < m->n_layers; l++) {
        const layer_layout *L = &m->layers[l];
        const char *parts[3] = {"mu_w", "logsig2_w", "bias"};
        size_t offsets[3] = {L->mu_w, L->logsig2_w, L->bias};
        size_t counts[3] = {L->n_weights, L->n_weights, (size_t)L->n_out};
        for (int k = 0; k < 3; k++) {
            snprintf(name, sizeof name, "net_model_%d_%s", layer_index[l], parts[k]);
            double *v = fixture(name, counts[k]);
            for (size_t i = 0; i < counts[k]; i++)
                m->params[offsets[k] + i] = (ba_real)v[i];
        }
        snprintf(name, sizeof name, "net_model_%d_eps", layer_index[l]);
        double *e = fixture(name, L->n_weights);
        for (size_t i = 0; i < L->n_weights; i++)
            nz->eps[L->mu_w + i] = (ba_real)e[i];
    }
    return m;
}

/* Total loss L = nll + KL / n_train for the block's rows; gradients if asked. */
static double net_loss(ba_model *m, net_noise *nz, net_block *b, const double *x,
                       const ba_real *y, int rows, double n_train, int backward,
                       noise_source *src)
{
    net_prepare_noise(nz, m, BA_NOISE_KEEP, src);
    for (int i = 0; i < rows * m->arch.n_inputs; i++)
        b->act[0][i] = (ba_real)x[i];
    net_forward(m, nz, b, rows, src, 0);
    double nll = gaussian_nll(b->act[m->n_layers], y, NULL, rows, rows, backward ? b->dact[0] : NULL, 0, 0) / rows;
    double kl = net_kl(m) / n_train;
    if (backward) {
        net_backward(m, nz, b, rows, 1, 0);
        net_kl_grad_add(nz, m, b->grad, 0, m->n_params, 1.0 / n_train);
    }
    return nll + kl;
}

static void test_network(void)
{
    net_noise nz;
    ba_model *m = fixture_model(&nz, BA_SAMPLER_WEIGHT, BA_ACTIVATION_RELU);
    net_block b;
    ba_error err;
    CHECK(net_block_alloc(&b, m, NB, &err) == 0);
    double *x = fixture("net_x", NB * 20);
    ba_real *y = to_real(fixture("net_y", NB), NB);
    double n_train = fixture("net_training_size", 1)[0];
    noise_source src = {0};

    double loss = net_loss(m, &nz, &b, x, y, NB, n_train, 1, &src);
    char name[64];
    for (int l = 0; l < 3; l++) {
        snprintf(name, sizeof name, "net_model_%d_pre", layer_index[l]);
        double *pre = fixture(name, NB * NH), pre_fm[NH * NB];
        /* we keep the activations after ReLU, feature-major (net_block) */
        for (int r = 0; r < NB; r++)
            for (int j = 0; j < NH; j++)
                pre_fm[j * NB + r] = pre[r * NH + j] > 0 ? pre[r * NH + j] : 0;
        CHECK(close_real(b.act[l + 1], pre_fm, NB * NH, RTOL, name));
    }
    CHECK(close_real(b.act[m->n_layers], fixture("net_out", NB * 2), NB * 2, RTOL, "out"));
    CHECK_CLOSE(loss, fixture("net_loss", 1)[0], RTOL, 0);
    CHECK_CLOSE(net_kl(m) / n_train, fixture("net_kl", 1)[0], RTOL, 0);
    CHECK_CLOSE(net_prepare_noise(&nz, m, BA_NOISE_KEEP, &src) / n_train, fixture("net_kl", 1)[0],
                RTOL, 0);
    for (int l = 0; l < m->n_layers; l++) {
        const layer_layout *L = &m->layers[l];
        snprintf(name, sizeof name, "net_grad_model_%d_mu_w", layer_index[l]);
        CHECK(close_real(b.grad + L->mu_w, fixture(name, L->n_weights), L->n_weights, RTOL, name));
        snprintf(name, sizeof name, "net_grad_model_%d_logsig2_w", layer_index[l]);
        CHECK(close_real(b.grad + L->logsig2_w, fixture(name, L->n_weights), L->n_weights, RTOL,
                         name));
        snprintf(name, sizeof name, "net_grad_model_%d_bias", layer_index[l]);
        CHECK(close_real(b.grad + L->bias, fixture(name, L->n_out), L->n_out, RTOL, name));
    }
    CHECK(close_real(b.grad_input, fixture("net_grad_x", NB * 20), NB * 20, RTOL, "grad_x"));

    /* The log-variance gradients left out by the backward pass and formed afterwards
     * from the mean's (what training does) are the same numbers for a single block. */
    ba_real *direct = malloc(m->n_params * sizeof *direct);
    CHECK(direct != NULL);
    for (int deferred = 0; deferred < 2; deferred++) {
        for (int i = 0; i < NB * 20; i++)
            b.act[0][i] = (ba_real)x[i];
        net_forward(m, &nz, &b, NB, &src, 0);
        gaussian_nll(b.act[m->n_layers], y, NULL, NB, NB, b.dact[0], 0, 0);
        memset(b.grad, 0, m->n_params * sizeof *b.grad);
        net_backward(m, &nz, &b, NB, 0, deferred);
        if (!deferred) {
            memcpy(direct, b.grad, m->n_params * sizeof *direct);
            continue;
        }
        const layer_layout *L0 = &m->layers[0];
        CHECK(b.grad[L0->logsig2_w] == 0); /* left out indeed */
        for (int l = 0; l < m->n_layers; l++)
            net_logsig2_grad(&nz, &m->layers[l], b.grad, 0, m->layers[l].n_weights);
        CHECK_MSG(memcmp(direct, b.grad, m->n_params * sizeof *direct) == 0,
                  "deferred log-variance gradients differ from the backward pass's");
    }
    free(direct);
    free(y);
    net_block_free(&b);
    net_noise_free(&nz);
    ba_model_free(m);
}

#ifdef BA_REAL_DOUBLE
/* Central finite differences of the total loss, for every parameter and input, under
 * both samplers (the local sampler's noise z is a fixed function of the noise source,
 * so the loss is a deterministic function of the parameters) and every activation. */
static void test_finite_differences(ba_sampler sampler, ba_activation activation)
{
    net_noise nz;
    ba_model *m = fixture_model(&nz, sampler, activation);
    net_block b;
    ba_error err;
    CHECK(net_block_alloc(&b, m, NB, &err) == 0);
    double *x = fixture("net_x", NB * 20);
    ba_real *y = to_real(fixture("net_y", NB), NB);
    noise_source src = {.seed = 7, .purpose = STREAM_TRAIN_NOISE};
    net_loss(m, &nz, &b, x, y, NB, 1000, 1, &src);
    double *grad = to_double(b.grad, m->n_params);
    double *grad_x = to_double(b.grad_input, NB * 20);
    /* The five-point stencil, error O(h^4): the smooth activations put enough curvature
     * into the loss that the three-point one (O(h^2)) misses by 2e-6. */
    const double h = 1e-5, steps[4] = {-2 * h, -h, h, 2 * h}, weights[4] = {1, -8, 8, -1};
    int bad = 0;
    for (size_t i = 0; i < m->n_params; i++) {
        double saved = m->params[i], fd = 0;
        for (int k = 0; k < 4; k++) {
            m->params[i] = saved + steps[k];
            fd += weights[k] * net_loss(m, &nz, &b, x, y, NB, 1000, 0, &src) / (12 * h);
        }
        m->params[i] = saved;
        if (!check_close(grad[i], fd, 1e-6, 1e-8)) {
            if (bad++ < 5)
                fprintf(stderr, "  sampler %d activation %d param %zu: analytic %.12g, finite "
                        "difference %.12g\n", sampler, activation, i, grad[i], fd);
        }
    }
    for (int i = 0; i < NB * 20; i++) {
        double saved = x[i], fd = 0;
        for (int k = 0; k < 4; k++) {
            x[i] = saved + steps[k];
            fd += weights[k] * net_loss(m, &nz, &b, x, y, NB, 1000, 0, &src) / (12 * h);
        }
        x[i] = saved;
        if (!check_close(grad_x[i], fd, 1e-6, 1e-8))
            bad++;
    }
    CHECK_MSG(bad == 0, "sampler %d, activation %d: %d gradients disagree with finite "
              "differences", sampler, activation, bad);
    free(grad), free(grad_x), free(y);
    net_block_free(&b);
    net_noise_free(&nz);
    ba_model_free(m);
}
#endif

/* The activations' values at a few points against their definitions in double. */
/* The outputs-only forward pass (net_forward_outputs: libxsmm's kernels for blocks of
 * NET_OUTPUT_ROWS rows) agrees with the full one (libxsmm's kernels for the block's row
 * count) to rounding, for every activation, in MAP and sampled modes, and for row counts
 * around the block size. Not bit for bit: for other row counts libxsmm's double kernels
 * sum in another order. */
static void test_forward_outputs(void)
{
    enum { ROWS = 77 };
    ba_activation acts[4] = {BA_ACTIVATION_RELU, BA_ACTIVATION_SILU, BA_ACTIVATION_GELU,
                             BA_ACTIVATION_TANH};
    ba_arch arch = {.n_inputs = 20, .n_hidden = 3, .hidden = {50, 37, 50}, .prior_sigma = 1};
    ba_error err;
    int bad = 0;
    for (int a = 0; a < 4; a++) {
        arch.activation = acts[a];
        ba_model *m = ba_model_create(&arch, 3 + (uint64_t)a, &err);
        net_noise nz;
        net_block full, fast;
        CHECK(m && net_noise_alloc(&nz, m, BA_SAMPLER_WEIGHT, &err) == 0 &&
              net_block_alloc(&full, m, ROWS, &err) == 0 &&
              net_block_alloc(&fast, m, ROWS, &err) == 0);
        noise_source src = {.seed = 5, .purpose = STREAM_TRAIN_NOISE, .epoch = 1, .batch = 0};
        ba_rng r;
        ba_rng_init(&r, 11, (uint64_t)a);
        for (int i = 0; i < ROWS * 20; i++)
            full.act[0][i] = fast.act[0][i] = (ba_real)(4 * ba_rng_uniform(&r) - 2);
        ba_noise_mode modes[2] = {BA_NOISE_MAP, BA_NOISE_RESAMPLE};
        int counts[4] = {1, 31, 32, ROWS};
        for (int k = 0; k < 2; k++) {
            net_prepare_noise(&nz, m, modes[k], &src);
            for (int c = 0; c < 4; c++) {
                net_forward(m, &nz, &full, counts[c], &src, 0);
                net_forward_outputs(m, &nz, &fast, counts[c], &src, 0);
                for (int i = 0; i < counts[c] * 2; i++) {
                    double a = full.act[m->n_layers][i], b = fast.act[m->n_layers][i];
                    bad += !(fabs(a - b) <= RTOL * (1 + fabs(b)));
                }
            }
        }
        net_block_free(&full), net_block_free(&fast);
        net_noise_free(&nz);
        ba_model_free(m);
    }
    CHECK_MSG(bad == 0, "%d outputs of the outputs-only passes differ from the full forward "
              "pass's", bad);
}

/* net_forward_outputs' promise (nn/network.h): a row's output does not depend on the
 * other rows, bit for bit (rows predicted alone, in a block of 77 and in reverse order);
 * and in an optimised build with FMA, where rowwise.c fuses each multiply-add as
 * libxsmm's kernels do, it is what nn/rowwise.c's products give, which the pass falls
 * back to where libxsmm makes no kernel (this test also runs as test_nn_no_jit). In a
 * build without (-O0, or no FMA) rowwise.c rounds every product apart. */
static void test_forward_outputs_rows(void)
{
    enum { ROWS = 77, IN = 20 };
    ba_arch arch = {.n_inputs = IN, .n_hidden = 3, .hidden = {50, 37, 50}, .prior_sigma = 1};
    ba_activation acts[2] = {BA_ACTIVATION_RELU, BA_ACTIVATION_SILU};
    ba_error err;
    int alone = 0, reversed = 0, rowwise = 0;
    for (int a = 0; a < 2; a++) {
        arch.activation = acts[a];
        ba_model *m = ba_model_create(&arch, 7 + (uint64_t)a, &err);
        net_noise nz;
        net_block all, one;
        CHECK(m && net_noise_alloc(&nz, m, BA_SAMPLER_WEIGHT, &err) == 0 &&
              net_block_alloc(&all, m, ROWS, &err) == 0 &&
              net_block_alloc(&one, m, ROWS, &err) == 0);
        ba_rng r;
        ba_rng_init(&r, 13, (uint64_t)a);
        for (int l = 0; l < m->n_layers; l++) /* biases too (they start at 0) */
            for (int j = 0; j < m->layers[l].n_out; j++)
                m->params[m->layers[l].bias + (size_t)j] = (ba_real)(ba_rng_uniform(&r) - 0.5);
        noise_source src = {.seed = 3, .purpose = STREAM_TRAIN_NOISE, .epoch = 1, .batch = 2};
        net_prepare_noise(&nz, m, BA_NOISE_RESAMPLE, &src);
        ba_real x[ROWS * IN], want[ROWS * 2];
        for (int i = 0; i < ROWS * IN; i++)
            x[i] = (ba_real)(4 * ba_rng_uniform(&r) - 2);
        memcpy(all.act[0], x, sizeof x);
        net_forward_outputs(m, &nz, &all, ROWS, NULL, 0);
        memcpy(want, all.act[m->n_layers], sizeof want);
        for (int i = 0; i < ROWS; i++) { /* alone */
            memcpy(one.act[0], x + i * IN, IN * sizeof *x);
            net_forward_outputs(m, &nz, &one, 1, NULL, 0);
            alone += memcmp(one.act[m->n_layers], want + 2 * i, 2 * sizeof *want) != 0;
        }
        for (int i = 0; i < ROWS; i++) /* in reverse order */
            memcpy(all.act[0] + i * IN, x + (ROWS - 1 - i) * IN, IN * sizeof *x);
        net_forward_outputs(m, &nz, &all, ROWS, NULL, 0);
        for (int i = 0; i < ROWS; i++)
            reversed += memcmp(all.act[m->n_layers] + 2 * (ROWS - 1 - i), want + 2 * i,
                               2 * sizeof *want) != 0;
        /* rowwise.c's products layer by layer, ROWWISE_ROWS rows at a time */
        for (int r0 = 0; r0 < ROWS; r0 += ROWWISE_ROWS) {
            ba_real in[50 * ROWWISE_ROWS], out[50 * ROWWISE_ROWS];
            for (int k = 0; k < IN; k++)
                for (int i = 0; i < ROWWISE_ROWS; i++)
                    in[k * ROWWISE_ROWS + i] = r0 + i < ROWS ? x[(r0 + i) * IN + k] : 0;
            for (int l = 0; l < m->n_layers; l++) {
                const layer_layout *L = &m->layers[l];
                rowwise_affine_block(out, in, ROWWISE_ROWS, nz.weight + L->mu_w,
                                     m->params + L->bias, L->n_in, L->n_out);
                if (l + 1 < m->n_layers)
                    activation_forward(arch.activation, out, out,
                                       (size_t)L->n_out * ROWWISE_ROWS);
                memcpy(in, out, (size_t)L->n_out * ROWWISE_ROWS * sizeof *in);
            }
            for (int i = 0; i < ROWWISE_ROWS && r0 + i < ROWS; i++)
                for (int j = 0; j < 2; j++)
                    rowwise += memcmp(&in[j * ROWWISE_ROWS + i], &want[2 * (r0 + i) + j],
                                      sizeof *want) != 0;
        }
        net_block_free(&all), net_block_free(&one);
        net_noise_free(&nz);
        ba_model_free(m);
    }
    CHECK_MSG(alone == 0, "%d rows predicted alone differ from the same rows in a block",
              alone);
    CHECK_MSG(reversed == 0, "%d rows differ when the block's rows are reversed", reversed);
#if defined(__FMA__) && defined(__OPTIMIZE__)
    CHECK_MSG(rowwise == 0, "%d outputs differ from rowwise.c's products'", rowwise);
#else
    (void)rowwise;
#endif
}

static void test_activation_values(void)
{
    const double xs[5] = {-3, -0.5, 0, 0.7, 4};
    for (int i = 0; i < 5; i++) {
        double x = xs[i];
        double want[4] = {x > 0 ? x : 0, x / (1 + exp(-x)), 0.5 * x * (1 + erf(x / sqrt(2.0))),
                          tanh(x)};
        for (int a = 0; a < 4; a++) {
            ba_real in = (ba_real)x, out;
            activation_forward((ba_activation)a, &in, &out, 1);
            CHECK_CLOSE(out, want[a], 1e-6, 1e-7);
        }
    }
}

/* The learning-rate schedules at their defining points. */
static void test_schedules(void)
{
    const long total = 1000;
    ba_lr_config c = {BA_LR_CONSTANT, 2e-3, 1e-3, 0};
    CHECK(lr_at_step(&c, 0, total) == 2e-3 && lr_at_step(&c, 999, total) == 2e-3);
    c.warmup_steps = 9; /* linear ramp: step k has (k + 1) / 10 of the rate */
    CHECK_CLOSE(lr_at_step(&c, 0, total), 2e-4, 1e-12, 0);
    CHECK_CLOSE(lr_at_step(&c, 4, total), 1e-3, 1e-12, 0);
    CHECK(lr_at_step(&c, 9, total) == 2e-3);
    c.schedule = BA_LR_COSINE;
    CHECK_CLOSE(lr_at_step(&c, 9, total), 2e-3, 1e-12, 0);      /* end of warm-up: peak */
    CHECK_CLOSE(lr_at_step(&c, 999, total), 2e-6, 1e-9, 0);     /* last step: final */
    /* half way through the decay: the mean of peak and final */
    CHECK_CLOSE(lr_at_step(&c, 9 + 495, total), 0.5 * (2e-3 + 2e-6), 1e-9, 0);
    c.schedule = BA_LR_ONECYCLE;
    CHECK_CLOSE(lr_at_step(&c, 0, total), 2e-3 / 25, 1e-12, 0);  /* starts at lr / 25 */
    CHECK_CLOSE(lr_at_step(&c, 9, total), 2e-3, 1e-12, 0);
    CHECK_CLOSE(lr_at_step(&c, 999, total), 2e-6, 1e-9, 0);
    int monotone = 1;
    for (long s = 10; s < total; s++)
        monotone &= lr_at_step(&c, s, total) <= lr_at_step(&c, s - 1, total);
    CHECK(monotone);
    ba_lr_schedule parsed;
    CHECK(lr_schedule_parse("cosine", &parsed) == 0 && parsed == BA_LR_COSINE);
    CHECK(lr_schedule_parse("linear", &parsed) != 0);
}

/* (c) three Adam steps */
static void test_adam(void)
{
    enum { N = 10 };
    ba_real *p = to_real(fixture("adam_param_0", N), N);
    ba_real m[N] = {0}, v[N] = {0};
    char name[64];
    for (int t = 1; t <= 3; t++) {
        snprintf(name, sizeof name, "adam_grad_%d", t);
        ba_real *g = to_real(fixture(name, N), N);
        adam_step s = adam_prepare(1e-3, t);
        adam_update(&s, p, g, 1, m, v, N);
        snprintf(name, sizeof name, "adam_param_%d", t);
        CHECK(close_real(p, fixture(name, N), N, RTOL, name));
        free(g);
    }
    CHECK(close_real(m, fixture("adam_exp_avg_3", N), N, RTOL, "exp_avg"));
    CHECK(close_real(v, fixture("adam_exp_avg_sq_3", N), N, RTOL, "exp_avg_sq"));
    /* The parameter with a gradient of 0 in every step stays put exactly. */
    double *p0 = fixture("adam_param_0", N);
    CHECK(p[4] == (ba_real)p0[4]);
    free(p);
}

/* (d) the Gaussian NLL with extreme log-variances */
static void test_nll(void)
{
    enum { N = 8 };
    ba_real *out = to_real(fixture("nlg_outputs", 2 * N), 2 * N);
    ba_real *y = to_real(fixture("nlg_targets", N), N);
    ba_real grad[2 * N];
#ifdef BA_REAL_DOUBLE
    double *terms = fixture("nlg_terms", N), want = fixture("nlg_loss", 1)[0];
    double rtol = RTOL;
#else
    double *terms = fixture("nlg_terms_float32", N), want = fixture("nlg_loss_float32", 1)[0];
    double rtol = 1e-4; /* the README's float32 tolerance: term 1 is a tiny difference */
#endif
    for (int i = 0; i < N; i++)
        CHECK_CLOSE(gaussian_nll(out + 2 * i, y + i, NULL, 1, 1, NULL, 0, 0), terms[i], rtol, 0);
    CHECK_CLOSE(gaussian_nll(out, y, NULL, N, N, grad, 0, 0) / N, want, rtol, 0);
#ifdef BA_REAL_DOUBLE
    double *want_grad = fixture("nlg_grad_outputs", 2 * N);
#else
    /* The fixture's gradient is float64; in float32 the rounding of the inputs alone
     * moves row 1 (a 1e-7 residual) by 20 %, so compare with the README's formula
     * evaluated in float64 on the float32-rounded inputs. */
    double want_grad[2 * N];
    for (int i = 0; i < N; i++) {
        double r = (double)out[2 * i] - (double)y[i], var = exp((double)out[2 * i + 1]);
        want_grad[2 * i] = r / (N * var);
        want_grad[2 * i + 1] = (1 - r * r / var) / (2 * N);
    }
    CHECK(check_close(want_grad[2], fixture("nlg_grad_outputs", 2 * N)[2], 0.5, 0) &&
          !check_close(want_grad[2], fixture("nlg_grad_outputs", 2 * N)[2], 1e-3, 0));
#endif
    for (int i = 0; i < 2 * N; i++)
        CHECK_CLOSE(grad[i], want_grad[i], rtol, 1e-30);

    /* With a clamp of 20, rows 0-4 (logsig2 = +-30) use +-20 and get no logsig2
     * gradient; row 5 (logsig2 = 0) is untouched. */
    ba_real cgrad[2 * N];
    gaussian_nll(out, y, NULL, N, N, cgrad, 20, 0);
    CHECK(cgrad[1] == 0 && cgrad[7] == 0 && cgrad[9] == 0 && cgrad[11] != 0);
    double clamped = gaussian_nll(out + 4, y + 2, NULL, 1, 1, NULL, 20, 0); /* row 2: residual 1 */
    ba_real row2[2] = {out[4], -20};
    CHECK_CLOSE(clamped, gaussian_nll(row2, y + 2, NULL, 1, 1, NULL, 0, 0), 1e-6, 0);
    free(out), free(y);
}

/* (e) the logarithmic tail beyond a pull of c, and per-row weights: the terms against
 * their formulas written out here, continuity at |z| = c, and the gradient against
 * central differences of the loss itself (in float64; float32 with a looser step). */
static void test_nll_tail_and_weights(void)
{
    enum { N = 6 };
    const double c = 3;
    /* (mu, logsig2): pulls 0.5, -2.9, 3.1, -50, 1e4 and exactly 3 */
    ba_real out[2 * N], y[N] = {0.1, -0.2, 0.3, 1.0, -0.5, 0.25};
    const double logsig2[N] = {-2, -4, -6, -8, -14, -1};
    const double pull[N] = {0.5, -2.9, 3.1, -50, 1e4, 3};
    ba_real weight[N] = {1, 0.5, 2, 1, 3, 1};
    for (int i = 0; i < N; i++) {
        out[2 * i + 1] = (ba_real)logsig2[i];
        out[2 * i] = y[i] + (ba_real)(pull[i] * exp(logsig2[i] / 2));
    }
    double sum = 0;
    for (int i = 0; i < N; i++) {
        double r = (double)out[2 * i] - (double)y[i], z2 = r * r / exp((double)out[2 * i + 1]);
        double want = (z2 <= c * c ? z2 / 2 : c * c / 2 * (1 + log(z2 / (c * c)))) +
                      (double)out[2 * i + 1] / 2;
        double got = gaussian_nll(out + 2 * i, y + i, NULL, 1, 1, NULL, 0, c);
        CHECK_CLOSE(got, want, 1e-5, 1e-6);
        /* inside the core it is the tutorial's Gaussian term */
        if (fabs(pull[i]) < c)
            CHECK(got == gaussian_nll(out + 2 * i, y + i, NULL, 1, 1, NULL, 0, 0));
        else if (fabs(pull[i]) > c + 0.01) /* beyond, always below it */
            CHECK(got < gaussian_nll(out + 2 * i, y + i, NULL, 1, 1, NULL, 0, 0));
        sum += (double)weight[i] * want;
    }
    /* a pull of 1e4 costs tens, not the Gaussian's 5e7 */
    CHECK(gaussian_nll(out + 8, y + 4, NULL, 1, 1, NULL, 0, c) < 100);
    ba_real grad[2 * N];
    CHECK_CLOSE(gaussian_nll(out, y, weight, N, N, grad, 0, c), sum, 1e-5, 1e-6);
    /* continuity of the term and its slope at |z| = c: just inside against just outside */
    for (int side = -1; side <= 1; side += 2) {
        ba_real o_in[2] = {(ba_real)(3 * (1 - 1e-4)), 0}, o_out[2] = {(ba_real)(3 * (1 + 1e-4)), 0};
        ba_real zero = 0, g_in[2], g_out[2];
        o_in[0] *= (ba_real)side, o_out[0] *= (ba_real)side;
        double a = gaussian_nll(o_in, &zero, NULL, 1, 1, g_in, 0, c);
        double b = gaussian_nll(o_out, &zero, NULL, 1, 1, g_out, 0, c);
        CHECK_CLOSE(a, b, 2e-3, 0);
        CHECK_CLOSE(g_in[0], g_out[0], 2e-3, 0);
        CHECK_CLOSE(g_in[1], g_out[1], 2e-3, 0);
    }
    /* the gradient against central differences of the weighted mean loss */
#ifdef BA_REAL_DOUBLE
    const double h = 1e-6, rtol = 1e-6;
#else
    const double h = 1e-2, rtol = 2e-2;
#endif
    for (int k = 0; k < 2 * N; k++) {
        if (k == 10 || k == 11)
            continue; /* row 5 sits exactly on |z| = c, where the second derivative jumps */
        ba_real up[2 * N], dn[2 * N];
        memcpy(up, out, sizeof up), memcpy(dn, out, sizeof dn);
        double step = h * (fabs((double)out[k]) > 1 ? fabs((double)out[k]) : 1);
        if (k % 2 == 0) /* a step in mu relative to the row's sigma or residual */
            step = h * fmax(exp((double)out[k + 1] / 2), fabs((double)out[k] - (double)y[k / 2]));
        up[k] += (ba_real)step, dn[k] -= (ba_real)step;
        double fd = (gaussian_nll(up, y, weight, N, N, NULL, 0, c) -
                     gaussian_nll(dn, y, weight, N, N, NULL, 0, c)) /
                    (((double)up[k] - (double)dn[k]) * N);
        CHECK_MSG(check_close(grad[k], fd, rtol, 1e-9 * fabs(grad[k - k % 2])),
                  "d/d out[%d]: %.10g vs finite difference %.10g", k, (double)grad[k], fd);
    }
}

/* layerprod_forward_relu's promise (nn/layerprod.h): with the bias and ReLU fused into
 * the product it gives what libxsmm's product followed by activation_forward_bias gives,
 * bit for bit (or, where libxsmm makes no kernel, rowwise.c's products as
 * net_forward_loaded's fallback), for every width (each remainder of its blocks of six
 * outputs) and for inputs and sums of both signs. Where the build has no fused kernel
 * it says so (0). */
static void test_fused_relu(void)
{
    enum { R = LAYERPROD_FUSED_ROWS, MAXW = 53 };
    int n_ins[4] = {1, 3, 20, 50}, fused = 0, differ = 0;
    ba_real *x = aligned_alloc(64, sizeof(ba_real) * MAXW * R);
    ba_real *w = malloc(sizeof(ba_real) * MAXW * MAXW), bias[MAXW];
    ba_real *want = aligned_alloc(64, sizeof(ba_real) * MAXW * R);
    ba_real *got = aligned_alloc(64, sizeof(ba_real) * MAXW * R);
    CHECK(x && w && want && got);
    ba_rng r;
    ba_rng_init(&r, 17, 1);
    for (int i = 0; i < MAXW * R; i++)
        x[i] = (ba_real)(4 * ba_rng_uniform(&r) - 2);
    for (int i = 0; i < MAXW * MAXW; i++)
        w[i] = (ba_real)(ba_rng_uniform(&r) - 0.5);
    for (int j = 0; j < MAXW; j++)
        bias[j] = (ba_real)(ba_rng_uniform(&r) - 0.5);
    for (int a = 0; a < 4; a++)
        for (int n_out = 1; n_out <= MAXW; n_out += n_out < 13 ? 1 : 40) {
            int n_in = n_ins[a];
            layerprod_kernels k = {0};
            layerprod_prepare(&k, R, n_in, n_out);
            if (k.forward) /* libxsmm's kernel, or where it makes none rowwise.c's */
                layerprod_forward(&k, want, x, w);
            else /* products, as net_forward_loaded's fallback */
                for (int h = 0; h < R; h += ROWWISE_ROWS)
                    rowwise_affine_block(want + h, x + h, R, w, NULL, n_in, n_out);
            activation_forward_bias(BA_ACTIVATION_RELU, want, bias, n_out, R);
            if (!layerprod_forward_relu(got, x, w, bias, n_in, n_out))
                continue;
            fused++;
            differ += memcmp(got, want, sizeof *got * (size_t)n_out * R) != 0;
        }
#if defined(__AVX512F__) && !defined(BA_REAL_DOUBLE)
    CHECK_MSG(fused == 4 * 14, "the fused kernel ran %d of 56 shapes", fused);
#endif
    CHECK_MSG(differ == 0, "%d of %d shapes differ from the product followed by the ReLU",
              differ, fused);
    free(x), free(w), free(want), free(got);
}

int main(void)
{
    test_fused_relu();
    test_forward_outputs();
    test_forward_outputs_rows();
    test_single_layer();
    test_network();
#ifdef BA_REAL_DOUBLE
    for (int a = BA_ACTIVATION_RELU; a <= BA_ACTIVATION_TANH; a++) {
        test_finite_differences(BA_SAMPLER_WEIGHT, (ba_activation)a);
        test_finite_differences(BA_SAMPLER_LOCAL, (ba_activation)a);
    }
#endif
    test_activation_values();
    test_schedules();
    test_adam();
    test_nll();
    test_nll_tail_and_weights();
    fixtures_free();
#ifdef BA_REAL_DOUBLE
    return test_summary("test_nn_f64");
#else
    return test_summary("test_nn");
#endif
}
