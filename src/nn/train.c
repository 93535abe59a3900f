/* Training: minibatch Adam on the tutorial's loss, Gaussian NLL (batch mean) + KL / N,
 * with an optional learning-rate schedule, gradient clipping and log-variance clamp, and
 * a guard that rolls a diverging epoch back.
 *
 * Parallelism and reproducibility. A batch is cut into blocks of a fixed number of rows
 * that depends on the batch size only. Threads take blocks; each block has its own
 * gradient buffer; the buffers are then summed in block order, task by task (fixed
 * ranges of the weights), and each task's Adam update and next noise follow at once.
 * Validation batches run whole on separate threads. All random numbers come from Philox
 * streams named by (epoch, batch, layer). So the same seed gives the same model bit for
 * bit with any number of threads.
 *
 * Several processes (MPI ranks, common/parallel.h) split each batch the same way: rank r
 * takes a contiguous run of the batch's blocks (par_range), and the blocks' gradients
 * are summed in block order across the ranks by a chain: rank r receives the sum of the
 * blocks before its own, adds its blocks one by one and passes the sum on; the last
 * rank's sum goes to all (reduce_blocks). That is the one-process sum, addition for
 * addition, so the model is the same bit for bit with any number of ranks and threads.
 * MPI_Allreduce would sum in an order the library chooses (and changes with the rank
 * count), which is why it is not used. Every rank keeps all parameters and repeats the
 * per-weight work (noise, KL, Adam); validation batches are shared out and their losses
 * gathered, and summed in batch order on every rank.
 *
 * The data (nn/train.h): each rank holds either every event (ba_train) or only its share
 * (train_shard, the command line's way: memory per rank shrinks with the rank count).
 * Then every rank still knows the epoch's order of all events, as it comes from the
 * seed, so it knows which events its blocks of every batch take; at the start of the
 * epoch it asks their ranks for them in one exchange (data/shard.h), and its validation
 * batches' events once at the start. Rows travel as they are stored, and the sums over
 * all training events (the likelihood weights' normalisation) are added in the order of
 * one process (par_chain), so the numbers are those of one process.
 */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "bayesamp.h"
#include "common/barrier.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/parallel.h"
#include "common/rng.h"
#include "data/features.h"
#include "data/shard.h"
#include "nn/adam.h"
#include "nn/blas.h"
#include "nn/loss.h"
#include "nn/network.h"
#include "nn/schedule.h"
#include "nn/train.h"
#include "nn/vblinear.h"

/* Rows per block: at least 64 (OpenBLAS is 12 % faster per epoch than with 32-row
 * blocks, and a batch of 128 still splits evenly over two cores), and at most 16
 * blocks per batch. */
static int block_rows_for(int batch_size)
{
    int rows = (batch_size + 15) / 16;
    return rows < 64 ? 64 : rows;
}

/* The per-weight work of a step (drawing the noise, summing the blocks' gradients,
 * the Adam update) is cut into tasks: equal ranges of about this many weights of the
 * network's weights counted through all layers. The cut depends on the architecture
 * only, so the thread count cannot change the numbers, and a static schedule gives each
 * thread the same weights for the noise and for the update, so they stay in its cache. */
#define WEIGHTS_PER_TASK 1024

/* Weights [begin, end) in the order of all layers' weights. */
typedef struct weight_task {
    size_t begin, end;
} weight_task;

/* Where the rows a rank trains or validates on are: row e's inputs at x + e * x_step, its
 * target y[e * step] and its likelihood weight w[e * step] (w NULL: all 1). Either a
 * split as loaded (steps n_features and 1) or rows fetched from other ranks, packed as
 * inputs, target and weight (both steps the packed width). */
typedef struct row_view {
    const ba_real *x, *y, *w;
    size_t x_step, step;
} row_view;

/* A rank's own events of one split, as shard_fetch packs them for the others. */
typedef struct home_rows {
    const ba_split *split;
    const ba_real *weight; /* NULL without likelihood weights */
    size_t first;          /* the global index of split's row 0 */
} home_rows;

typedef struct trainer {
    ba_model *m;
    const ba_train_config *cfg;
    int threads;
    int block_rows, n_blocks_max;
    net_block *blocks;
    double *block_nll;      /* per block: sum of NLL terms */
    net_noise noise;
    ba_real *adam_m, *adam_v, *grad;
    weight_task *tasks;     /* the weights cut into pieces of work */
    int n_tasks;
    double *task_kl;        /* KL of each piece, summed in task order; two halves, for
                               the batch being trained and the next one */
    size_t first_weight[BA_MAX_LAYERS + 2]; /* where each layer starts in the weight order */
    long step;              /* Adam steps taken */
    double *task_sumsq;     /* squared gradient norm of each task (gradient clipping) */
    ba_real *good;          /* the last good state: parameters, Adam m and v */
    long good_step;
    int nan_injected;       /* tests: the one poisoned step has happened */
    /* Validation runs whole batches in parallel, each thread with its own workspace:
     * no barrier inside a batch. */
    net_noise *val_noise;   /* one per thread */
    net_block *val_blocks;  /* one per thread */
    double *val_nll;        /* per validation batch: mean NLL */
    size_t *order;          /* training events in this epoch's order; with fetched rows
                               (fetch) the places this rank trains on hold the rows'
                               indices in epoch_rows instead */
    ba_real *trn_weight, *val_weight; /* each event's weight in the likelihood (NULL: 1),
                               for the events this rank holds */
    size_t n_trn, n_val;    /* events over all ranks */
    int fetch;              /* the events are shared out across several ranks: fetch */
    home_rows trn_home, val_home;
    size_t row_bytes;       /* a packed row: inputs, target, weight if any */
    row_view trn_rows, val_rows;
    void *epoch_rows, *val_fetched; /* rows fetched from the ranks (fetch) */
    size_t *want, *where;   /* shard_fetch's lists, for this rank's places of an epoch */
    size_t n_mine;          /* the places of an epoch this rank's blocks take */
    size_t val_lo, val_hi;  /* this rank's validation batches */
    size_t val_first;       /* the first event of val_lo */
    size_t *val_idx;        /* row in val_rows of each event of this rank's batches */
    int rank, size;         /* this process among the MPI ranks (0 of 1 without) */
    int n_blocks_mine;      /* blocks allocated: the most this rank takes of a batch */
    size_t msg_bytes;       /* a chain message: the gradient t->grad and, after it, the
                               NLL sum of the blocks so far (one double) */
    team_barrier barrier;   /* the training threads' barrier (spins, then sleeps) */
    int defer_logsig2;      /* weight sampler: the blocks leave out the log-variance
                               gradients, formed from the summed mean gradients
                               (net_backward) */
} trainer;

