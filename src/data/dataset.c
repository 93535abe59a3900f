/* The Heidelberg data layout and the tutorial's preprocessing.
 *
 * A data folder holds {trn,val,tst}_dat.npy, momenta of shape (N, P, 4) with the
 * particles in the order of the process (physics/process.h; for g g > a a g
 * [g_in, g_in, photon, photon, g_out]) and components (E, px, py, pz) in GeV, and
 * {trn,val,tst}_amp.npy, amplitudes of shape (N,). The process is stated, or found in
 * the folder's generate.json, or, for 5 particles, g g > a a g (ba_data_process). The
 * network sees the 4P momentum components divided by the mean transverse momentum of
 * the last outgoing particle over the training set, and learns log(amplitude); or the
 * Lorentz invariants and log(A s_12^(P-4)) (data/features.h), optionally standardised.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "bayesamp.h"
#include "common/error.h"
#include "common/parallel.h"
#include "data/features.h"
#include "data/dataset.h"
#include "data/event_file.h"
#include "data/npy.h"
#include "physics/process.h"

/* The splits' names, in the order of ba_dataset's trn, val, tst. */
static const char *const SPLIT_NAMES[3] = {"trn", "val", "tst"};

/* Standardised value of x with the constants (mean, std). */
static double standardise(double x, double mean, double std) { return (x - mean) / std; }

/* The network's inputs of one event: raw features, standardised if asked; -1 if the
 * event has no valid features. */
static int event_inputs(const double *event, const ba_preprocessing *pre, ba_real *out)
{
    double f[BA_MAX_FEATURES];
    if (event_features(pre->features, &pre->process, event, pre->gluon_pt_mean, f))
        return -1;
    for (int k = 0; k < pre->n_features; k++)
        out[k] = (ba_real)(pre->standardize ? standardise(f[k], pre->x_mean[k], pre->x_std[k])
                                            : f[k]);
    return 0;
}

/* pre itself, or, if it names no process (a ba_preprocessing filled in by a program
 * written before processes), a copy in tmp with g g > a a g. */
static const ba_preprocessing *with_process(const ba_preprocessing *pre,
                                            ba_preprocessing *tmp)
{
    if (pre->process.n_particles > 0)
        return pre;
    *tmp = *pre;
    process_default(&tmp->process);
    return tmp;
}

int ba_preprocess_events(const double *momenta, size_t n, const ba_preprocessing *pre,
                         ba_real *features, ba_error *err)
{
    ba_preprocessing tmp;
    pre = with_process(pre, &tmp);
    size_t stride = (size_t)N_COMPONENTS * (size_t)pre->process.n_particles;
    for (size_t i = 0; i < n; i++)
        if (event_inputs(momenta + i * stride, pre,
                         features + i * (size_t)pre->n_features))
            return ba_fail(err, "event %zu: an invariant s_ij is not positive, so the "
                           "invariant features do not exist", i);
    return 0;
}

void ba_target_to_log_amplitude(const double *event, const ba_preprocessing *pre, double *a,
                                double *b)
{
    /* y_net = (t - y_mean) / y_std with the raw target t; log A from t */
    ba_preprocessing tmp;
    pre = with_process(pre, &tmp);
    *a = pre->y_std;
    *b = target_to_log_amplitude(pre->features, &pre->process, event, pre->y_mean);
}

/* What the loader checks: the process's particle count always; the kinematics (mass
 * shells, momentum conservation) unless the data come through the API from before
 * processes, whose callers may hold any (N, 5, 4) numbers. */
typedef struct load_spec {
    const ba_process *process;
    int check_kinematics;
} load_spec;

static int load_raw_split(const char *dir, const char *split, const load_spec *spec,
                          raw_split *out, ba_error *err)
{
    memset(out, 0, sizeof *out);
    snprintf(out->dat_path, sizeof out->dat_path, "%s/%s_dat.npy", dir, split);
    snprintf(out->amp_path, sizeof out->amp_path, "%s/%s_amp.npy", dir, split);
    if (npy_read(out->dat_path, &out->dat, err))
        return -1;
    if (npy_read(out->amp_path, &out->amp, err)) {
        npy_free(&out->dat);
        return -1;
    }
    return dataset_check_split(out, spec->process, spec->check_kinematics, err);
}

