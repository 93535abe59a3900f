/* bayesamp generate: a data set in the Heidelberg layout, from the LHC phase-space
 * generator and the exact one-loop |M|^2 (physics/generate.h does the work). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "common/clock.h"
#include "bayesamp.h"
#include "cli.h"
#include "common/parallel.h"
#include "data/npy.h"
#include "io/atomic_file.h"
#include "io/json_file.h"
#include "physics/amplitude.h"
#include "physics/generate.h"
#include "physics/phase_space.h"

static void generate_usage(FILE *out)
{
    fprintf(out,
        "usage: bayesamp generate --out DIR [options]\n"
        "\n"
        "Generate g g -> gamma gamma g events at the LHC with their exact one-loop |M|^2\n"
        "and write DIR/{trn,val,tst}_dat.npy ((N,5,4) float64: g_in(+z), g_in(-z), photon,\n"
        "photon, g_out; (E,px,py,pz) in GeV), DIR/{trn,val,tst}_amp.npy ((N,) float64,\n"
        "GeV^-2) and DIR/generate.json (settings, acceptance, timings). The files are the\n"
        "same for a given seed whatever --threads, and each split is the same whatever the\n"
        "sizes of the others. generate.json is written last: a folder without it is\n"
        "incomplete.\n"
        "\n"
        "  --out DIR              output folder, created if missing (required)\n"
        "  --n-train N            training events (default 30000)\n"
        "  --n-val N              validation events (default 30000)\n"
        "  --n-test N             test events (default 30000)\n"
        "  --seed N               random seed (default 1)\n"
        "  --sqrt-s X             hadronic centre-of-mass energy, GeV (default 13000)\n"
        "  --mhat-min X           sqrt(s_hat) is log-uniform in [mhat-min, mhat-max], GeV\n"
        "                         (default 200)\n"
        "  --mhat-max X           (default 2000)\n"
        "  --y-max X              largest |rapidity| of the partonic system (default 2)\n"
        "  --pt-min X             pT cut on the photons and the gluon, GeV (default 20)\n"
        "  --eta-photon-max X     |eta| cut on the photons (default 2.5)\n"
        "  --eta-gluon-max X      |eta| cut on the gluon (default 5)\n"
        "  --dr-min X             Delta R cut between every pair of outgoing particles\n"
        "                         (default 0.4)\n"
        "  --enrich-singular F    draw a fraction F of the training events near a\n"
        "                         singularity: redrawn until the smallest s_ij / s_12 is\n"
        "                         below --enrich-cut (validation and test stay flat)\n"
        "                         (default 0)\n"
        "  --enrich-cut X,...     the cut, or a ladder of up to 8 cuts that the enriched\n"
        "                         events take in turn, e.g. 0.01,0.003,0.001 (a cut of\n"
        "                         0.001 takes about 1000 phase-space draws, 1 ms, per\n"
        "                         event) (default 0.01)\n"
        "  --threads N            threads (default: all cores)\n"
        "  --help                 this text\n");
}

typedef struct generate_options {
    const char *out;
    size_t n[3]; /* per gen_split */
    uint64_t seed;
    ps_settings ps;
    int threads;
} generate_options;