/* What a range of the parameter vector holds. */
typedef enum param_part { PART_MU, PART_LOGSIG2, PART_BIAS } param_part;

static void trainer_free(trainer *t)
{
    if (t->blocks)
        for (int b = 0; b < t->n_blocks_mine; b++)
            net_block_free(&t->blocks[b]);
    free(t->blocks);
    free(t->block_nll);
    if (t->val_noise)
        for (int k = 0; k < t->threads; k++)
            net_noise_free(&t->val_noise[k]);
    if (t->val_blocks)
        for (int k = 0; k < t->threads; k++)
            net_block_free(&t->val_blocks[k]);
    free(t->val_noise);
    free(t->val_blocks);
    free(t->val_nll);
    free(t->task_sumsq);
    free(t->good);
    free(t->tasks);
    free(t->task_kl);
    net_noise_free(&t->noise);
    free(t->adam_m);
    free(t->order);
    free(t->trn_weight);
    free(t->epoch_rows);
    free(t->val_fetched);
    free(t->want);
    free(t->where);
    free(t->val_idx);
}

static int trainer_init(trainer *t, ba_model *m, const ba_train_config *cfg, size_t n_train,
                        size_t n_val, ba_error *err)
{
    memset(t, 0, sizeof *t);
    t->m = m;
    t->cfg = cfg;
    t->defer_logsig2 = cfg->sampler == BA_SAMPLER_WEIGHT;
    t->threads = cfg->threads > 0 ? cfg->threads : ba_default_threads();
    t->block_rows = block_rows_for(cfg->batch_size);
    t->n_blocks_max = (cfg->batch_size + t->block_rows - 1) / t->block_rows;
    t->rank = par_rank();
    t->size = par_size();
    /* par_range gives no rank more than ceil(n / size) of n blocks */
    t->n_blocks_mine = (t->n_blocks_max + t->size - 1) / t->size;
    t->blocks = calloc((size_t)t->n_blocks_mine, sizeof *t->blocks);
    t->block_nll = calloc((size_t)t->n_blocks_mine, sizeof *t->block_nll);
    /* m, v and the gradient, then room for the chain message's double */
    t->msg_bytes = m->n_params * sizeof(ba_real) + sizeof(double);
    t->adam_m = calloc(3 * m->n_params + 2, sizeof *t->adam_m);
    t->order = malloc(n_train * sizeof *t->order);
    if (!t->blocks || !t->block_nll || !t->adam_m || !t->order) {
        trainer_free(t);
        return ba_fail(err, "out of memory");
    }
    t->adam_v = t->adam_m + m->n_params;
    t->grad = t->adam_v + m->n_params;
    for (int b = 0; b < t->n_blocks_mine; b++)
        if (net_block_alloc(&t->blocks[b], m, t->block_rows, err)) {
            trainer_free(t);
            return -1;
        }
    if (net_noise_alloc(&t->noise, m, cfg->sampler, err)) {
        trainer_free(t);
        return -1;
    }
    t->val_noise = calloc((size_t)t->threads, sizeof *t->val_noise);
    t->val_blocks = calloc((size_t)t->threads, sizeof *t->val_blocks);
    t->val_nll = malloc(((n_val + (size_t)cfg->batch_size - 1) / (size_t)cfg->batch_size + 1) *
                        sizeof *t->val_nll);
    if (!t->val_noise || !t->val_blocks || !t->val_nll) {
        trainer_free(t);
        return ba_fail(err, "out of memory");
    }
    for (int k = 0; k < t->threads; k++)
        if (net_noise_alloc(&t->val_noise[k], m, cfg->sampler, err) ||
            net_block_alloc(&t->val_blocks[k], m, t->block_rows, err)) {
            trainer_free(t);
            return -1;
        }
    t->first_weight[0] = 0;
    for (int l = 0; l < m->n_layers; l++)
        t->first_weight[l + 1] = t->first_weight[l] + m->layers[l].n_weights;
    size_t n_weights = t->first_weight[m->n_layers];
    t->n_tasks = (int)((n_weights + WEIGHTS_PER_TASK - 1) / WEIGHTS_PER_TASK);
    t->tasks = malloc((size_t)t->n_tasks * sizeof *t->tasks);
    t->task_kl = malloc(2 * (size_t)t->n_tasks * sizeof *t->task_kl);
    t->task_sumsq = malloc((size_t)t->n_tasks * sizeof *t->task_sumsq);
    t->good = malloc(3 * m->n_params * sizeof *t->good);
    if (!t->tasks || !t->task_kl || !t->task_sumsq || !t->good) {
        trainer_free(t);
        return ba_fail(err, "out of memory");
    }
    for (int k = 0; k < t->n_tasks; k++)
        t->tasks[k] = (weight_task){n_weights * (size_t)k / (size_t)t->n_tasks,
                                    n_weights * (size_t)(k + 1) / (size_t)t->n_tasks};
    return 0;
}

/* likelihood_weights' terms over a rank's training events: the largest log A, and the
 * sum of exp(power (log A - top)) */
typedef struct weight_terms {
    const ba_dataset *ds;
    double power, top;
} weight_terms;

static double event_log_amplitude(const ba_dataset *ds, const ba_split *split, size_t i)
{
    return features_log_amplitude(&ds->pre, split->x + i * split->n_features, split->y[i]);
}

static void max_log_amplitude(double *acc, void *user)
{
    const weight_terms *w = user;
    for (size_t i = 0; i < w->ds->trn.n; i++) {
        double la = event_log_amplitude(w->ds, &w->ds->trn, i);
        acc[0] = la > acc[0] ? la : acc[0];
    }
}

static void add_weights(double *acc, void *user)
{
    const weight_terms *w = user;
    for (size_t i = 0; i < w->ds->trn.n; i++)
        acc[0] += exp(w->power * (event_log_amplitude(w->ds, &w->ds->trn, i) - w->top));
}

/* Each event's weight in the likelihood, A^power normalised to mean 1 over the training
 * set (the validation set uses the same constant, so its loss is the same estimator).
 * Why: the 1 % largest amplitudes carry about 60 % of a sample's sum of amplitudes, and
 * a cross section sees that sum; unweighted, the network spends its capacity on the bulk
 * (issue 11). For the events this rank holds; the maximum and the sum are over all
 * training events, in the order of one process (par_chain) when the ranks share them. */
