/* bayesamp amplitude: the exact one-loop |M|^2 of g g -> gamma gamma g for given
 * momenta, e.g. to label events from another generator or to check a data set; with a
 * trained model, the network's amplitude where it is sure enough and the exact one
 * elsewhere (ba_hybrid_amplitudes). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "bayesamp.h"
#include "cli.h"
#include "common/error.h"
#include "common/parallel.h"
#include "data/momenta_file.h"
#include "data/npy.h"
#include "eval/hybrid.h"
#include "nn/predict.h"
#include "physics/generate.h"

static void amplitude_usage(FILE *out)
{
    fprintf(out,
        "usage: bayesamp amplitude --momenta FILE --out AMP.npy [options]\n"
        "\n"
        "Evaluate the exact one-loop |M|^2 of g g -> gamma gamma g (GeV^-2) for every\n"
        "event of FILE: a .npy of (N,5,4) or one event (5,4), or rows of events, (N,20)\n"
        "or (N,21) with an amplitude column that is ignored, in a .npy or an HDF5 dataset\n"
        "(FILE.h5:NAME); particles g_in(+z), g_in(-z), photon, photon, g_out;\n"
        "(E,px,py,pz) in GeV. Writes AMP.npy, (N,) float64 ((1,) for one event).\n"
        "Every event is checked first (finite, positive energies, incoming along the beam,\n"
        "massless, momentum conserved); a bad one stops the command, and no output is\n"
        "written.\n"
        "\n"
        "  --momenta FILE      events, float64 or float32 (required)\n"
        "  --out AMP.npy       output file (required)\n"
        "  --process P         the process, in MadGraph syntax: only \"g g > a a g\" is\n"
        "                      computed; any other is refused (default \"g g > a a g\")\n"
        "  --tol X             relative tolerance of the mass-shell and momentum checks\n"
        "                      (default 1e-10; float32 momenta need about 1e-5)\n"
        "  --threads N         threads (default: all cores)\n"
        "  --help              this text\n"
        "\n"
        "With a trained model, the surrogate with an exact fallback: for each event the\n"
        "network's amplitude where its calibrated uncertainty says it is within the\n"
        "tolerance at the confidence, the exact amplitude elsewhere. AMP.npy is then (N,2)\n"
        "float64: the amplitude, and 1 where it was computed exactly, 0 where it is the\n"
        "network's. Reports the fraction computed exactly and the time against all-exact.\n"
        "  --model RUN/model.safetensors\n"
        "                      the trained surrogate (default: none, every event exact)\n"
        "  --tolerance T       relative tolerance of the network's amplitude (default 0.01)\n"
        "  --confidence C      two-sided confidence of being within it (default 0.99)\n"
        "  --n-monte K         Monte-Carlo passes of the prediction (default 30)\n"
        "  --seed S            seed of the prediction's weight draws (default 1)\n");
}

typedef struct amplitude_options {
    const char *momenta, *out, *model;
    const char *process; /* --process, or NULL */
    double tol;
    int threads;
    ba_hybrid_config hybrid;
    int hybrid_flag_given;   /* a hybrid option without --model is an error */
} amplitude_options;

