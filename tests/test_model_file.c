/* Tests of model creation and of the model files (src/nn/model.c, src/io/model_file.c).
 *
 * Runs against both builds of the library (BAYESAMP_TEST_FLOAT64): the files hold F32
 * tensors from the float32 build and F64 tensors from the float64 build, and either way
 * a save and load must give back every parameter bit for bit.
 *
 * Damaged files are made by reading a good file with st_read, changing one thing, and
 * writing it back with st_write, so that each is a valid safetensors file that is wrong
 * only as a bayesamp model.
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
#include "check.h"
#include "io/safetensors.h"
#include "nn/model.h"

#ifdef BA_REAL_DOUBLE
#define WANT_DTYPE ST_F64
#else
#define WANT_DTYPE ST_F32
#endif

/* ------------------------------------------------------------------ helpers */

static void join(char *buf, size_t size, const char *dir, const char *name)
{
    snprintf(buf, size, "%s/%s", dir, name);
}

static int contains(const char *s, const char *needle)
{
    return strstr(s, needle) != NULL;
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Entries in dir other than . and .. (temporary files left behind show up here). */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

static unsigned char *read_all(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        perror(path);
        exit(2);
    }
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *buf = malloc(size > 0 ? (size_t)size : 1);
    *n = fread(buf, 1, (size_t)size, fp);
    fclose(fp);
    return buf;
}

static void write_all(const char *path, const void *data, size_t n)
{
    FILE *fp = fopen(path, "wb");
    if (!fp || fwrite(data, 1, n, fp) != n) {
        perror(path);
        exit(2);
    }
    fclose(fp);
}

static ba_arch make_arch(int n_hidden, const int *widths, double prior_sigma)
{
    ba_arch a = {.n_inputs = 20, .n_hidden = n_hidden, .prior_sigma = prior_sigma};
    for (int i = 0; i < n_hidden; i++)
        a.hidden[i] = widths[i];
    return a;
}

static ba_model *create(const ba_arch *a, uint64_t seed)
{
    ba_error err;
    ba_model *m = ba_model_create(a, seed, &err);
    if (!m) {
        fprintf(stderr, "ba_model_create: %s\n", err.msg);
        exit(2);
    }
    return m;
}

/* Same architecture, constants and parameters, bit for bit. */
static int models_identical(const ba_model *a, const ba_model *b)
{
    const ba_arch *x = ba_model_arch(a), *y = ba_model_arch(b);
    if (x->n_inputs != y->n_inputs || x->n_hidden != y->n_hidden ||
        x->prior_sigma != y->prior_sigma || a->pre.gluon_pt_mean != b->pre.gluon_pt_mean)
        return 0;
    for (int i = 0; i < x->n_hidden; i++)
        if (x->hidden[i] != y->hidden[i])
            return 0;
    return a->n_params == b->n_params &&
           memcmp(a->params, b->params, a->n_params * sizeof *a->params) == 0;
}

/* ba_model_load must fail, naming the file and every needle. */
static void expect_load_fails(const char *path, const char *what, const char *needle)
{
    ba_error err = {{0}};
    ba_model *m = ba_model_load(path, &err);
    CHECK_MSG(m == NULL, "%s: loaded", what);
    ba_model_free(m);
    CHECK_MSG(contains(err.msg, path), "%s: message \"%s\" does not name the file", what,
              err.msg);
    if (needle)
        CHECK_MSG(contains(err.msg, needle), "%s: message \"%s\" lacks \"%s\"", what, err.msg,
                  needle);
}

/* ------------------------------------------------------------------ tests */

static const int W_TUTORIAL[] = {50, 50, 50}, W_SMALL[] = {7}, W_MIXED[] = {3, 4, 5, 6};