static int likelihood_weights(trainer *t, const dataset_shard *sh, double power, ba_error *err)
{
    const ba_dataset *ds = &sh->local;
    size_t n_trn = ds->trn.n, n_val = ds->val.n;
    t->trn_weight = malloc((n_trn + n_val + 1) * sizeof *t->trn_weight);
    if (par_agree(t->trn_weight ? 0 : ba_fail(err, "out of memory"), err))
        return -1;
    t->val_weight = t->trn_weight + n_trn;
    /* log A of every event, then exp(power (log A - max)) so nothing overflows */
    weight_terms terms = {ds, power, -INFINITY};
    double top = -INFINITY, sum = 0;
    par_chain(!sh->whole, &top, 1, max_log_amplitude, &terms);
    terms.top = top;
    par_chain(!sh->whole, &sum, 1, add_weights, &terms);
    double log_norm = log(sum / (double)sh->n[0]);
    for (int s = 0; s < 2; s++) {
        const ba_split *split = s ? &ds->val : &ds->trn;
        ba_real *w = s ? t->val_weight : t->trn_weight;
        for (size_t i = 0; i < split->n; i++)
            w[i] = (ba_real)exp(power * (event_log_amplitude(ds, split, i) - top) - log_norm);
    }
    return 0;
}

/* shard_fetch's packing: a home event's inputs, target and, if any, weight */
static void pack_row(size_t row, void *dst, void *user)
{
    const home_rows *h = user;
    size_t i = row - h->first, nf = h->split->n_features;
    ba_real *d = dst;
    memcpy(d, h->split->x + i * nf, nf * sizeof *d);
    d[nf] = h->split->y[i];
    if (h->weight)
        d[nf + 1] = h->weight[i];
}

static row_view packed_view(const trainer *t, const void *rows)
{
    const ba_real *r = rows;
    size_t nf = (size_t)t->m->arch.n_inputs, width = t->row_bytes / sizeof *r;
    return (row_view){r, r + nf, t->trn_weight ? r + nf + 1 : NULL, width, width};
}

/* Rows of view listed in idx: inputs into act (n_in a row), targets into y and, if the
 * view has weights, weights into w; returns w, or NULL without weights. */
static const ba_real *load_rows(const row_view *v, const size_t *idx, int rows, int n_in,
                                ba_real *act, ba_real *y, ba_real *w)
{
    /* consecutive rows stored one after the other (validation's, as loaded): one copy
     * instead of a call per row */
    if (v->x_step == (size_t)n_in && rows > 0 && idx[rows - 1] - idx[0] == (size_t)rows - 1) {
        int consecutive = 1;
        for (int r = 1; r < rows && consecutive; r++)
            consecutive = idx[r] == idx[0] + (size_t)r;
        if (consecutive) {
            memcpy(act, v->x + idx[0] * v->x_step, (size_t)rows * n_in * sizeof *act);
            for (int r = 0; r < rows; r++) {
                y[r] = v->y[(idx[0] + (size_t)r) * v->step];
                if (v->w)
                    w[r] = v->w[(idx[0] + (size_t)r) * v->step];
            }
            return v->w ? w : NULL;
        }
    }
    for (int r = 0; r < rows; r++) {
        size_t e = idx[r];
        memcpy(act + (size_t)r * n_in, v->x + e * v->x_step, (size_t)n_in * sizeof *act);
        y[r] = v->y[e * v->step];
        if (v->w)
            w[r] = v->w[e * v->step];
    }
    return v->w ? w : NULL;
}

/* Fisher-Yates shuffle from the epoch's own stream, two words per swap; the words come
 * in chunks from ba_rng_words, the same as one by one from ba_rng_u32 (0.30 ms of a
 * 9-15 ms epoch for 30k events, on one thread while the others waited). */
static void shuffle(size_t *order, size_t n, uint64_t seed, int epoch)
{
    const uint64_t stream = stream_id(STREAM_SHUFFLE, (uint64_t)epoch, 0, 0);
    enum { CHUNK = 512 };
    uint32_t words[CHUNK];
    uint64_t next = 0; /* the stream's word at words[0] after the next refill */
    int used = CHUNK;
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    for (size_t i = n - 1; i > 0; i--) {
        if (used == CHUNK) {
            ba_rng_words(seed, stream, next, words, CHUNK);
            next += CHUNK;
            used = 0;
        }
        uint64_t u = ((uint64_t)words[used] << 32) | words[used + 1];
        used += 2;
        size_t j = (size_t)(((unsigned __int128)u * (i + 1)) >> 64); /* Lemire's mapping */
        size_t tmp = order[i];
        order[i] = order[j];
        order[j] = tmp;
    }
}

/* The part [lo, hi) of layer l's weights that task k covers; 0 if none. */
static int layer_piece(const trainer *t, int l, const weight_task *task, size_t *lo, size_t *hi)
{
    size_t a = t->first_weight[l], b = t->first_weight[l + 1];
    size_t from = task->begin > a ? task->begin : a, to = task->end < b ? task->end : b;
    if (from >= to)
        return 0;
    *lo = from - a;
    *hi = to - a;
    return 1;
}

/* The blocks' likelihood gradients of parameters [begin, end) summed in block order into
 * t->grad; with several ranks reduce_blocks has done it already. */
static void sum_blocks(trainer *t, int n_blocks, size_t begin, size_t end)
{
    if (t->size > 1)
        return;
    /* block 0 plus block 1 in one pass rather than a copy and an addition: the same sums,
     * one pass less over the gradient */
    ba_real *g = t->grad;
    const ba_real *g0 = t->blocks[0].grad;
    if (n_blocks == 1)
        memcpy(g + begin, g0 + begin, (end - begin) * sizeof *g);
    else
        for (size_t i = begin; i < end; i++)
            g[i] = g0[i] + t->blocks[1].grad[i];
    for (int b = 2; b < n_blocks; b++)
        for (size_t i = begin; i < end; i++)
            g[i] += t->blocks[b].grad[i];
}

/* The gradient of parameters [begin, end) into t->grad: the blocks' likelihood parts
 * summed in block order (already there with several ranks: reduce_blocks), plus the
 * KL's. Returns its squared norm if with_sumsq, else 0: only gradient clipping needs it,
 * and skipping that pass in double made the tutorial's epoch 16.5 -> 15.4 ms
 * (BENCHMARKS.md, 2026-12-03). */