/* 0: parsed; 1: --help printed; -1: usage error (already reported). */
static int parse_amplitude_options(int argc, char **argv, amplitude_options *o)
{
    enum { O_MOMENTA = 256, O_OUT, O_TOL, O_THREADS, O_HELP, O_MODEL, O_TOLERANCE,
           O_CONFIDENCE, O_N_MONTE, O_SEED, O_PROCESS };
    static const struct option options[] = {
        {"momenta", required_argument, 0, O_MOMENTA}, {"out", required_argument, 0, O_OUT},
        {"tol", required_argument, 0, O_TOL},         {"threads", required_argument, 0, O_THREADS},
        {"help", no_argument, 0, O_HELP},             {"model", required_argument, 0, O_MODEL},
        {"tolerance", required_argument, 0, O_TOLERANCE},
        {"confidence", required_argument, 0, O_CONFIDENCE},
        {"n-monte", required_argument, 0, O_N_MONTE}, {"seed", required_argument, 0, O_SEED},
        {"process", required_argument, 0, O_PROCESS},
        {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->tol = BA_AMPLITUDE_TOL;
    o->hybrid = ba_hybrid_defaults();
    opterr = 0;
    optind = 1;
    int c;
    long v;
    while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
        const char *flag = optind > 0 && optind <= argc ? argv[optind - 1] : "";
        switch (c) {
        case O_MOMENTA: o->momenta = optarg; break;
        case O_OUT: o->out = optarg; break;
        case O_PROCESS: o->process = optarg; break;
        case O_TOL:
            if (cli_parse_double("--tol", optarg, 1e-16, 1, &o->tol)) return -1;
            break;
        case O_THREADS:
            if (cli_parse_int("--threads", optarg, 1, 1024, &v)) return -1;
            o->threads = (int)v;
            break;
        case O_HELP: amplitude_usage(stdout); return 1;
        case O_MODEL: o->model = optarg; break;
        case O_TOLERANCE:
            if (cli_parse_double("--tolerance", optarg, 1e-12, 0.999, &o->hybrid.tolerance))
                return -1;
            o->hybrid_flag_given = 1;
            break;
        case O_CONFIDENCE:
            if (cli_parse_double("--confidence", optarg, 1e-6, 0.999999, &o->hybrid.confidence))
                return -1;
            o->hybrid_flag_given = 1;
            break;
        case O_N_MONTE:
            if (cli_parse_int("--n-monte", optarg, 2, 1 << 20, &v)) return -1;
            o->hybrid.predict.n_monte = (int)v;
            o->hybrid_flag_given = 1;
            break;
        case O_SEED:
            if (cli_parse_u64("--seed", optarg, &o->hybrid.predict.seed)) return -1;
            o->hybrid_flag_given = 1;
            break;
        default: cli_bad_option("amplitude", c, flag); return -1;
        }
    }
    if (cli_no_arguments_left("amplitude", argc, argv))
        return -1;
    if (!o->momenta || !o->out) {
        cli_error("amplitude: %s is required (see 'bayesamp amplitude --help')",
                  !o->momenta ? "--momenta FILE.npy" : "--out AMP.npy");
        return -1;
    }
    if (o->hybrid_flag_given && !o->model) {
        cli_error("amplitude: --tolerance, --confidence, --n-monte and --seed need --model");
        return -1;
    }
    /* The exact amplitude is coded for one process only (physics/amplitude.h). */
    if (o->process) {
        ba_process p;
        ba_error err;
        if (ba_process_parse(o->process, &p, &err)) {
            cli_error("--process: %s", err.msg);
            return -1;
        }
        if (strcmp(p.text, BA_PROCESS_DEFAULT)) {
            cli_error("--process: amplitude computes only \"%s\" (one loop), not \"%s\"",
                      BA_PROCESS_DEFAULT, p.text);
            return -1;
        }
    }
    if (o->threads == 0)
        o->threads = ba_default_threads();
    o->hybrid.predict.threads = o->threads;
    return 0;
}

/* This rank's events [lo, hi) of f into *momenta (allocated here), agreed across the
 * ranks: a bad value in any rank's share is every rank's error, the first bad row of
 * the file as in one process. */
static int read_share(momenta_file *f, const char *path, size_t lo, size_t hi,
                      double **momenta, ba_error *err)
{
    *momenta = malloc((hi > lo ? hi - lo : 1) * 20 * sizeof **momenta);
    int rc = *momenta ? 0 : ba_fail(err, "%s: out of memory for %zu events", path, hi - lo);
    if (rc == 0 && hi > lo)
        rc = momenta_file_read(f, lo, hi - lo, *momenta, err);
    return par_agree(rc, err);
}

/* --model: the network where it is sure, the exact amplitude elsewhere; (N, 2) out.
 * Under MPI each rank reads, checks and predicts its own events, whole batches as
 * predict does (predict_share), the exact events are shared out evenly, and rank 0
 * gathers the rows and writes them. */
static int hybrid_run(const amplitude_options *o, momenta_file *f, size_t n)
{
    ba_error err;
    size_t lo, hi;
    predict_share(n, (size_t)o->hybrid.predict.batch_size, par_rank(), &lo, &hi);
    double *momenta = NULL;
    if (read_share(f, o->momenta, lo, hi, &momenta, &err)) {
        cli_error("%s", err.msg);
        free(momenta);
        return 1;
    }
    /* every event checked before any work, as without --model */
    if (par_agree(gen_amp2_check((const double(*)[5][4])momenta, lo, hi - lo, o->tol, NULL,
                                 &err), &err)) {
        cli_error("%s: %s", o->momenta, err.msg);
        free(momenta);
        return 1;
    }
    ba_model *m = ba_model_load(o->model, &err);
    if (!m) {
        cli_error("%s", err.msg);
        free(momenta);
        return 1;
    }
    const char *process = ba_model_preprocessing(m)->process.text;
    if (strcmp(process, BA_PROCESS_DEFAULT)) {
        cli_error("%s: the model is for \"%s\", but the exact amplitude here is only for "
                  "\"%s\"", o->model, process, BA_PROCESS_DEFAULT);
        ba_model_free(m);
        free(momenta);
        return 1;
    }
    int writer = par_rank() == 0; /* under MPI, rank 0 writes what all computed */
    size_t mine = hi - lo;
    double *rows = malloc((mine ? 2 * mine : 1) * sizeof *rows);
    double *all = writer ? malloc((n ? 2 * n : 1) * sizeof *all) : NULL;
    double *amp = malloc((mine ? mine : 1) * sizeof *amp);
    unsigned char *flag = malloc(mine ? mine : 1);
    int rc = 1;
    ba_exact_config ctx = {o->tol, o->threads};
    ba_hybrid_stats st;
    if (par_agree(rows && amp && flag ? 0 : ba_fail(&err, "%s: out of memory for %zu events",
                                                    o->momenta, mine), &err)) {
        cli_error("%s", err.msg);
    } else if (hybrid_amplitudes_shares(m, momenta, lo, mine, n, &o->hybrid,
                                        ba_exact_amplitudes, &ctx, amp, flag, &st, &err)) {
        cli_error("%s: %s", o->momenta, err.msg);
    } else {
        for (size_t i = 0; i < mine; i++) {
            rows[2 * i] = amp[i];
            rows[2 * i + 1] = flag[i];
        }
        if (par_gather_into(rows, 2 * mine * sizeof *rows, all, 2 * n * sizeof *all,
                            "the amplitudes of all events", &err)) {
            cli_error("%s", err.msg);
            goto done;
        }
        /* the cost of all-exact, from the exact events' time or, with few of them,
         * from timing up to 200 of rank 0's events */
        double per_event = st.n_exact ? st.seconds_exact / (double)st.n_exact : 0;
        if (writer && st.n_exact < 200 && mine > 0) {
            size_t k = mine < 200 ? mine : 200;
            double t0 = wall_seconds();
            if (ba_amplitudes(momenta, k, o->tol, o->threads, rows, NULL, NULL, &err) == 0)
                per_event = (wall_seconds() - t0) / (double)k;
        }
        const size_t shape[2] = {n, 2};
        if (!writer) {
            rc = 0;
        } else if (npy_write_f64(o->out, all, 2, shape, &err)) {
            cli_error("%s", err.msg);
        } else {
            double total = st.seconds_network + st.seconds_exact;
            printf("%zu amplitudes: %zu exact (%.2f %%), the network's elsewhere (sigma of log "
                   "A <= %.3g: within %g at %g confidence) -> %s\n", n, st.n_exact,
                   n ? 100.0 * (double)st.n_exact / (double)n : 0.0, st.max_sigma,
                   o->hybrid.tolerance, o->hybrid.confidence, o->out);
            printf("  %.3f s (network %.3f s, exact %.3f s) against about %.3f s all exact "
                   "(%.1f us per exact event): %.1fx faster, %d threads%s\n", total,
                   st.seconds_network, st.seconds_exact, per_event * (double)n,
                   1e6 * per_event, total > 0 ? per_event * (double)n / total : 0.0,
                   o->threads, cli_ranks());
            rc = 0;
        }
    }
done:
    free(rows), free(all), free(amp), free(flag), free(momenta);
    ba_model_free(m);
    return rc;
}

static void show_progress(size_t done, size_t total, void *user)
{
    (void)user;
    const int width = 30;
    double frac = (double)done / (double)total;
    int filled = (int)(frac * width);
    fputs("\revaluating [", stderr);
    for (int i = 0; i < width; i++)
        fputc(i < filled ? '#' : '.', stderr);
    fprintf(stderr, "] %3d%%", (int)(100.0 * frac));
    fflush(stderr);
}

/* Open the momenta: rows of events (FILE.npy of (N, 20) or (N, 21), FILE.h5:NAME),
 * whose amplitude column, if any, is ignored, or a .npy of (N, 5, 4) or (5, 4); *n
 * events. Every rank opens the file and meets the same errors. */
static int open_momenta(const char *path, momenta_file *f, size_t *n)
{
    ba_error err;
    if (momenta_file_open(f, path, 5, &err)) {
        cli_error("%s", err.msg);
        momenta_file_close(f);
        return -1;
    }
    if (f->rows_file) {
        *n = f->events.n_events;
        return 0;
    }
    const npy_reader *a = &f->npy;
    if (a->ndim == 3 && a->shape[1] == 5 && a->shape[2] == 4) {
        *n = a->shape[0];
    } else if (a->ndim == 2 && a->shape[0] == 5 && a->shape[1] == 4) {
        *n = 1;
    } else {
        char shape[128] = "";
        size_t used = 0;
        for (int i = 0; i < a->ndim && used < sizeof shape; i++)
            used += (size_t)snprintf(shape + used, sizeof shape - used, "%s%zu", i ? ", " : "",
                                     a->shape[i]);
        cli_error("%s: shape (%s%s) is not (N, 5, 4) or (5, 4): amplitude computes only "
                  "\"%s\", 5 particles", path, shape, a->ndim == 1 ? "," : "",
                  BA_PROCESS_DEFAULT);
        momenta_file_close(f);
        return -1;
    }
    return 0;
}

/* Without --model: every event exact. Under MPI each rank reads, checks and computes
 * its own events (par_range) and rank 0 gathers the amplitudes and writes them. */
static int exact_run(const amplitude_options *o, momenta_file *f, size_t n)
{
    ba_error err;
    size_t lo, hi;
    par_range(n, par_rank(), par_size(), &lo, &hi);
    int writer = par_rank() == 0;
    double *momenta = NULL;
    double *amp = writer ? malloc((n ? n : 1) * sizeof *amp) : NULL;
    if (read_share(f, o->momenta, lo, hi, &momenta, &err)) {
        cli_error("%s", err.msg);
        free(momenta), free(amp);
        return 1;
    }
    int on_terminal = isatty(2) && writer;
    double t0 = wall_seconds();
    int rc = gen_amp2_shares((const double(*)[5][4])momenta, lo, hi - lo, n, o->tol, o->threads,
                             amp, on_terminal ? show_progress : NULL, NULL, &err);
    double seconds = wall_seconds() - t0;
    if (on_terminal && hi > lo)
        fputs("\r\033[K", stderr);
    if (rc) {
        cli_error("%s: %s", o->momenta, err.msg);
    } else {
        const size_t shape[1] = {n};
        rc = writer ? npy_write_f64(o->out, amp, 1, shape, &err) : 0;
        if (rc)
            cli_error("%s", err.msg);
        else
            printf("%zu amplitudes in %.3f s on %d threads%s (%.1f us per event) -> %s\n", n,
                   seconds, o->threads, cli_ranks(), n ? 1e6 * seconds / (double)n : 0.0, o->out);
    }
    free(momenta), free(amp);
    return rc ? 1 : 0;
}

int cmd_amplitude(int argc, char **argv)
{
    amplitude_options o;
    int parsed = parse_amplitude_options(argc, argv, &o);
    if (parsed)
        return parsed > 0 ? 0 : EXIT_USAGE;
    momenta_file f;
    size_t n;
    if (open_momenta(o.momenta, &f, &n))
        return 1;
    int rc = o.model ? hybrid_run(&o, &f, n) : exact_run(&o, &f, n);
    momenta_file_close(&f);
    return rc;
}