/* Save and load give back the same model, and the file has the tutorial's layout. */
static void test_round_trip(const char *dir)
{
    struct {
        int n_hidden;
        const int *widths;
        const char *hidden_text;
        double prior_sigma;
    } cases[] = {
        {3, W_TUTORIAL, "50,50,50", 1.0},
        {1, W_SMALL, "7", 0.1},
        {4, W_MIXED, "3,4,5,6", 2.718281828459045},
        {0, NULL, "", 1.0}, /* no hidden layer: a single 20 -> 2 layer */
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        ba_arch a = make_arch(cases[c].n_hidden, cases[c].widths, cases[c].prior_sigma);
        ba_model *m = create(&a, 100 + c);
        /* Values that test the conversions: a bias with a long mantissa, a subnormal
         * (in float32), a negative zero, and a preprocessing constant that needs all 17
         * digits. */
        m->params[m->layers[0].bias] = (ba_real)0.1234567890123456789;
        m->params[m->layers[0].bias + 1] = (ba_real)1e-40;
        m->params[m->layers[a.n_hidden].bias + 1] = (ba_real)-0.0;
        ba_model_preprocessing(m)->gluon_pt_mean = 123.45678901234567;

        size_t want_params = 0;
        int dims[BA_MAX_LAYERS + 2] = {20};
        for (int i = 0; i < a.n_hidden; i++)
            dims[i + 1] = a.hidden[i];
        dims[a.n_hidden + 1] = 2;
        for (int l = 0; l <= a.n_hidden; l++)
            want_params += 2 * (size_t)dims[l] * dims[l + 1] + (size_t)dims[l + 1];
        CHECK_MSG(ba_model_n_params(m) == want_params, "%zu parameters, want %zu",
                  ba_model_n_params(m), want_params);

        char path[4096];
        ba_error err;
        join(path, sizeof path, dir, "model.safetensors");
        CHECK_MSG(ba_model_save(m, path, &err) == 0, "%s", err.msg);
        CHECK(count_entries(dir) == 1); /* no temporary file left */
        ba_model *back = ba_model_load(path, &err);
        CHECK_MSG(back != NULL, "%s", err.msg);
        if (back) {
            CHECK_MSG(models_identical(m, back), "case %zu: the loaded model differs", c);
            CHECK(signbit((double)back->params[back->layers[a.n_hidden].bias + 1]));
            ba_model_free(back);
        }

        /* The file itself: names, shapes, dtype and values as PyTorch would store the
         * tutorial's nn.Sequential(VBLinear, ReLU, ..., VBLinear). */
        st_file f;
        int rc = st_read(path, &f, &err);
        CHECK_MSG(rc == 0, "%s", err.msg);
        if (rc == 0) {
            CHECK(f.n_tensors == 3 * (a.n_hidden + 1));
            for (int l = 0; l <= a.n_hidden; l++) {
                static const char *parts[3] = {"mu_w", "logsig2_w", "bias"};
                const layer_layout *L = &m->layers[l];
                size_t offsets[3] = {L->mu_w, L->logsig2_w, L->bias};
                for (int p = 0; p < 3; p++) {
                    char name[64];
                    snprintf(name, sizeof name, "model.%d.%s", 2 * l, parts[p]);
                    const st_tensor *t = st_find_tensor(&f, name);
                    CHECK_MSG(t != NULL, "tensor %s missing", name);
                    if (!t)
                        continue;
                    CHECK_MSG(t->dtype == WANT_DTYPE, "%s: dtype %d", name, (int)t->dtype);
                    if (p < 2)
                        CHECK_MSG(t->ndim == 2 && t->shape[0] == (size_t)dims[l + 1] &&
                                      t->shape[1] == (size_t)dims[l],
                                  "%s: shape (%zu, %zu), want (%d, %d)", name, t->shape[0],
                                  t->shape[1], dims[l + 1], dims[l]);
                    else
                        CHECK_MSG(t->ndim == 1 && t->shape[0] == (size_t)dims[l + 1],
                                  "%s: wrong shape", name);
                    size_t bad = 0;
                    for (size_t i = 0; i < t->count; i++)
                        bad += (ba_real)t->data[i] != m->params[offsets[p] + i] ||
                               t->data[i] != (double)m->params[offsets[p] + i];
                    CHECK_MSG(bad == 0, "%s: %zu values differ from the model", name, bad);
                }
            }
            const char *hidden = st_find_meta(&f, "hidden");
            CHECK(hidden && strcmp(hidden, cases[c].hidden_text) == 0);
            const char *n_inputs = st_find_meta(&f, "n_inputs");
            CHECK(n_inputs && strcmp(n_inputs, "20") == 0);
            const char *gpt = st_find_meta(&f, "gluon_pt_mean");
            CHECK(gpt && strtod(gpt, NULL) == 123.45678901234567);
            const char *prior = st_find_meta(&f, "prior_sigma");
            CHECK(prior && strtod(prior, NULL) == cases[c].prior_sigma);
            st_free(&f);
        }
        unlink(path);
        ba_model_free(m);
    }
}