static double gradient_range(trainer *t, const layer_layout *L, param_part part,
                             int n_blocks, size_t begin, size_t end, double kl_scale,
                             int with_sumsq)
{
    ba_real *g = t->grad;
    /* deferred: the blocks have no log-variance gradients, formed below with the mean's */
    if (!(t->defer_logsig2 && part == PART_LOGSIG2))
        sum_blocks(t, n_blocks, begin, end);
    if (t->defer_logsig2 && part == PART_MU) /* before the KL's part joins the mean's */
        net_logsig2_grad(&t->noise, L, g, begin - L->mu_w, end - L->mu_w);
    /* The KL's part: the means' joined with the squared norm in one pass, the same
     * numbers as net_kl_grad_add's; the others' through it (written out here, the
     * log-variances' rounded differently from vblinear.c's, and the model changed in
     * the last bits). The norm in vector lanes (omp simd): a single running sum is a
     * chain of dependent additions, 3 us per batch and thread for the precision network
     * (BENCHMARKS.md, issue 12). */
    size_t n = end - begin;
    ba_real *restrict gr = g + begin;
    double sumsq = 0;
    if (part == PART_MU) {
        const ba_real c = vblinear_kl_grad_coefs(t->m->arch.prior_sigma, kl_scale).mu;
        const ba_real *restrict mu = t->m->params + begin;
#pragma omp simd reduction(+ : sumsq)
        for (size_t i = 0; i < n; i++) {
            gr[i] += c * mu[i];
            sumsq += (double)gr[i] * (double)gr[i];
        }
        return with_sumsq ? sumsq : 0;
    }
    net_kl_grad_add(&t->noise, t->m, g, begin, end, kl_scale);
    if (!with_sumsq)
        return 0;
#pragma omp simd reduction(+ : sumsq)
    for (size_t i = 0; i < n; i++)
        sumsq += (double)gr[i] * (double)gr[i];
    return sumsq;
}

/* The parameter ranges of task k: for every layer it touches, its mu_w and logsig2_w
 * entries, in that order, and the layer's biases with the piece that holds the layer's
 * last weight. Calls fn(t, layer, part, begin, end, arg) on each; returns the sum of
 * what fn returns. */
typedef double (*range_fn)(trainer *t, const layer_layout *L, param_part part, size_t begin,
                           size_t end, void *arg);

static double for_task_ranges(trainer *t, int k, range_fn fn, void *arg)
{
    double total = 0;
    for (int l = 0; l < t->m->n_layers; l++) {
        const layer_layout *L = &t->m->layers[l];
        size_t lo, hi;
        if (!layer_piece(t, l, &t->tasks[k], &lo, &hi))
            continue;
        total += fn(t, L, PART_MU, L->mu_w + lo, L->mu_w + hi, arg);
        total += fn(t, L, PART_LOGSIG2, L->logsig2_w + lo, L->logsig2_w + hi, arg);
        if (hi == L->n_weights)
            total += fn(t, L, PART_BIAS, L->bias, L->bias + (size_t)L->n_out, arg);
    }
    return total;
}

typedef struct step_args {
    int n_blocks;
    double kl_scale;
    const adam_step *adam;
    ba_real grad_scale;  /* gradient clipping: 1, or clip / norm */
    int with_gradient;   /* compute the gradient first (not done in an earlier pass) */
} step_args;

static double gradient_piece(trainer *t, const layer_layout *L, param_part part, size_t begin,
                             size_t end, void *arg)
{
    const step_args *a = arg;
    return gradient_range(t, L, part, a->n_blocks, begin, end, a->kl_scale, 1);
}

/* update_piece for the weights [begin, end) of layer L (offsets of their means) under the
 * weight sampler without gradient clipping: their means and log-variances in one pass,
 * from the summed likelihood gradients of the means to the Adam steps, the same numbers
 * as gradient_range, net_logsig2_grad, net_kl_grad_add and adam_update one after the
 * other, which went over the weights six times (BENCHMARKS.md, "Issue 12, fourth
 * round"). */
static void update_weight_pairs(trainer *t, const layer_layout *L, size_t begin, size_t end,
                                const step_args *a)
{
    sum_blocks(t, a->n_blocks, begin, end);
    size_t n = end - begin, logsig2_at = L->logsig2_w + (begin - L->mu_w);
    ba_real *mu = t->m->params + begin, *logsig2 = t->m->params + logsig2_at;
    ba_real *m_mu = t->adam_m + begin, *v_mu = t->adam_v + begin;
    ba_real *m_logsig2 = t->adam_m + logsig2_at, *v_logsig2 = t->adam_v + logsig2_at;
    const ba_real *g = t->grad + begin, *eps = t->noise.eps + begin;
    const ba_real *sigma = t->noise.sigma + begin, *var = t->noise.var + begin;
    const adam_real c = adam_real_of(a->adam);
    const vblinear_kl_coefs kl = vblinear_kl_grad_coefs(t->m->arch.prior_sigma, a->kl_scale);
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        ba_real g_logsig2 = vblinear_logsig2_grad_one(g[i], eps[i], sigma[i]);
        g_logsig2 += kl.var * var[i] - kl.shift;
        ba_real g_mu = g[i] + kl.mu * mu[i];
        adam_update_one(&c, &mu[i], g_mu, &m_mu[i], &v_mu[i]);
        adam_update_one(&c, &logsig2[i], g_logsig2, &m_logsig2[i], &v_logsig2[i]);
    }
}

static double update_piece(trainer *t, const layer_layout *L, param_part part, size_t begin,
                           size_t end, void *arg)
{
    const step_args *a = arg;
    if (t->defer_logsig2 && a->with_gradient && a->grad_scale == 1 && part != PART_BIAS) {
        if (part == PART_MU) /* the log-variances with their means */
            update_weight_pairs(t, L, begin, end, a);
        return 0;
    }
    if (a->with_gradient)
        gradient_range(t, L, part, a->n_blocks, begin, end, a->kl_scale, 0);
    adam_update(a->adam, t->m->params + begin, t->grad + begin, a->grad_scale,
                t->adam_m + begin, t->adam_v + begin, end - begin);
    return 0;
}

/* This rank's blocks [lo, hi) of a batch (all of them for one rank). */
static void my_blocks(const trainer *t, int n_blocks, int *lo, int *hi)
{
    size_t a, b;
    par_range((size_t)n_blocks, t->rank, t->size, &a, &b);
    *lo = (int)a;
    *hi = (int)b;
}

/* reduce_blocks' addition of this rank's blocks [lo, hi) to parameters [begin, end) of
 * t->grad, which holds the sum of the blocks before lo (after = 1) or nothing yet. */