/* 0: parsed; 1: --help printed; -1: usage error (already reported). */
static int parse_generate_options(int argc, char **argv, generate_options *o)
{
    enum { O_OUT = 256, O_NTRAIN, O_NVAL, O_NTEST, O_SEED, O_SQRTS, O_MHATMIN, O_MHATMAX,
           O_YMAX, O_PTMIN, O_ETAPH, O_ETAGL, O_DRMIN, O_ENRICH, O_ENRICHCUT, O_THREADS, O_HELP };
    static const struct option options[] = {
        {"out", required_argument, 0, O_OUT},
        {"n-train", required_argument, 0, O_NTRAIN},
        {"n-val", required_argument, 0, O_NVAL},
        {"n-test", required_argument, 0, O_NTEST},
        {"seed", required_argument, 0, O_SEED},
        {"sqrt-s", required_argument, 0, O_SQRTS},
        {"mhat-min", required_argument, 0, O_MHATMIN},
        {"mhat-max", required_argument, 0, O_MHATMAX},
        {"y-max", required_argument, 0, O_YMAX},
        {"pt-min", required_argument, 0, O_PTMIN},
        {"eta-photon-max", required_argument, 0, O_ETAPH},
        {"eta-gluon-max", required_argument, 0, O_ETAGL},
        {"dr-min", required_argument, 0, O_DRMIN},
        {"enrich-singular", required_argument, 0, O_ENRICH},
        {"enrich-cut", required_argument, 0, O_ENRICHCUT},
        {"threads", required_argument, 0, O_THREADS},
        {"help", no_argument, 0, O_HELP},
        {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->n[GEN_TRAIN] = o->n[GEN_VAL] = o->n[GEN_TEST] = 30000;
    o->seed = 1;
    o->ps = ps_settings_default();
    opterr = 0;
    optind = 1;
    /* Generous bounds here only catch nonsense early; ps_settings_check judges the
     * combination (ordered mhat range, reachable pT cut, ...). */
    const double max_energy = 1e8, max_angle = 100;
    int c;
    long v;
    while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
        const char *flag = optind > 0 && optind <= argc ? argv[optind - 1] : "";
        switch (c) {
        case O_OUT: o->out = optarg; break;
        case O_NTRAIN: case O_NVAL: case O_NTEST: {
            gen_split s = c == O_NTRAIN ? GEN_TRAIN : c == O_NVAL ? GEN_VAL : GEN_TEST;
            const char *name = c == O_NTRAIN ? "--n-train" : c == O_NVAL ? "--n-val" : "--n-test";
            if (cli_parse_int(name, optarg, 0, 1000000000, &v)) return -1;
            o->n[s] = (size_t)v;
            break;
        }
        case O_SEED:
            if (cli_parse_u64("--seed", optarg, &o->seed)) return -1;
            break;
        case O_SQRTS:
            if (cli_parse_double("--sqrt-s", optarg, 0, max_energy, &o->ps.sqrt_s)) return -1;
            break;
        case O_MHATMIN:
            if (cli_parse_double("--mhat-min", optarg, 0, max_energy, &o->ps.mhat_min)) return -1;
            break;
        case O_MHATMAX:
            if (cli_parse_double("--mhat-max", optarg, 0, max_energy, &o->ps.mhat_max)) return -1;
            break;
        case O_YMAX:
            if (cli_parse_double("--y-max", optarg, 0, max_angle, &o->ps.y_max)) return -1;
            break;
        case O_PTMIN:
            if (cli_parse_double("--pt-min", optarg, 0, max_energy, &o->ps.pt_min)) return -1;
            break;
        case O_ETAPH:
            if (cli_parse_double("--eta-photon-max", optarg, 0, max_angle, &o->ps.eta_photon_max))
                return -1;
            break;
        case O_ETAGL:
            if (cli_parse_double("--eta-gluon-max", optarg, 0, max_angle, &o->ps.eta_gluon_max))
                return -1;
            break;
        case O_DRMIN:
            if (cli_parse_double("--dr-min", optarg, 0, max_angle, &o->ps.dr_min)) return -1;
            break;
        case O_ENRICH:
            if (cli_parse_double("--enrich-singular", optarg, 0, 0.99, &o->ps.enrich_fraction))
                return -1;
            break;
        case O_ENRICHCUT: {
            int n_cuts;
            double cuts[BA_MAX_ENRICH_CUTS];
            if (cli_parse_doubles("--enrich-cut", optarg, 1e-9, 1, BA_MAX_ENRICH_CUTS, cuts,
                                  &n_cuts))
                return -1;
            memset(o->ps.enrich_cuts, 0, sizeof o->ps.enrich_cuts);
            memcpy(o->ps.enrich_cuts, cuts, (size_t)n_cuts * sizeof *cuts);
            break;
        }
        case O_THREADS:
            if (cli_parse_int("--threads", optarg, 1, 1024, &v)) return -1;
            o->threads = (int)v;
            break;
        case O_HELP: generate_usage(stdout); return 1;
        default: cli_bad_option("generate", c, flag); return -1;
        }
    }
    if (cli_no_arguments_left("generate", argc, argv))
        return -1;
    if (!o->out) {
        cli_error("generate: --out DIR is required (see 'bayesamp generate --help')");
        return -1;
    }
    char why[256];
    if (ps_settings_check(&o->ps, why, sizeof why)) {
        cli_error("generate: %s (see 'bayesamp generate --help')", why);
        return -1;
    }
    if (o->threads == 0)
        o->threads = ba_default_threads();
    return 0;
}

/* ---- progress over all three splits ---- */

typedef struct generate_progress {
    int on_terminal;
    const char *split;
    size_t done_before, total; /* events of the earlier splits, of all splits */
} generate_progress;

static void show_progress(size_t done, size_t total_split, void *user)
{
    (void)total_split;
    generate_progress *g = user;
    if (!g->on_terminal || g->total == 0)
        return;
    const int width = 30;
    double frac = (double)(g->done_before + done) / (double)g->total;
    int filled = (int)(frac * width);
    fprintf(stderr, "\rgenerating %s [", g->split);
    for (int i = 0; i < width; i++)
        fputc(i < filled ? '#' : '.', stderr);
    fprintf(stderr, "] %3d%%", (int)(100.0 * frac));
    fflush(stderr);
}

/* ---- generate.json ---- */

typedef struct split_result {
    long long tries;
} split_result;

static int write_generate_json(const char *path, const generate_options *o,
                               const split_result res[3], const gen_stats *stats,
                               double seconds, ba_error *err)
{
    cJSON *root = cJSON_CreateObject();
    /* The process in MadGraph syntax: `train` and `evaluate` read it from here, so the
     * data folder says what its rows are. */
    cJSON_AddStringToObject(root, "process", BA_PROCESS_DEFAULT);
    cJSON *set = cJSON_AddObjectToObject(root, "settings");
    cJSON_AddStringToObject(set, "out", o->out);
    cJSON_AddNumberToObject(set, "n_train", (double)o->n[GEN_TRAIN]);
    cJSON_AddNumberToObject(set, "n_val", (double)o->n[GEN_VAL]);
    cJSON_AddNumberToObject(set, "n_test", (double)o->n[GEN_TEST]);
    /* A string as well: a 64-bit seed does not survive a JSON number (a double). */
    char seed_text[32];
    snprintf(seed_text, sizeof seed_text, "%" PRIu64, o->seed);
    cJSON_AddNumberToObject(set, "seed", (double)o->seed);
    cJSON_AddStringToObject(set, "seed_string", seed_text);
    cJSON_AddNumberToObject(set, "sqrt_s", o->ps.sqrt_s);
    cJSON_AddNumberToObject(set, "mhat_min", o->ps.mhat_min);
    cJSON_AddNumberToObject(set, "mhat_max", o->ps.mhat_max);
    cJSON_AddNumberToObject(set, "y_max", o->ps.y_max);
    cJSON_AddNumberToObject(set, "pt_min", o->ps.pt_min);
    cJSON_AddNumberToObject(set, "eta_photon_max", o->ps.eta_photon_max);
    cJSON_AddNumberToObject(set, "eta_gluon_max", o->ps.eta_gluon_max);
    cJSON_AddNumberToObject(set, "dr_min", o->ps.dr_min);
    cJSON_AddNumberToObject(set, "enrich_singular_train", o->ps.enrich_fraction);
    cJSON *cuts = cJSON_AddArrayToObject(set, "enrich_cuts");
    for (int k = 0; k < BA_MAX_ENRICH_CUTS && o->ps.enrich_cuts[k] > 0; k++)
        cJSON_AddItemToArray(cuts, cJSON_CreateNumber(o->ps.enrich_cuts[k]));
    cJSON_AddNumberToObject(set, "max_tries", (double)o->ps.max_tries);
    cJSON_AddNumberToObject(set, "threads", o->threads);

    cJSON *phys = cJSON_AddObjectToObject(root, "physics");
    cJSON_AddStringToObject(phys, "process", "g g -> gamma gamma g, one quark loop, n_f = 5");
    cJSON_AddStringToObject(phys, "particles",
                            "[g_in(+z), g_in(-z), photon, photon, g_out], (E, px, py, pz) GeV");
    cJSON_AddStringToObject(phys, "amplitude", "|M|^2 summed/averaged over helicities and "
                            "colours, identical-photon factor 1/2, GeV^-2");
    cJSON_AddNumberToObject(phys, "alpha", GG_AAG_ALPHA);
    cJSON_AddNumberToObject(phys, "alpha_s", GG_AAG_ALPHA_S);
    cJSON_AddStringToObject(phys, "sampling", "sqrt(s_hat) log-uniform, rapidity uniform, "
                            "RAMBO final state; points failing the cuts are redrawn whole");
    cJSON_AddStringToObject(phys, "random_streams", "event i of split s (trn 0, val 1, tst 2) "
                            "uses Philox stream s * 2^40 + i under the seed");

    cJSON *res_json = cJSON_AddObjectToObject(root, "result");
    long long accepted = 0, tried = 0;
    cJSON *splits = cJSON_AddObjectToObject(res_json, "splits");
    for (int s = 0; s < 3; s++) {
        cJSON *js = cJSON_AddObjectToObject(splits, gen_split_name((gen_split)s));
        cJSON_AddNumberToObject(js, "events", (double)o->n[s]);
        cJSON_AddNumberToObject(js, "tried", (double)res[s].tries);
        cJSON_AddNumberToObject(js, "first_stream", (double)gen_split_first_index((gen_split)s));
        accepted += (long long)o->n[s];
        tried += res[s].tries;
    }
    cJSON_AddNumberToObject(res_json, "accepted", (double)accepted);
    cJSON_AddNumberToObject(res_json, "tried", (double)tried);
    cJSON_AddNumberToObject(res_json, "acceptance", tried ? (double)accepted / (double)tried : 0);
    double per = accepted ? 1e6 / (double)accepted : 0;
    cJSON_AddNumberToObject(res_json, "phase_space_us_per_event", stats->ps_seconds * per);
    cJSON_AddNumberToObject(res_json, "amplitude_us_per_event", stats->amp_seconds * per);
    cJSON_AddStringToObject(res_json, "us_per_event_note", "core time, all threads summed, "
                            "per accepted event (phase space includes the rejected points)");
    cJSON_AddNumberToObject(res_json, "threads", o->threads);
    cJSON_AddNumberToObject(res_json, "seconds", seconds);
    cJSON_AddNumberToObject(res_json, "events_per_second", seconds > 0 ? accepted / seconds : 0);

    cJSON *ver = cJSON_AddObjectToObject(root, "versions");
    cJSON_AddStringToObject(ver, "bayesamp", BAYESAMP_VERSION);
    cJSON_AddStringToObject(ver, "git_commit", ba_git_commit());
    cJSON_AddStringToObject(ver, "cjson", cJSON_Version());
    cJSON_AddStringToObject(ver, "compiler", __VERSION__);
    int rc = json_write_file(path, root, err);
    cJSON_Delete(root);
    return rc;
}

/* The events of one split, in memory until all three are generated. */
typedef struct split_events {
    double (*p)[5][4];
    double *amp;
} split_events;

/* Generate one split into ev (allocated here; freed by the caller in any case). */
static int generate_split(const generate_options *o, gen_split split, generate_progress *prog,
                          split_result *res, gen_stats *stats, split_events *ev)
{
    const char *name = gen_split_name(split);
    size_t n = o->n[split];
    ev->p = malloc((n ? n : 1) * sizeof *ev->p);
    ev->amp = malloc((n ? n : 1) * sizeof *ev->amp);
    if (!ev->p || !ev->amp) {
        cli_error("generate: out of memory for %zu events", n);
        return -1;
    }
    prog->split = name;
    ba_error err;
    gen_stats st;
    int rc = ba_generate(&o->ps, o->seed, split, n, o->threads, &ev->p[0][0][0], ev->amp, &st,
                         show_progress, prog, &err);
    stats->tries += st.tries;
    stats->ps_seconds += st.ps_seconds;
    stats->amp_seconds += st.amp_seconds;
    res->tries = st.tries;
    if (rc) {
        if (prog->on_terminal)
            fputs("\r\033[K", stderr);
        cli_error("generate: %s split: %s", name, err.msg);
    }
    prog->done_before += n;
    return rc;
}

/* Drop the unnamed files of writers 0..n-1 (a no-op for those already named). */
static void abort_splits(npy_writer *w, int n)
{
    for (int i = 0; i < n; i++) {
        npy_writer_abort(&w[i]);
        atomic_file_abort(&w[i].af);
    }
}

/* Write the six data files so that the folder holds all of the previous run's or all
 * of this run's, never a mix that `train --data` would take for one data set (with equal
 * sizes it could not tell). The six are written and fsynced unnamed (atomic_file.h)
 * while the previous files stay in place; only when all are on disk are generate.json
 * and the previous six removed and the new six named, which takes microseconds. A kill
 * in that window leaves some of the six missing, and every reader needs all six. If a
 * write fails, the previous files are untouched; if naming fails, the new files named so
 * far are removed again. generate.json, written last by the caller, marks a folder
 * whose files all come from one complete run. */
static int write_splits(const generate_options *o, const split_events ev[3], const char *json)
{
    npy_writer w[6];
    int opened = 0, published = 0, rc = 0;
    ba_error err = {.msg = ""};
    for (int s = 0; s < 3 && rc == 0; s++) {
        const char *name = gen_split_name((gen_split)s);
        size_t n = o->n[s];
        const size_t dat_shape[3] = {n, 5, 4}, amp_shape[1] = {n};
        for (int amp = 0; amp < 2 && rc == 0; amp++) {
            char file[32], path[4096];
            snprintf(file, sizeof file, amp ? "%s_amp.npy" : "%s_dat.npy", name);
            if (cli_path(path, sizeof path, o->out, file)) {
                abort_splits(w, opened);
                return -1;
            }
            if (npy_writer_open(&w[opened], path, amp ? 1 : 3, amp ? amp_shape : dat_shape,
                                &err)) {
                rc = -1;
                break;
            }
            npy_writer *cur = &w[opened++];
            rc = npy_writer_append(cur, amp ? ev[s].amp : &ev[s].p[0][0][0], amp ? n : 20 * n,
                                   &err) ||
                 npy_writer_sync(cur, &err);
        }
    }
    if (rc) {
        cli_error("%s", err.msg);
        abort_splits(w, opened);
        return -1;
    }
    if (unlink(json) != 0 && errno != ENOENT) {
        cli_error("%s: cannot remove: %s", json, strerror(errno));
        abort_splits(w, opened);
        return -1;
    }
    for (int i = 0; i < opened; i++)
        if (unlink(w[i].af.path) != 0 && errno != ENOENT) {
            cli_error("%s: cannot replace: %s", w[i].af.path, strerror(errno));
            abort_splits(w, opened);
            return -1;
        }
    for (; published < opened; published++)
        if (atomic_file_publish(&w[published].af, &err)) {
            cli_error("%s", err.msg);
            for (int i = 0; i < published; i++)
                unlink(w[i].af.path);
            abort_splits(w, opened);
            return -1;
        }
    return 0;
}

int cmd_generate(int argc, char **argv)
{
    generate_options o;
    int parsed = parse_generate_options(argc, argv, &o);
    if (parsed)
        return parsed > 0 ? 0 : EXIT_USAGE;

    /* Under MPI each rank generates its share of every split, and rank 0 writes DIR. */
    int writer = par_rank() == 0;
    char json_path[4096], probe_path[4096];
    int unwritable = (writer && cli_make_dir(o.out)) ||
                     cli_path(json_path, sizeof json_path, o.out, "generate.json") ||
                     cli_path(probe_path, sizeof probe_path, o.out, "trn_dat.npy");
    /* Fail now, not after generating, if DIR cannot be written: open (and drop) the
     * temporary file the first output would be written through. */
    ba_error err;
    atomic_file probe;
    if (!unwritable && writer) {
        if (atomic_file_open(&probe, probe_path, &err)) {
            cli_error("%s", err.msg);
            unwritable = 1;
        } else {
            atomic_file_abort(&probe);
        }
    }
    if (par_any(unwritable))
        return 1;

    generate_progress prog = {.on_terminal = isatty(2) && writer,
                              .total = o.n[GEN_TRAIN] + o.n[GEN_VAL] + o.n[GEN_TEST]};
    split_result res[3] = {{0}};
    gen_stats stats = {0};
    split_events ev[3] = {{0}};
    double t0 = wall_seconds();
    int rc = 0;
    for (int s = 0; s < 3 && rc == 0; s++)
        rc = generate_split(&o, (gen_split)s, &prog, &res[s], &stats, &ev[s]);
    double seconds = wall_seconds() - t0;
    if (prog.on_terminal && rc == 0)
        fputs("\r\033[K", stderr);
    if (rc == 0 && writer)
        rc = write_splits(&o, ev, json_path);
    for (int s = 0; s < 3; s++) {
        free(ev[s].p);
        free(ev[s].amp);
    }
    if (rc)
        return 1;
    if (!writer)
        return 0;

    if (write_generate_json(json_path, &o, res, &stats, seconds, &err)) {
        cli_error("%s", err.msg);
        return 1;
    }
    double acceptance = stats.tries ? (double)prog.total / (double)stats.tries : 0;
    double per = prog.total ? 1e6 / (double)prog.total : 0;
    printf("generated %zu + %zu + %zu events in %.2f s on %d threads%s (acceptance %.3f; "
           "%.1f + %.1f us per event for phase space + amplitude) -> %s\n",
           o.n[GEN_TRAIN], o.n[GEN_VAL], o.n[GEN_TEST], seconds, o.threads, cli_ranks(), acceptance,
           stats.ps_seconds * per, stats.amp_seconds * per, o.out);
    return 0;
}