/* Write f back with the changes d asks for: tensors[drop] left out (drop >= 0), tensor
 * rename_from renamed to rename_to, tensor transpose's two dimensions swapped, metadata
 * key drop_meta left out, metadata set_meta_key given set_meta_value, and the middle
 * value of tensor poison set to poison_value. */
typedef struct damage {
    int drop;
    const char *rename_from, *rename_to;
    const char *transpose;
    const char *drop_meta;
    const char *set_meta_key, *set_meta_value;
    const char *poison;
    double poison_value;
} damage;

static void write_damaged(const st_file *f, const char *path, damage d)
{
    st_tensor *t = calloc((size_t)f->n_tensors, sizeof *t);
    st_meta *meta = calloc((size_t)f->n_meta, sizeof *meta);
    double *poisoned = NULL;
    int nt = 0, nm = 0;
    for (int i = 0; i < f->n_tensors; i++) {
        if (i == d.drop)
            continue;
        st_tensor *x = &t[nt++];
        *x = f->tensors[i];
        if (d.rename_from && strcmp(x->name, d.rename_from) == 0)
            snprintf(x->name, sizeof x->name, "%s", d.rename_to);
        if (d.transpose && strcmp(x->name, d.transpose) == 0) {
            size_t s0 = x->shape[0];
            x->shape[0] = x->shape[1];
            x->shape[1] = s0;
        }
        if (d.poison && strcmp(x->name, d.poison) == 0) {
            poisoned = malloc(x->count * sizeof *poisoned);
            memcpy(poisoned, x->data, x->count * sizeof *poisoned);
            poisoned[x->count / 2] = d.poison_value;
            x->data = poisoned;
        }
    }
    for (int i = 0; i < f->n_meta; i++) {
        if (d.drop_meta && strcmp(f->meta[i].key, d.drop_meta) == 0)
            continue;
        meta[nm] = f->meta[i];
        if (d.set_meta_key && strcmp(meta[nm].key, d.set_meta_key) == 0)
            meta[nm].value = (char *)d.set_meta_value;
        nm++;
    }
    ba_error err;
    if (st_write(path, t, nt, meta, nm, &err)) {
        fprintf(stderr, "cannot write a damaged file: %s\n", err.msg);
        exit(2);
    }
    free(poisoned);
    free(t);
    free(meta);
}