typedef struct chain_args {
    int lo, hi, after;
} chain_args;

static double chain_piece(trainer *t, const layer_layout *L, param_part part, size_t begin,
                          size_t end, void *arg)
{
    (void)L;
    const chain_args *a = arg;
    if (t->defer_logsig2 && part == PART_LOGSIG2) /* not in the blocks (gradient_range) */
        return 0;
    ba_real *g = t->grad;
    int b = a->lo;
    if (!a->after)
        memcpy(g + begin, t->blocks[b++ - a->lo].grad + begin, (end - begin) * sizeof *g);
    for (; b < a->hi; b++)
        for (size_t i = begin; i < end; i++)
            g[i] += t->blocks[b - a->lo].grad[i];
    return 0;
}

/* With several ranks: the blocks' gradients and NLL terms of a batch summed in block
 * order across the ranks (see the top of the file), into t->grad and the returned NLL
 * sum on every rank. The ranks with blocks form a chain in rank order; a rank waits for
 * its predecessor's sum, adds its blocks (its threads task by task), sends the sum on;
 * the last one broadcasts it. Runs inside the parallel region: every thread calls it,
 * the master thread does the messages (MPI_THREAD_FUNNELED). */
static double reduce_blocks(trainer *t, int n_blocks)
{
    int lo, hi, prev = -1, next = -1, last = -1;
    my_blocks(t, n_blocks, &lo, &hi);
    for (int r = 0; r < t->size; r++) {
        size_t a, b;
        par_range((size_t)n_blocks, r, t->size, &a, &b);
        if (b == a)
            continue;
        if (r < t->rank)
            prev = r;
        if (r > t->rank && next < 0)
            next = r;
        last = r;
    }
    char *nll_slot = (char *)(t->grad + t->m->n_params);
    if (hi > lo) {
        if (prev >= 0) {
#pragma omp master
            par_recv(t->grad, t->msg_bytes, prev);
            team_barrier_wait(&t->barrier);
        }
        chain_args args = {lo, hi, prev >= 0};
#pragma omp for schedule(static) nowait
        for (int k = 0; k < t->n_tasks; k++)
            for_task_ranges(t, k, chain_piece, &args);
#pragma omp master
        {
            double nll = 0;
            if (prev >= 0)
                memcpy(&nll, nll_slot, sizeof nll);
            for (int b = lo; b < hi; b++)
                nll += t->block_nll[b - lo];
            memcpy(nll_slot, &nll, sizeof nll);
        }
        team_barrier_wait(&t->barrier);
#pragma omp master
        if (next >= 0)
            par_send(t->grad, t->msg_bytes, next);
    }
#pragma omp master
    par_bcast(t->grad, t->msg_bytes, last);
    team_barrier_wait(&t->barrier);
    double nll;
    memcpy(&nll, nll_slot, sizeof nll);
    return nll;
}

/* What one training batch gave: the batch mean of the NLL and the KL / N of the
 * parameters it used. */
typedef struct batch_result {
    double nll, kl;
} batch_result;

/* Draw the noise of task k's weights for the batch src (eps, sigma, variances, sampled
 * weights) from the current parameters; returns their KL to the prior. */
static double prepare_task_noise(trainer *t, int k, const noise_source *src)
{
    double kl = 0;
    for (int l = 0; l < t->m->n_layers; l++) {
        size_t lo, hi;
        if (layer_piece(t, l, &t->tasks[k], &lo, &hi))
            kl += net_prepare_noise_range(&t->noise, t->m, l, lo, hi, BA_NOISE_RESAMPLE, src);
    }
    return kl;
}

/* One training step on rows events of split listed in idx, whose noise is already drawn
 * (KL per task in t->task_kl[parity]): forward and backward by blocks, then, task by
 * task, the Adam step of its weights (step number `step`) followed at once by the noise
 * of the next batch `next` (NULL after the last), while the weights are still in this
 * thread's cache. If the loss is not finite no step is taken. Runs inside a parallel
 * region: every thread calls it and gets the same result. Two barriers per batch
 * (team_barrier: spin, then sleep). */
static batch_result train_step(trainer *t, const row_view *view, const size_t *idx, int rows,
                               const noise_source *src, const noise_source *next,
                               double kl_scale, long step, double lr, int parity)
{
    ba_model *m = t->m;
    int n_blocks = (rows + t->block_rows - 1) / t->block_rows;
    int n_in = m->arch.n_inputs;
    int lo, hi; /* this rank's blocks */
    my_blocks(t, n_blocks, &lo, &hi);

#pragma omp for schedule(static) nowait
    for (int b = lo; b < hi; b++) {
        net_block *blk = &t->blocks[b - lo];
        int r0 = b * t->block_rows;
        int nr = rows - r0 < t->block_rows ? rows - r0 : t->block_rows;
        ba_real y[nr], w[nr];
        net_prefetch_weights(m, &t->noise);
        const ba_real *weight = load_rows(view, idx + r0, nr, n_in, blk->act[0], y, w);
        net_forward(m, &t->noise, blk, nr, src, (uint64_t)r0);
        t->block_nll[b - lo] = gaussian_nll(blk->act[m->n_layers], y, weight,
                                            nr, rows, blk->dact[0],
                                            t->cfg->logsig2_clamp, t->cfg->nll_tail_pull);
        net_backward(m, &t->noise, blk, nr, 0, t->defer_logsig2);
    }
    team_barrier_wait(&t->barrier);

    /* Every thread sums the same numbers in the same order: the block loop's barrier has
     * passed, and nothing writes them again before the next batch's block loop (the
     * next batch's KL goes to the other half of task_kl). */
    batch_result res = {0, 0};
    if (t->size == 1)
        for (int b = 0; b < n_blocks; b++)
            res.nll += t->block_nll[b];
    else
        res.nll = reduce_blocks(t, n_blocks);
    res.nll /= rows;
    const double *kl_now = t->task_kl + parity * t->n_tasks;
    double *kl_next = t->task_kl + (1 - parity) * t->n_tasks;
    for (int k = 0; k < t->n_tasks; k++)
        res.kl += kl_now[k];
    res.kl *= kl_scale;
    if (t->cfg->inject_nan_step == step && !t->nan_injected)
        res.nll = NAN; /* tests of the divergence guard */
    if (!isfinite(res.nll + res.kl))
        return res;

    adam_step as = adam_prepare(lr, step);
    step_args args = {n_blocks, kl_scale, &as, 1, 1};
    if (t->cfg->clip_grad_norm > 0) {
        /* The global norm needs every task's gradient first: one more pass and barrier. */
#pragma omp for schedule(static) nowait
        for (int k = 0; k < t->n_tasks; k++)
            t->task_sumsq[k] = for_task_ranges(t, k, gradient_piece, &args);
        team_barrier_wait(&t->barrier);
        double sumsq = 0;
        for (int k = 0; k < t->n_tasks; k++)
            sumsq += t->task_sumsq[k];
        double norm = sqrt(sumsq);
        if (!isfinite(norm)) {
            res.nll = NAN; /* a non-finite gradient: no step, the caller rolls back */
            return res;
        }
        if (norm > t->cfg->clip_grad_norm)
            args.grad_scale = (ba_real)(t->cfg->clip_grad_norm / norm);
        args.with_gradient = 0;
    }
#pragma omp for schedule(static) nowait
    for (int k = 0; k < t->n_tasks; k++) {
        for_task_ranges(t, k, update_piece, &args);
        if (next)
            kl_next[k] = prepare_task_noise(t, k, next);
    }
    team_barrier_wait(&t->barrier);
    return res;
}