/* The checks of one event (momenta, and its amplitude unless amp is NULL); the problem
 * goes to err, named as row `row`. */
static int check_row(const ba_process *proc, const double *event, const double *amp,
                     size_t row, int check_kinematics, const char *dat_name,
                     const char *amp_name, ba_error *err)
{
    static const char *components[N_COMPONENTS] = {"E", "px", "py", "pz"};
    size_t stride = (size_t)N_COMPONENTS * (size_t)proc->n_particles;
    for (size_t k = 0; k < stride; k++)
        if (!isfinite(event[k]))
            return ba_fail(err, "%s: row %zu: non-finite momentum component %g (particle %zu, "
                           "%s, %s)", dat_name, row, event[k], k / N_COMPONENTS + 1,
                           proc->name[k / N_COMPONENTS], components[k % N_COMPONENTS]);
    ba_error why;
    if (check_kinematics && ba_process_check_event(proc, event, &why))
        return ba_fail(err, "%s: row %zu: %s", dat_name, row, why.msg);
    if (amp && !(*amp > 0 && isfinite(*amp)))
        return ba_fail(err, "%s: row %zu: amplitude %g is not positive and finite", amp_name,
                       row, *amp);
    return 0;
}

int dataset_check_rows(const ba_process *proc, const double *momenta, const double *amp,
                       size_t n, size_t first, int check_kinematics, const char *dat_name,
                       const char *amp_name, ba_error *err)
{
    /* The rows are checked in parallel (in memory the checks were 13 % of a mean-weight
     * prediction, BENCHMARKS.md), and the error names the first bad row, as a loop in
     * order would: each thread keeps the first bad row of its contiguous share, the
     * smallest of them is checked again for its message. */
    size_t stride = (size_t)N_COMPONENTS * (size_t)proc->n_particles, first_bad = SIZE_MAX;
#pragma omp parallel for schedule(static) reduction(min : first_bad)
    for (size_t i = 0; i < n; i++) {
        if (first_bad == SIZE_MAX &&
            check_row(proc, momenta + i * stride, amp ? amp + i : NULL, first + i,
                      check_kinematics, dat_name, amp_name, NULL))
            first_bad = i;
    }
    if (first_bad == SIZE_MAX)
        return 0;
    return check_row(proc, momenta + first_bad * stride, amp ? amp + first_bad : NULL,
                     first + first_bad, check_kinematics, dat_name, amp_name, err);
}

int ba_events_check(const ba_process *process, const double *momenta, const double *amp,
                    size_t n, const char *name, ba_error *err)
{
    char dat_name[256], amp_name[256];
    snprintf(dat_name, sizeof dat_name, "%s%smomenta", name ? name : "", name ? " " : "");
    snprintf(amp_name, sizeof amp_name, "%s%samplitudes", name ? name : "", name ? " " : "");
    return dataset_check_rows(process, momenta, amp, n, 0, 1, dat_name, amp_name, err);
}

int dataset_check_shapes(const npy_array *d, const npy_array *a, const char *dat_path,
                         const char *amp_path, const ba_process *proc, ba_error *err)
{
    size_t n_particles = (size_t)proc->n_particles;
    if (d->ndim != 3 || d->shape[1] != n_particles || d->shape[2] != N_COMPONENTS) {
        char shape[128] = "";
        size_t used = 0;
        for (int i = 0; i < d->ndim && used < sizeof shape; i++)
            used += (size_t)snprintf(shape + used, sizeof shape - used, "%s%zu", i ? ", " : "",
                                     d->shape[i]);
        return ba_fail(err, "%s: momenta must have shape (N, %zu, 4) for the %zu particles of "
                       "\"%s\", found (%s%s)", dat_path, n_particles, n_particles, proc->text,
                       shape, d->ndim == 1 ? "," : "");
    }
    if (a->ndim != 1)
        return ba_fail(err, "%s: amplitudes must have shape (N,), found %d dimensions",
                       amp_path, a->ndim);
    if (a->shape[0] != d->shape[0])
        return ba_fail(err, "%s has %zu events but %s has %zu", dat_path, d->shape[0],
                       amp_path, a->shape[0]);
    if (d->shape[0] == 0)
        return ba_fail(err, "%s: no events", dat_path);
    return 0;
}