static void test_load_refuses(const char *dir)
{
    ba_arch a = make_arch(3, W_TUTORIAL, 1.0);
    ba_model *m = create(&a, 7);
    ba_model_preprocessing(m)->gluon_pt_mean = 42.5;
    char good[4096], bad[4096];
    ba_error err;
    join(good, sizeof good, dir, "good.safetensors");
    join(bad, sizeof bad, dir, "bad.safetensors");
    if (ba_model_save(m, good, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        exit(2);
    }

    /* Truncated: the last bytes of the data, and most of the header. */
    size_t n;
    unsigned char *bytes = read_all(good, &n);
    write_all(bad, bytes, n - 4);
    expect_load_fails(bad, "truncated data", NULL);
    write_all(bad, bytes, 100);
    expect_load_fails(bad, "truncated header", NULL);
    write_all(bad, bytes, 0);
    expect_load_fails(bad, "empty file", NULL);
    free(bytes);

    /* Not a safetensors file at all. */
    static const char garbage[] = "this is not a model, just some text that is long enough";
    write_all(bad, garbage, sizeof garbage - 1);
    expect_load_fails(bad, "garbage", NULL);

    /* Missing, non-existent, a folder. */
    char missing[4200];
    join(missing, sizeof missing, dir, "no-such-model.safetensors");
    expect_load_fails(missing, "missing file", NULL);
    expect_load_fails(dir, "a folder", NULL);

    st_file f;
    if (st_read(good, &f, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        exit(2);
    }
    /* The damage is done to a model that otherwise loads: check the copy mechanism. */
    write_damaged(&f, bad, (damage){.drop = -1});
    ba_model *copy = ba_model_load(bad, &err);
    CHECK_MSG(copy && models_identical(copy, m), "undamaged copy: %s", copy ? "differs" : err.msg);
    ba_model_free(copy);
    /* The same bytes from memory (what the fuzz harness loads) give the same model, and
     * errors name the given name. */
    bytes = read_all(good, &n);
    copy = model_load_mem(bytes, n, "mem.safetensors", &err);
    CHECK_MSG(copy && models_identical(copy, m), "from memory: %s", copy ? "differs" : err.msg);
    ba_model_free(copy);
    copy = model_load_mem(bytes, n - 1, "mem.safetensors", &err);
    CHECK(copy == NULL && strncmp(err.msg, "mem.safetensors: ", 17) == 0);
    free(bytes);

    int bias_index = -1;
    for (int i = 0; i < f.n_tensors; i++)
        if (strcmp(f.tensors[i].name, "model.2.bias") == 0)
            bias_index = i;
    CHECK(bias_index >= 0);
    write_damaged(&f, bad, (damage){.drop = bias_index});
    expect_load_fails(bad, "a tensor fewer", "tensors");
    write_damaged(&f, bad, (damage){.drop = -1, .rename_from = "model.4.logsig2_w",
                                    .rename_to = "model.4.logsig2"});
    expect_load_fails(bad, "a tensor renamed", "model.4.logsig2_w");
    /* (50, 20) stored as (20, 50): the same number of values, in the wrong layout. */
    write_damaged(&f, bad, (damage){.drop = -1, .transpose = "model.0.mu_w"});
    expect_load_fails(bad, "a tensor transposed", "model.0.mu_w");
    write_damaged(&f, bad, (damage){.drop = -1, .drop_meta = "hidden"});
    expect_load_fails(bad, "metadata without hidden", "hidden");
    write_damaged(&f, bad, (damage){.drop = -1, .drop_meta = "gluon_pt_mean"});
    expect_load_fails(bad, "metadata without gluon_pt_mean", "gluon_pt_mean");
    write_damaged(&f, bad, (damage){.drop = -1, .set_meta_key = "hidden",
                                    .set_meta_value = "50,50"});
    expect_load_fails(bad, "hidden disagrees with the tensors", NULL);
    /* Regression: widths that are each valid (up to 100000) but far beyond the tensors
     * were allocated before the tensors were compared, 3 x 10^10 weights, hundreds of
     * GB for a file of a few KB: out of memory, or worse the memory taken. The file must
     * be refused for its tensors, before any allocation. */
    write_damaged(&f, bad, (damage){.drop = -1, .set_meta_key = "hidden",
                                    .set_meta_value = "100000,100000,100000"});
    expect_load_fails(bad, "huge hidden widths", "model.0.mu_w has the wrong shape");
    write_damaged(&f, bad, (damage){.drop = -1, .set_meta_key = "hidden",
                                    .set_meta_value = "50,,50"});
    expect_load_fails(bad, "hidden malformed", "hidden");
    /* Regression (found by tests/fuzz/fuzz_model): metadata strings went into the
     * message as they were, so a line break in the file broke the one-line error. */
    static const struct {
        const char *key, *value;
    } multiline[] = {{"features", "log_invari\nts"}, {"activation", "re\rlu\n"}};
    for (int i = 0; i < 2; i++) {
        write_damaged(&f, bad, (damage){.drop = -1, .set_meta_key = multiline[i].key,
                                        .set_meta_value = multiline[i].value});
        ba_error e2 = {{0}};
        CHECK(ba_model_load(bad, &e2) == NULL);
        CHECK_MSG(strchr(e2.msg, '\n') == NULL && strchr(e2.msg, '\r') == NULL &&
                      contains(e2.msg, "not supported"),
                  "%s: \"%s\"", multiline[i].key, e2.msg);
    }
    write_damaged(&f, bad, (damage){.drop = -1, .set_meta_key = "gluon_pt_mean",
                                    .set_meta_value = "-3"});
    expect_load_fails(bad, "negative gluon_pt_mean", "gluon_pt_mean");
    /* Files from before processes have no "process": they are g g > a a g. */
    write_damaged(&f, bad, (damage){.drop = -1, .drop_meta = "process"});
    copy = ba_model_load(bad, &err);
    CHECK_MSG(copy && models_identical(copy, m) &&
                  !strcmp(ba_model_preprocessing(copy)->process.text, "g g > a a g"),
              "model without a process: %s", copy ? "differs" : err.msg);
    ba_model_free(copy);
    write_damaged(&f, bad, (damage){.drop = -1, .set_meta_key = "process",
                                    .set_meta_value = "g g > a x g"});
    expect_load_fails(bad, "unknown particle in the process", "\"x\"");
    write_damaged(&f, bad, (damage){.drop = -1, .set_meta_key = "process",
                                    .set_meta_value = "g g > t t~"});
    expect_load_fails(bad, "process of 4 particles, masses of 5", "masses");
    write_damaged(&f, bad, (damage){.drop = -1, .set_meta_key = "process",
                                    .set_meta_value = "g g > g g g g"});
    expect_load_fails(bad, "process of 6 particles, 5 masses", "masses");
    write_damaged(&f, bad, (damage){.drop = -1, .poison = "model.4.mu_w",
                                    .poison_value = NAN});
    expect_load_fails(bad, "a NaN weight", "model.4.mu_w");
    write_damaged(&f, bad, (damage){.drop = -1, .poison = "model.6.bias",
                                    .poison_value = -INFINITY});
    expect_load_fails(bad, "an infinite bias", "model.6.bias");
    st_free(&f);
    unlink(bad);
    unlink(good);
    ba_model_free(m);
}

static void test_save_refuses(const char *dir)
{
    ba_arch a = make_arch(1, W_SMALL, 1.0);
    ba_model *m = create(&a, 3);
    char path[4096];
    ba_error err;
    join(path, sizeof path, dir, "nan.safetensors");

    int before = count_entries(dir);
    ba_real saved = m->params[m->layers[1].logsig2_w + 3];
    m->params[m->layers[1].logsig2_w + 3] = (ba_real)NAN;
    CHECK(ba_model_save(m, path, &err) != 0);
    CHECK(contains(err.msg, path));
    CHECK(!file_exists(path));
    CHECK(count_entries(dir) == before);

    /* Over an existing file: the old one stays as it was. */
    m->params[m->layers[1].logsig2_w + 3] = saved;
    CHECK(ba_model_save(m, path, &err) == 0);
    size_t n_old, n_now;
    unsigned char *old = read_all(path, &n_old);
    m->params[m->layers[0].mu_w] = (ba_real)INFINITY;
    CHECK(ba_model_save(m, path, &err) != 0);
    unsigned char *now = read_all(path, &n_now);
    CHECK(n_old == n_now && memcmp(old, now, n_old) == 0);
    CHECK(count_entries(dir) == before + 1);
    free(old);
    free(now);
    unlink(path);
    m->params[m->layers[0].mu_w] = 0;

    /* Into a folder that does not exist, and under a regular file. */
    char missing[4200];
    join(missing, sizeof missing, dir, "no-such-folder/model.safetensors");
    CHECK(ba_model_save(m, missing, &err) != 0);
    CHECK_MSG(contains(err.msg, missing), "%s", err.msg);
    char blocker[4200], under_file[4300];
    join(blocker, sizeof blocker, dir, "a-file");
    write_all(blocker, "x", 1);
    join(under_file, sizeof under_file, blocker, "model.safetensors");
    CHECK(ba_model_save(m, under_file, &err) != 0);
    CHECK_MSG(contains(err.msg, under_file), "%s", err.msg);
    unlink(blocker);
    CHECK(count_entries(dir) == before);
    ba_model_free(m);
}

static double mean_of(const ba_real *v, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += v[i];
    return s / (double)n;
}

static double std_of(const ba_real *v, size_t n)
{
    double mu = mean_of(v, n), s = 0;
    for (size_t i = 0; i < n; i++)
        s += (v[i] - mu) * (v[i] - mu);
    return sqrt(s / (double)(n - 1));
}

static void test_init(void)
{
    ba_arch a = make_arch(3, W_TUTORIAL, 1.0);
    ba_model *m1 = create(&a, 1), *m2 = create(&a, 1), *m3 = create(&a, 2);
    CHECK(models_identical(m1, m2));
    CHECK(memcmp(m1->params, m3->params, m1->n_params * sizeof *m1->params) != 0);
    /* Different seeds give unrelated draws, not shifted or partly shared ones. (Only
     * mu_w is compared: in float32, logsig2_w = -9 + 0.001 z has so few distinct values
     * that independent draws coincide now and then.) */
    size_t same = 0, n_mu = 0;
    for (int l = 0; l < m1->n_layers; l++) {
        const layer_layout *L = &m1->layers[l];
        for (size_t i = 0; i < L->n_weights; i++)
            same += m1->params[L->mu_w + i] == m3->params[L->mu_w + i];
        n_mu += L->n_weights;
    }
    CHECK_MSG(same == 0, "%zu of %zu mu_w equal for seeds 1 and 2", same, n_mu);

    /* The tutorial's initialisation, layer by layer: mu_w ~ N(0, 1/n_in),
     * logsig2_w ~ N(-9, 0.001^2), bias = 0. */
    for (int l = 0; l < m1->n_layers; l++) {
        const layer_layout *L = &m1->layers[l];
        const ba_real *mu = m1->params + L->mu_w, *ls = m1->params + L->logsig2_w;
        double want_std = 1.0 / sqrt((double)L->n_in);
        if (L->n_weights >= 1000) { /* too few weights in the last layer for statistics */
            CHECK_MSG(fabs(std_of(mu, L->n_weights) / want_std - 1) < 0.1,
                      "layer %d: std(mu_w) %g, want %g", l, std_of(mu, L->n_weights), want_std);
            CHECK_MSG(fabs(mean_of(mu, L->n_weights)) < 5 * want_std / sqrt(L->n_weights),
                      "layer %d: mean(mu_w) %g", l, mean_of(mu, L->n_weights));
            CHECK_MSG(fabs(std_of(ls, L->n_weights) / 0.001 - 1) < 0.1,
                      "layer %d: std(logsig2_w) %g", l, std_of(ls, L->n_weights));
        }
        CHECK_MSG(fabs(mean_of(ls, L->n_weights) + 9) < 1e-3, "layer %d: mean(logsig2_w) %.9g",
                  l, mean_of(ls, L->n_weights));
        int nonzero_bias = 0;
        for (int i = 0; i < L->n_out; i++)
            nonzero_bias += m1->params[L->bias + i] != 0;
        CHECK(nonzero_bias == 0);
    }
    CHECK(ba_model_preprocessing(m1)->gluon_pt_mean == 1); /* the neutral default until a data set sets it */

    /* Architectures that make no network. */
    ba_error err;
    ba_arch bad = a;
    bad.hidden[1] = 0;
    CHECK(ba_model_create(&bad, 1, &err) == NULL && contains(err.msg, "width"));
    bad = a;
    bad.prior_sigma = 0;
    CHECK(ba_model_create(&bad, 1, &err) == NULL && contains(err.msg, "prior"));
    bad.prior_sigma = NAN;
    CHECK(ba_model_create(&bad, 1, &err) == NULL);
    bad = a;
    bad.n_hidden = BA_MAX_LAYERS + 1;
    CHECK(ba_model_create(&bad, 1, &err) == NULL);
    bad = a;
    bad.n_inputs = 0;
    CHECK(ba_model_create(&bad, 1, &err) == NULL);
    ba_model_free(NULL); /* allowed, like free(NULL) */
    ba_model_free(m1);
    ba_model_free(m2);
    ba_model_free(m3);
}

int main(void)
{
    char dir[] = "/tmp/bayesamp-test-model-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 2;
    }
    test_round_trip(dir);
    test_load_refuses(dir);
    test_save_refuses(dir);
    test_init();
    CHECK(count_entries(dir) == 0);
    rmdir(dir);
    return test_summary("test_model_file");
}