/* The state a failed epoch goes back to: parameters, Adam moments, step count. */
static void save_good_state(trainer *t)
{
    size_t n = t->m->n_params;
    memcpy(t->good, t->m->params, n * sizeof *t->good);
    memcpy(t->good + n, t->adam_m, 2 * n * sizeof *t->good); /* m and v, contiguous */
    t->good_step = t->step;
}

static void restore_good_state(trainer *t)
{
    size_t n = t->m->n_params;
    memcpy(t->m->params, t->good, n * sizeof *t->good);
    memcpy(t->adam_m, t->good + n, 2 * n * sizeof *t->good);
    t->step = t->good_step;
}

/* The mean NLL of one validation batch, on one thread whose nz holds the pass's
 * net_prepare_pass: the batch's weights are drawn once (as in training, from the
 * batch's own streams) and its rows, listed in idx, are run through the network block
 * by block. */
static double validate_batch(trainer *t, net_noise *nz, net_block *blk, const row_view *view,
                             const size_t *idx, int rows, const noise_source *src)
{
    ba_model *m = t->m;
    int n_in = m->arch.n_inputs;
    net_redraw(nz, m, src);
    double nll = 0;
    for (int r0 = 0; r0 < rows; r0 += t->block_rows) {
        int nr = rows - r0 < t->block_rows ? rows - r0 : t->block_rows;
        ba_real y[nr], w[nr];
        const ba_real *weight = load_rows(view, idx + r0, nr, n_in, blk->act[0], y, w);
        net_forward_outputs(m, nz, blk, nr, src, (uint64_t)r0);
        nll += gaussian_nll(blk->act[m->n_layers], y, weight, nr, rows, NULL,
                            t->cfg->logsig2_clamp, t->cfg->nll_tail_pull);
    }
    return nll / rows;
}

/* The places [a, b) of an epoch's order whose events this rank's blocks of batch bi
 * take. */
static void my_places(const trainer *t, size_t bi, size_t *a, size_t *b)
{
    size_t first = bi * (size_t)t->cfg->batch_size;
    size_t rows = t->n_trn - first < (size_t)t->cfg->batch_size ? t->n_trn - first
                                                                  : (size_t)t->cfg->batch_size;
    int lo, hi;
    my_blocks(t, (int)((rows + (size_t)t->block_rows - 1) / (size_t)t->block_rows), &lo, &hi);
    *a = first + (size_t)lo * (size_t)t->block_rows;
    *b = first + ((size_t)hi * (size_t)t->block_rows < rows ? (size_t)hi * (size_t)t->block_rows
                                                            : rows);
    if (*b < *a)
        *b = *a;
}

/* With the events shared out (t->fetch): this rank's events of the epoch, those its
 * blocks of every batch take in the shuffled t->order, fetched from their ranks into
 * t->epoch_rows, and those places of t->order pointed at them. Collective. */
static int fetch_epoch_rows(trainer *t, size_t n_batches, ba_error *err)
{
    size_t k = 0, a, b;
    for (size_t bi = 0; bi < n_batches; bi++) {
        my_places(t, bi, &a, &b);
        for (size_t p = a; p < b; p++)
            t->want[k++] = t->order[p];
    }
    free(t->epoch_rows); /* the last epoch's, before this one's arrive */
    t->epoch_rows = NULL;
    if (shard_fetch(t->n_trn, t->row_bytes, pack_row, &t->trn_home, t->want, k,
                    &t->epoch_rows, t->where, err))
        return -1;
    k = 0;
    for (size_t bi = 0; bi < n_batches; bi++) {
        my_places(t, bi, &a, &b);
        for (size_t p = a; p < b; p++)
            t->order[p] = t->where[k++];
    }
    t->trn_rows = packed_view(t, t->epoch_rows);
    return 0;
}

/* The rows to train and validate on: this rank's own events (all of them, or the rows
 * of its share, which are fetched from the other ranks: t->fetch), and the events of
 * its validation batches, fetched here once. Collective. */
static int trainer_data_init(trainer *t, const dataset_shard *sh, size_t n_batches,
                             ba_error *err)
{
    const ba_dataset *ds = &sh->local;
    size_t bs = (size_t)t->cfg->batch_size, nf = ds->trn.n_features;
    t->n_trn = sh->n[0];
    t->n_val = sh->n[1];
    t->fetch = !sh->whole && t->size > 1;
    t->row_bytes = (nf + 1 + (t->trn_weight ? 1 : 0)) * sizeof(ba_real);
    size_t lo, hi;
    par_range(t->n_trn, t->rank, t->size, &lo, &hi);
    t->trn_home = (home_rows){&ds->trn, t->trn_weight, sh->whole ? 0 : lo};
    par_range(t->n_val, t->rank, t->size, &lo, &hi);
    t->val_home = (home_rows){&ds->val, t->val_weight, sh->whole ? 0 : lo};
    t->trn_rows = (row_view){ds->trn.x, ds->trn.y, t->trn_weight, nf, 1};
    t->val_rows = (row_view){ds->val.x, ds->val.y, t->val_weight, nf, 1};
    /* with several ranks each validates its run of batches (the losses are gathered) */
    par_range((t->n_val + bs - 1) / bs, t->rank, t->size, &t->val_lo, &t->val_hi);
    t->val_first = t->val_lo * bs;
    size_t val_end = t->val_hi * bs < t->n_val ? t->val_hi * bs : t->n_val;
    size_t n_val_mine = val_end > t->val_first ? val_end - t->val_first : 0;
    t->n_mine = 0;
    for (size_t bi = 0; t->fetch && bi < n_batches; bi++) {
        size_t a, b;
        my_places(t, bi, &a, &b);
        t->n_mine += b - a;
    }
    size_t n_list = t->n_mine > n_val_mine ? t->n_mine : n_val_mine;
    t->want = malloc((n_list ? n_list : 1) * sizeof *t->want);
    t->where = malloc((n_list ? n_list : 1) * sizeof *t->where);
    t->val_idx = malloc((n_val_mine ? n_val_mine : 1) * sizeof *t->val_idx);
    if (par_agree(t->want && t->where && t->val_idx ? 0 : ba_fail(err, "out of memory"), err))
        return -1;
    for (size_t i = 0; i < n_val_mine; i++)
        t->want[i] = t->val_idx[i] = t->val_first + i;
    if (!t->fetch)
        return 0;
    if (shard_fetch(t->n_val, t->row_bytes, pack_row, &t->val_home, t->want, n_val_mine,
                    &t->val_fetched, t->val_idx, err))
        return -1;
    t->val_rows = packed_view(t, t->val_fetched);
    return 0;
}