int dataset_check_split(raw_split *out, const ba_process *proc, int check_kinematics,
                        ba_error *err)
{
    const npy_array *d = &out->dat, *a = &out->amp;
    int rc = dataset_check_shapes(d, a, out->dat_path, out->amp_path, proc, err);
    if (rc == 0)
        rc = dataset_check_rows(proc, d->data, a->data, d->shape[0], 0, check_kinematics,
                                out->dat_path, out->amp_path, err);
    if (rc) {
        npy_free(&out->dat);
        npy_free(&out->amp);
    }
    return rc;
}

/* par_chain's terms: the transverse momentum of the last outgoing particle of each event */
typedef struct pt_terms {
    const raw_split *raw;
    const ba_process *process;
} pt_terms;

static void add_pts(double *acc, void *user)
{
    const pt_terms *t = user;
    size_t stride = (size_t)N_COMPONENTS * (size_t)t->process->n_particles;
    for (size_t i = 0; i < t->raw->dat.shape[0]; i++)
        acc[0] += outgoing_pt(t->process, t->raw->dat.data + i * stride);
}

/* par_chain's terms: the raw features of every event (event_features) and its raw target,
 * or, with center, their squared distances from it (n_features + 1 sums). Computed as
 * they are added, not kept: they would take as much memory as the momenta. The first
 * event without features stops the sum and is noted in bad_row (its index in the
 * split + 1). */
typedef struct feature_terms {
    const raw_split *raw;
    const ba_preprocessing *pre;
    const double *center;
    size_t bad_row;
} feature_terms;

static void add_features(double *acc, void *user)
{
    feature_terms *t = user;
    const ba_preprocessing *pre = t->pre;
    size_t stride = (size_t)N_COMPONENTS * (size_t)pre->process.n_particles;
    int nf = pre->n_features;
    double f[BA_MAX_FEATURES + 1];
    for (size_t i = 0; i < t->raw->dat.shape[0]; i++) {
        const double *event = t->raw->dat.data + i * stride;
        if (event_features(pre->features, &pre->process, event, pre->gluon_pt_mean, f)) {
            t->bad_row = i + 1;
            return;
        }
        f[nf] = event_target(pre->features, &pre->process, event, t->raw->amp.data[i]);
        for (int k = 0; k <= nf; k++)
            acc[k] += t->center ? (f[k] - t->center[k]) * (f[k] - t->center[k]) : f[k];
    }
}

/* The constants of the preprocessing from the training split, n_total events of which
 * trn holds those from row first on (all of them unless across_ranks): the mean pT of
 * the last outgoing particle and, with standardisation, the mean and standard deviation
 * of every raw feature and of the raw target (in double, two passes). */
static int fit_preprocessing(const raw_split *trn, size_t first, size_t n_total,
                             int across_ranks, ba_preprocessing *pre, ba_error *err)
{
    const ba_process *proc = &pre->process;
    double sum = 0, n = (double)n_total;
    pt_terms pts = {trn, proc};
    par_chain(across_ranks, &sum, 1, add_pts, &pts);
    pre->gluon_pt_mean = sum / n;
    if (!(pre->gluon_pt_mean > 0))
        return ba_fail(err, "%s: the last outgoing particle (%s) has no transverse momentum "
                       "in any event; cannot normalise", trn->dat_path,
                       proc->name[proc->n_particles - 1]);
    pre->n_features = feature_count(pre->features, proc);
    pre->y_mean = 0;
    pre->y_std = 1;
    for (int k = 0; k < pre->n_features; k++)
        pre->x_mean[k] = 0, pre->x_std[k] = 1;
    if (!pre->standardize)
        return 0;
    int nf = pre->n_features;
    /* the features then the target */
    double mean[BA_MAX_FEATURES + 1] = {0}, sq[BA_MAX_FEATURES + 1] = {0};
    feature_terms terms = {trn, pre, NULL, 0};
    for (int pass = 0; pass < 2; pass++) {
        par_chain(across_ranks, pass == 0 ? mean : sq, (size_t)nf + 1, add_features, &terms);
        int rc = terms.bad_row ? ba_fail(err, "%s: row %zu: an invariant s_ij is not positive",
                                         trn->dat_path, first + terms.bad_row - 1)
                               : 0;
        if (across_ranks)
            rc = par_agree(rc, err);
        if (rc)
            return rc;
        if (pass == 0)
            for (int k = 0; k <= nf; k++)
                mean[k] /= n;
        terms.center = mean;
    }
    for (int k = 0; k < nf; k++) {
        pre->x_mean[k] = mean[k];
        pre->x_std[k] = sqrt(sq[k] / n);
        /* a constant input (the incoming gluons' zero px, say) carries no information:
         * keep it at 0 rather than divide by 0 */
        if (!(pre->x_std[k] > 0))
            pre->x_std[k] = 1;
    }
    pre->y_mean = mean[nf];
    pre->y_std = sqrt(sq[nf] / n);
    if (!(pre->y_std > 0))
        pre->y_std = 1;
    return 0;
}