/* How many threads an epoch uses. Results do not depend on it (blocks and sums are
 * fixed by the batch size), so it may change from epoch to epoch. When another process
 * holds a core, two threads end up sharing one and every barrier waits for a time
 * slice: measured, an epoch took 65-104 ms on two threads against 30 ms on one. So if
 * more than THREADS_SLEEPY of an epoch's barrier waits end asleep, the next epoch runs
 * on one thread; from then on each epoch takes the setting that was faster when last
 * measured, and every THREADS_PROBE_EVERY epochs the other one is measured again (the
 * machine may have become free). An idle machine never sleeps at the barriers and
 * never leaves the full count. */
#define THREADS_SLEEPY 0.10
#define THREADS_PROBE_EVERY 8

typedef struct thread_choice {
    int max;             /* the configured count */
    int active;          /* this epoch's */
    double seconds[2];   /* last epoch time with max threads [0] and with one [1]; NaN */
    int since_probe;
} thread_choice;

static thread_choice thread_choice_start(int max)
{
    thread_choice c = {max, max, {NAN, NAN}, 0};
    return c;
}

static void thread_choice_update(thread_choice *c, double seconds, double sleepy)
{
    int one = c->active == 1;
    c->seconds[one] = seconds;
    if (c->max <= 1)
        return;
    if (isnan(c->seconds[1])) { /* one thread not tried yet: only on a busy machine */
        if (!one && sleepy > THREADS_SLEEPY) {
            c->active = 1;
            c->since_probe = 0;
        }
        return;
    }
    int faster_one = c->seconds[1] < c->seconds[0];
    c->active = faster_one ? 1 : c->max;
    if (++c->since_probe >= THREADS_PROBE_EVERY) { /* measure the other setting again */
        c->active = faster_one ? c->max : 1;
        c->since_probe = 0;
    }
}

ba_train_config ba_train_defaults(void)
{
    ba_train_config c = {.epochs = 100, .batch_size = 128, .lr = 1e-3,
                         .lr_schedule = BA_LR_CONSTANT, .lr_final_ratio = 1e-3,
                         .warmup_epochs = 0, .clip_grad_norm = 0, .logsig2_clamp = 0,
                         .nll_tail_pull = 0,
                         .max_rollbacks = 3, .sampler = BA_SAMPLER_WEIGHT, .seed = 1,
                         .threads = 0, .patience = 0};
    return c;
}

/* The cores this process may run on, shared with the other MPI ranks on its node:
 * omp_get_num_procs() counts the cores of the process's affinity mask, all of the node's
 * for an unbound rank, one for a rank that mpirun bound to a core (its default for two
 * ranks), so that K unbound ranks on a node of C cores take C / K threads each and
 * never oversubscribe it. */
int ba_default_threads(void)
{
    int threads = omp_get_num_procs() / par_local_size();
    return threads > 1 ? threads : 1;
}

int ba_train(ba_model *m, const ba_dataset *ds, const ba_train_config *cfg,
             ba_epoch_callback cb, void *user, ba_error *err)
{
    dataset_shard whole = dataset_shard_whole(ds);
    return train_shard(m, &whole, cfg, cb, user, err);
}