/* The split of raw's events, whose first is row `first` of the whole split (as errors
 * name it). */
static int make_split(const raw_split *raw, size_t first, const ba_preprocessing *pre,
                      ba_split *out, ba_error *err)
{
    size_t n = raw->dat.shape[0];
    size_t nf = (size_t)pre->n_features;
    out->n = n;
    out->n_features = nf;
    out->x = malloc((n ? n : 1) * nf * sizeof *out->x);
    out->y = malloc((n ? n : 1) * sizeof *out->y);
    if (!out->x || !out->y) {
        free(out->x), free(out->y);
        memset(out, 0, sizeof *out);
        return ba_fail(err, "out of memory for %zu events", n);
    }
    size_t stride = (size_t)N_COMPONENTS * (size_t)pre->process.n_particles;
    for (size_t i = 0; i < n; i++) {
        const double *event = raw->dat.data + i * stride;
        if (event_inputs(event, pre, out->x + i * nf))
            return ba_fail(err, "%s: row %zu: an invariant s_ij is not positive",
                           raw->dat_path, first + i);
        double y = event_target(pre->features, &pre->process, event, raw->amp.data[i]);
        out->y[i] = (ba_real)(pre->standardize ? standardise(y, pre->y_mean, pre->y_std) : y);
    }
    return 0;
}

/* ---- the process of a data folder ---- */

/* A source names one file of events (FILE.npy, FILE.h5:NAME), not a data folder; what
 * is neither is taken for a folder, so that a missing one is reported as today. */
static int is_event_file(const char *source)
{
    event_spec_kind k = event_spec_classify(source);
    return k == EVENT_SPEC_NPY || k == EVENT_SPEC_HDF5;
}

/* The "process" string of dir/generate.json into text; 0 if found, 1 if there is no
 * such file or key (folders from before processes), -1 on a file that is not JSON. */
static int generate_json_process(const char *dir, char *text, size_t size, ba_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/generate.json", dir);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return 1;
    char *buf = NULL;
    long len = -1;
    if (fseek(fp, 0, SEEK_END) == 0 && (len = ftell(fp)) >= 0 && fseek(fp, 0, SEEK_SET) == 0)
        buf = malloc((size_t)len + 1);
    size_t got = buf ? fread(buf, 1, (size_t)len, fp) : 0;
    fclose(fp);
    if (!buf || got != (size_t)len) {
        free(buf);
        return ba_fail(err, "%s: cannot read", path);
    }
    buf[len] = '\0';
    cJSON *root = cJSON_Parse(buf);
    free(buf);
    if (!root)
        return ba_fail(err, "%s: not valid JSON", path);
    const cJSON *proc = cJSON_GetObjectItemCaseSensitive(root, "process");
    int rc = 1;
    if (cJSON_IsString(proc)) {
        snprintf(text, size, "%s", proc->valuestring);
        rc = 0;
    } else if (proc) {
        rc = ba_fail(err, "%s: \"process\" is not a string", path);
    }
    cJSON_Delete(root);
    return rc;
}

int ba_data_process(const char *dir, const char *text, ba_process *out, const char **source,
                    ba_error *err)
{
    const char *unused;
    if (!source)
        source = &unused;
    *source = "given";
    if (text)
        return ba_process_parse(text, out, err);
    if (is_event_file(dir)) {
        /* one file of events: no generate.json; five particles default as for folders */
        event_file f;
        if (event_file_open(&f, dir, 0, EVENT_AMP_OPTIONAL, err))
            return -1;
        int p = f.n_particles;
        event_file_close(&f);
        *source = "default";
        if (p == 5) {
            process_default(out);
            return 0;
        }
        return ba_fail(err, "%s: events of %d particles and no process stated (only "
                       "5-particle data default to \"%s\"): give the process, e.g. "
                       "--process \"g g > g g g\"", dir, p, BA_PROCESS_DEFAULT);
    }
    *source = "generate.json";
    char stated[1024], path[4096];
    int found = generate_json_process(dir, stated, sizeof stated, err);
    if (found < 0)
        return -1;
    if (found == 0) {
        ba_error why;
        if (ba_process_parse(stated, out, &why))
            return ba_fail(err, "%s/generate.json: %s", dir, why.msg);
        return 0;
    }
    /* Nothing stated: the particle count of the training momenta decides. */
    snprintf(path, sizeof path, "%s/trn_dat.npy", dir);
    npy_reader r;
    if (npy_reader_open(&r, path, err))
        return -1;
    int ndim = r.ndim;
    size_t p = ndim == 3 ? r.shape[1] : 0;
    npy_reader_close(&r);
    if (p == 5) {
        *source = "default";
        process_default(out);
        return 0;
    }
    if (ndim != 3)
        return ba_fail(err, "%s: momenta must have shape (N, P, 4), found %d dimensions",
                       path, ndim);
    return ba_fail(err, "%s: momenta of %zu particles and no process stated (only 5-particle "
                   "data default to \"%s\"): give the process, e.g. --process \"g g > g g g\"",
                   path, p, BA_PROCESS_DEFAULT);
}

/* ---- loading ---- */

/* A single file of events (event_file.h) cut into the three splits by fractions, as
 * raw splits: every event checked first (the kinematics, if asked, naming the file's
 * row), then split deterministically (event_split_assign). */
static int load_raw_file(const char *spec, const double fractions[3], const load_spec *ls,
                         raw_split raw[3], ba_error *err)
{
    memset(raw, 0, 3 * sizeof *raw);
    event_data all;
    if (event_file_load(spec, ls->process->n_particles, EVENT_AMP_REQUIRED, &all, err))
        return -1;
    size_t stride = 4 * (size_t)all.n_particles;
    int rc = 0;
    for (size_t i = 0; rc == 0 && ls->check_kinematics && i < all.n; i++) {
        ba_error why;
        if (ba_process_check_event(ls->process, all.momenta + i * stride, &why))
            rc = ba_fail(err, "%s: row %zu: %s", spec, i, why.msg);
    }
    unsigned char *labels = rc == 0 ? malloc(all.n) : NULL;
    size_t counts[3];
    if (rc == 0 && !labels)
        rc = ba_fail(err, "%s: out of memory for %zu events", spec, all.n);
    if (rc == 0)
        rc = event_split_assign(all.n, fractions, EVENT_SPLIT_SHUFFLED, EVENT_SPLIT_SEED,
                                labels, counts, err);
    for (int s = 0; rc == 0 && s < 3; s++) {
        event_data part;
        rc = event_data_take(&all, labels, s, &part, err);
        if (rc)
            break;
        dataset_name_file_split(&raw[s], spec, s);
        raw[s].dat = (npy_array){.ndim = 3, .shape = {part.n, (size_t)part.n_particles, 4},
                                 .count = part.n * stride, .data = part.momenta};
        raw[s].amp = (npy_array){.ndim = 1, .shape = {part.n}, .count = part.n,
                                 .data = part.amplitudes};
    }
    free(labels);
    event_data_free(&all);
    if (rc)
        for (int s = 0; s < 3; s++) {
            npy_free(&raw[s].dat);
            npy_free(&raw[s].amp);
        }
    return rc;
}

int dataset_source_is_folder(const char *source, const double *fractions, ba_error *err)
{
    int is_folder = !is_event_file(source);
    if (is_folder && fractions)
        return ba_fail(err, "%s: a folder holds its own trn, val and tst files; --split is "
                       "for a single file of events", source);
    if (!is_folder && !fractions)
        return ba_fail(err, "%s: one file holds a single set of events: give the fractions "
                       "that cut it into training, validation and test events (train "
                       "--split, evaluate --data-split, e.g. 0.8,0.1,0.1)", source);
    return is_folder;
}

/* The three splits of a source: a folder in the Heidelberg layout (fractions NULL), or
 * one file of events with the fractions of its split. paths get what messages name. */