int train_shard(ba_model *m, const dataset_shard *sh, const ba_train_config *cfg,
                ba_epoch_callback cb, void *user, ba_error *err)
{
    const ba_dataset *ds = &sh->local;
    if (cfg->epochs < 0 || cfg->batch_size < 1 || !(cfg->lr > 0) || cfg->patience < 0 ||
        !(cfg->lr_final_ratio > 0) || !(cfg->warmup_epochs >= 0) || !(cfg->clip_grad_norm >= 0) ||
        !(cfg->logsig2_clamp >= 0) || !(cfg->nll_tail_pull >= 0) || cfg->max_rollbacks < 0)
        return ba_fail(err, "invalid training settings (epochs %d, batch size %d, lr %g, final "
                       "ratio %g, warm-up %g, clip %g, clamp %g, rollbacks %d)", cfg->epochs,
                       cfg->batch_size, cfg->lr, cfg->lr_final_ratio, cfg->warmup_epochs,
                       cfg->clip_grad_norm, cfg->logsig2_clamp, cfg->max_rollbacks);
    if (ds->trn.n_features != (size_t)m->arch.n_inputs)
        return ba_fail(err, "the data have %zu features but the network takes %d",
                       ds->trn.n_features, m->arch.n_inputs);
    m->pre = ds->pre;
    trainer t;
    const size_t n_batches = (sh->n[0] + cfg->batch_size - 1) / cfg->batch_size;
    if (trainer_init(&t, m, cfg, sh->n[0], sh->n[1], err))
        return -1;
    if ((cfg->amplitude_weight_power != 0 &&
         likelihood_weights(&t, sh, cfg->amplitude_weight_power, err)) ||
        trainer_data_init(&t, sh, n_batches, err)) {
        trainer_free(&t);
        return -1;
    }
    /* Our threads split the batch; BLAS must not start threads of its own inside them. */
    openblas_set_num_threads(1);

    const double n_train = (double)t.n_trn;
    const ba_lr_config lc = {cfg->lr_schedule, cfg->lr, cfg->lr_final_ratio,
                             (long)(cfg->warmup_epochs * (double)n_batches)};
    const long total_steps = (long)cfg->epochs * (long)n_batches;
    double best = INFINITY, lr_scale = 1, lr = cfg->lr;
    int since_best = 0, rc = 0, rollbacks = 0;
    save_good_state(&t);
    thread_choice tc = thread_choice_start(t.threads);
    for (int epoch = 1; epoch <= cfg->epochs && rc == 0; epoch++) {
        double t0 = wall_seconds();
        const int active = tc.active; /* this epoch's threads (see thread_choice) */
        shuffle(t.order, t.n_trn, cfg->seed, epoch);
        if (t.fetch && fetch_epoch_rows(&t, n_batches, err)) {
            rc = -1;
            break;
        }
        double sum_loss = 0, sum_nll = 0, sum_kl = 0;
        size_t failed_batch = 0;
        /* One parallel region per pass, not per batch: the threads go through the batches
         * together and meet only at the barriers inside train_step. */
#pragma omp parallel num_threads(active)
        {
            long step = t.step;
            noise_source src = {cfg->seed, STREAM_TRAIN_NOISE, (uint64_t)epoch, 0};
            /* The barriers of the batches are ours (common/barrier.h): a thread that
             * waits long sleeps, instead of spinning against a busy machine. */
#pragma omp single
            team_barrier_init(&t.barrier, omp_get_num_threads());
#pragma omp for schedule(static) nowait
            for (int k = 0; k < t.n_tasks; k++)
                t.task_kl[k] = prepare_task_noise(&t, k, &src);
            team_barrier_wait(&t.barrier);
            for (size_t bi = 0; bi < n_batches; bi++) {
                size_t first = bi * cfg->batch_size;
                int rows = (int)(t.n_trn - first < (size_t)cfg->batch_size
                                     ? t.n_trn - first : (size_t)cfg->batch_size);
                src.batch = bi;
                noise_source next = src;
                next.batch = bi + 1;
                double step_lr = lr_at_step(&lc, step, total_steps) * lr_scale;
                batch_result r = train_step(&t, &t.trn_rows, t.order + first, rows, &src,
                                            bi + 1 < n_batches ? &next : NULL, 1.0 / n_train,
                                            ++step, step_lr, (int)(bi % 2));
                if (!isfinite(r.nll + r.kl)) { /* every thread sees the same value */
#pragma omp master
                    failed_batch = bi + 1;
                    break;
                }
#pragma omp master
                {
                    lr = step_lr;
                    sum_loss += r.nll + r.kl;
                    sum_nll += r.nll;
                    sum_kl += r.kl;
                    if (cfg->on_progress && (bi % 16 == 15 || bi + 1 == n_batches))
                        cfg->on_progress(epoch, first + rows, t.n_trn, user);
                }
            }
#pragma omp master
            t.step = step;
        }
        long barrier_sleeps = atomic_load(&t.barrier.sleeps);
        char what[128] = "";
        if (failed_batch)
            snprintf(what, sizeof what, "the loss or gradient is not finite in batch %zu",
                     failed_batch);
        else if (!model_params_finite(m))
            snprintf(what, sizeof what, "non-finite parameters");

        /* Validation: the tutorial's pass, new weights for every batch. */
        double kl = net_kl(m) / n_train, sum_val = 0;
        size_t n_val_batches = (t.n_val + cfg->batch_size - 1) / cfg->batch_size;
        /* with several ranks, each validates its run of batches (trainer_data_init) and
         * all losses are gathered */
#pragma omp parallel num_threads(active)
        {
            int id = omp_get_thread_num();
            net_prepare_pass(&t.val_noise[id], m);
#pragma omp for schedule(dynamic)
            for (size_t bi = t.val_lo; bi < t.val_hi; bi++) {
                size_t first = bi * cfg->batch_size;
                int rows = (int)(t.n_val - first < (size_t)cfg->batch_size
                                     ? t.n_val - first : (size_t)cfg->batch_size);
                noise_source src = {cfg->seed, STREAM_VAL_NOISE, (uint64_t)epoch, bi};
                t.val_nll[bi] = validate_batch(&t, &t.val_noise[id], &t.val_blocks[id],
                                               &t.val_rows, t.val_idx + (first - t.val_first),
                                               rows, &src);
            }
        }
        par_allgather_ranges(t.val_nll, n_val_batches, sizeof *t.val_nll);
        for (size_t bi = 0; bi < n_val_batches; bi++)
            sum_val += t.val_nll[bi] + kl;
        if (!what[0] && !isfinite(sum_val))
            snprintf(what, sizeof what, "the validation loss is not finite");
        if (what[0]) {
            /* Never go on from a broken state: back to the end of the last good epoch,
             * and this epoch again with half the learning rate. */
            restore_good_state(&t);
            t.nan_injected = cfg->inject_nan_step > 0;
            if (rollbacks == cfg->max_rollbacks) {
                if (rollbacks == 0)
                    rc = ba_fail(err, "training diverged in epoch %d (%s); the model keeps the "
                                 "parameters of epoch %d (allow --max-rollbacks, lower --lr, "
                                 "or --clip-grad-norm)", epoch, what, epoch - 1);
                else
                    rc = ba_fail(err, "training diverged in epoch %d (%s) after %d rollback%s "
                                 "to half the learning rate; the model keeps the parameters "
                                 "of epoch %d (lower --lr, or --clip-grad-norm)", epoch, what,
                                 rollbacks, rollbacks == 1 ? "" : "s", epoch - 1);
                break;
            }
            rollbacks++;
            lr_scale *= 0.5;
            if (cfg->on_rollback)
                cfg->on_rollback(epoch, what, lr_scale, user);
            epoch--;
            continue;
        }
        save_good_state(&t);
        thread_choice_update(&tc, wall_seconds() - t0, (double)barrier_sleeps / (2.0 * n_batches));
        ba_epoch_stats st = {.epoch = epoch,
                             .train_loss = sum_loss / n_batches,
                             .train_nll = sum_nll / n_batches,
                             .train_kl = sum_kl / n_batches,
                             .val_loss = n_val_batches ? sum_val / n_val_batches : NAN,
                             .seconds = wall_seconds() - t0,
                             .lr = lr,
                             .rollbacks = rollbacks};
        int improved = st.val_loss < best;
        if (improved) {
            best = st.val_loss;
            since_best = 0;
        } else {
            since_best++;
        }
        /* every rank stops if one callback asks to (rank 0's cannot save, say) */
        if (cb && par_any(cb(&st, improved, m, user)))
            break;
        if (cfg->patience > 0 && since_best >= cfg->patience)
            break;
    }
    trainer_free(&t);
    return rc;
}