static int load_raw_splits(const char *source, const double *fractions, const load_spec *spec,
                           raw_split raw[3], ba_error *err)
{
    int is_folder = dataset_source_is_folder(source, fractions, err);
    if (is_folder < 0)
        return -1;
    memset(raw, 0, 3 * sizeof *raw);
    if (!is_folder)
        return load_raw_file(source, fractions, spec, raw, err);
    for (int s = 0; s < 3; s++) {
        if (load_raw_split(source, SPLIT_NAMES[s], spec, &raw[s], err)) {
            for (int t = 0; t < s; t++) {
                npy_free(&raw[t].dat);
                npy_free(&raw[t].amp);
            }
            return -1;
        }
    }
    return 0;
}

static int load_dataset(const char *source, const double *fractions, const load_spec *spec,
                        ba_features features, int standardize, ba_dataset *out, ba_error *err)
{
    raw_split raw[3];
    memset(out, 0, sizeof *out);
    int rc = load_raw_splits(source, fractions, spec, raw, err);
    if (rc)
        return rc;
    rc = dataset_from_splits(raw, spec->process, features, standardize, out, err);
    for (int s = 0; s < 3; s++) {
        npy_free(&raw[s].dat);
        npy_free(&raw[s].amp);
    }
    return rc;
}

int dataset_from_splits(const raw_split raw[3], const ba_process *process,
                        ba_features features, int standardize, ba_dataset *out,
                        ba_error *err)
{
    const size_t first[3] = {0, 0, 0};
    const size_t total[3] = {raw[0].dat.shape[0], raw[1].dat.shape[0], raw[2].dat.shape[0]};
    return dataset_from_shares(raw, first, total, 0, process, features, standardize, out, err);
}

int dataset_from_shares(const raw_split raw[3], const size_t first[3], const size_t total[3],
                        int across_ranks, const ba_process *process, ba_features features,
                        int standardize, ba_dataset *out, ba_error *err)
{
    memset(out, 0, sizeof *out);
    out->pre.features = features;
    out->pre.standardize = standardize;
    out->pre.process = *process;
    int rc = fit_preprocessing(&raw[0], first[0], total[0], across_ranks, &out->pre, err);
    ba_split *splits[3] = {&out->trn, &out->val, &out->tst};
    for (int s = 0; s < 3 && rc == 0; s++)
        rc = make_split(&raw[s], first[s], &out->pre, splits[s], err);
    if (across_ranks)
        rc = par_agree(rc, err);
    if (rc)
        ba_dataset_free(out);
    return rc;
}

/* A split of events in memory as a raw split (copies, which dataset_check_split frees
 * on failure), checked as the file loaders check theirs; an empty tst is allowed. */
static int raw_from_events(const ba_events *ev, const char *name, const ba_process *process,
                           int allow_empty, raw_split *out, ba_error *err)
{
    memset(out, 0, sizeof *out);
    snprintf(out->dat_path, sizeof out->dat_path, "%s momenta", name);
    snprintf(out->amp_path, sizeof out->amp_path, "%s amplitudes", name);
    size_t n = ev->n, per = (size_t)N_COMPONENTS * (size_t)(ev->n_particles > 0 ? ev->n_particles : 0);
    out->dat = (npy_array){.ndim = 3, .shape = {n, (size_t)ev->n_particles, N_COMPONENTS},
                           .count = n * per, .data = malloc((n ? n * per : 1) * sizeof(double))};
    out->amp = (npy_array){.ndim = 1, .shape = {n}, .count = n,
                           .data = malloc((n ? n : 1) * sizeof(double))};
    if (!out->dat.data || !out->amp.data) {
        npy_free(&out->dat);
        npy_free(&out->amp);
        return ba_fail(err, "%s: out of memory for %zu events", name, n);
    }
    if (n) {
        memcpy(out->dat.data, ev->momenta, n * per * sizeof(double));
        memcpy(out->amp.data, ev->amp, n * sizeof(double));
    }
    if (n == 0 && allow_empty && ev->n_particles == process->n_particles)
        return 0;
    return dataset_check_split(out, process, 1, err);
}

int ba_dataset_from_events(const ba_events *trn, const ba_events *val, const ba_events *tst,
                           const ba_process *process, ba_features features, int standardize,
                           ba_dataset *out, ba_error *err)
{
    memset(out, 0, sizeof *out);
    const ba_events *ev[3] = {trn, val, tst};
    static const char *names[3] = {"training", "validation", "test"};
    raw_split raw[3];
    int made = 0, rc = 0;
    for (; made < 3 && rc == 0; made++)
        rc = raw_from_events(ev[made], names[made], process, made == 2, &raw[made], err);
    if (rc)
        made--; /* the failed split has freed its arrays */
    else
        rc = dataset_from_splits(raw, process, features, standardize, out, err);
    for (int s = 0; s < made; s++) {
        npy_free(&raw[s].dat);
        npy_free(&raw[s].amp);
    }
    return rc;
}

int ba_dataset_load_process(const char *dir, const ba_process *process, ba_features features,
                            int standardize, ba_dataset *out, ba_error *err)
{
    return ba_dataset_load_source(dir, NULL, process, features, standardize, out, err);
}

int ba_dataset_load_source(const char *source, const double *split, const ba_process *process,
                           ba_features features, int standardize, ba_dataset *out,
                           ba_error *err)
{
    load_spec spec = {process, 1};
    return load_dataset(source, split, &spec, features, standardize, out, err);
}

int ba_dataset_load(const char *dir, ba_dataset *out, ba_error *err)
{
    return ba_dataset_load_as(dir, BA_FEATURES_MOMENTA, 0, out, err);
}

int ba_dataset_load_as(const char *dir, ba_features features, int standardize,
                       ba_dataset *out, ba_error *err)
{
    ba_process aag;
    process_default(&aag);
    load_spec spec = {&aag, 0};
    return load_dataset(dir, NULL, &spec, features, standardize, out, err);
}

int dataset_split_index(const char *split)
{
    for (int s = 0; s < 3; s++)
        if (!strcmp(split, SPLIT_NAMES[s]))
            return s;
    return -1;
}

const char *dataset_split_name(int s) { return SPLIT_NAMES[s]; }

void dataset_name_file_split(raw_split *raw, const char *spec, int s)
{
    snprintf(raw->dat_path, sizeof raw->dat_path, "%s (%s events)", spec, SPLIT_NAMES[s]);
    snprintf(raw->amp_path, sizeof raw->amp_path, "%s (%s events)", spec, SPLIT_NAMES[s]);
}

static int load_events(const char *source, const double *fractions, const char *split,
                       const load_spec *spec, ba_events *out, ba_error *err)
{
    raw_split raw;
    memset(out, 0, sizeof *out);
    if (fractions || is_event_file(source)) {
        /* a file: all three splits are made (the split needs every event), one kept */
        int which = dataset_split_index(split);
        if (which < 0)
            return ba_fail(err, "unknown split '%s'", split);
        raw_split all[3];
        if (load_raw_splits(source, fractions, spec, all, err))
            return -1;
        raw = all[which];
        for (int s = 0; s < 3; s++)
            if (s != which) {
                npy_free(&all[s].dat);
                npy_free(&all[s].amp);
            }
    } else if (load_raw_split(source, split, spec, &raw, err)) {
        return -1;
    }
    out->n = raw.dat.shape[0];
    out->momenta = raw.dat.data; /* ownership moves to out */
    out->amp = raw.amp.data;
    out->n_particles = spec->process->n_particles;
    return 0;
}

int ba_events_load_process(const char *dir, const char *split, const ba_process *process,
                           ba_events *out, ba_error *err)
{
    return ba_events_load_source(dir, NULL, split, process, out, err);
}

int ba_events_load_source(const char *source, const double *fractions, const char *split,
                          const ba_process *process, ba_events *out, ba_error *err)
{
    load_spec spec = {process, 1};
    return load_events(source, fractions, split, &spec, out, err);
}

int ba_events_load(const char *dir, const char *split, ba_events *out, ba_error *err)
{
    ba_process aag;
    process_default(&aag);
    load_spec spec = {&aag, 0};
    return load_events(dir, NULL, split, &spec, out, err);
}

void ba_events_free(ba_events *ev)
{
    free(ev->momenta);
    free(ev->amp);
    memset(ev, 0, sizeof *ev);
}

void ba_dataset_free(ba_dataset *ds)
{
    ba_split *splits[3] = {&ds->trn, &ds->val, &ds->tst};
    for (int s = 0; s < 3; s++) {
        free(splits[s]->x);
        free(splits[s]->y);
    }
    memset(ds, 0, sizeof *ds);
}
