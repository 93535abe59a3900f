/* bayesamp predict: amplitudes with uncertainties for a file of momenta. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "bayesamp.h"
#include "cli.h"
#include "evaluate_run.h"

static void predict_usage(FILE *out)
{
    fprintf(out,
        "usage: bayesamp predict --model MODEL --momenta FILE.npy --out PRED.npy [options]\n"
        "\n"
        "Monte-Carlo prediction of the amplitudes of the events in FILE.npy, momenta of\n"
        "shape (N, P, 4) in GeV, or (P, 4) for one event, P the particles of the model's\n"
        "process (5 for g g > a a g), or rows of events, (N, 4P) or (N, 4P+1) with an\n"
        "amplitude column that is ignored, in a .npy or an HDF5 dataset (FILE.h5:NAME);\n"
        "every event is checked against the process (mass\n"
        "shells, momentum conservation) first. PRED.npy is float64 of shape\n"
        "(N, 4) with columns: amplitude exp(mean), mean of the predicted log-amplitude,\n"
        "aleatoric sigma and epistemic sigma (both of the log-amplitude). The file is\n"
        "streamed, so its size is not limited by memory.\n"
        "\n"
        "  --model MODEL       a model file written by 'bayesamp train' (required)\n"
        "  --momenta FILE.npy  the events (required)\n"
        "  --out PRED.npy      the prediction, written atomically (required)\n"
        "  --process P         the process in MadGraph syntax; must be the model's (files\n"
        "                      from before processes are \"g g > a a g\") (default: the\n"
        "                      model's)\n"
        "  --n-monte N         Monte-Carlo passes over the network (default 30)\n"
        "  --mode M            sample: new weights for every batch of every pass, as the\n"
        "                      tutorial; fixed: one weight draw per pass, the same for\n"
        "                      every batch; map: the mean weights once, no epistemic\n"
        "                      uncertainty (default sample)\n"
        "  --seed N            random seed; results do not depend on --threads (default 1)\n"
        "  --batch-size N      events per weight draw (default 128, the tutorial's)\n"
        "  --threads N         threads (default: all cores)\n"
        "  --help              this text\n");
}

typedef struct predict_options {
    const char *model, *momenta, *out;
    const char *process; /* --process, or NULL */
    ba_predict_config cfg;
} predict_options;

/* 0: parsed; 1: --help printed; -1: usage error (already reported). */
static int parse_predict_options(int argc, char **argv, predict_options *o)
{
    enum { O_MODEL = 256, O_MOMENTA, O_OUT, O_HELP, O_PROCESS };
    static const struct option options[] = {
        {"model", required_argument, 0, O_MODEL}, {"momenta", required_argument, 0, O_MOMENTA},
        {"out", required_argument, 0, O_OUT},     MC_LONG_OPTIONS,
        {"process", required_argument, 0, O_PROCESS},
        {"help", no_argument, 0, O_HELP},         {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->cfg = ba_predict_defaults();
    o->cfg.check_kinematics = 1; /* the command checks every event against the process */
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
        const char *flag = optind > 0 && optind <= argc ? argv[optind - 1] : "";
        switch (c) {
        case O_MODEL: o->model = optarg; break;
        case O_MOMENTA: o->momenta = optarg; break;
        case O_OUT: o->out = optarg; break;
        case O_PROCESS: o->process = optarg; break;
        MC_OPTION_CASES:
            if (parse_mc_option(c, optarg, &o->cfg)) return -1;
            break;
        case O_HELP: predict_usage(stdout); return 1;
        default: cli_bad_option("predict", c, flag); return -1;
        }
    }
    if (cli_no_arguments_left("predict", argc, argv))
        return -1;
    if (!o->model || !o->momenta || !o->out) {
        cli_error("predict: %s is required (see 'bayesamp predict --help')",
                  !o->model ? "--model MODEL" : !o->momenta ? "--momenta FILE.npy" : "--out PRED.npy");
        return -1;
    }
    return 0;
}

int cmd_predict(int argc, char **argv)
{
    predict_options o;
    int parsed = parse_predict_options(argc, argv, &o);
    if (parsed)
        return parsed > 0 ? 0 : EXIT_USAGE;
    ba_error err;
    ba_model *m = ba_model_load(o.model, &err);
    if (!m) {
        cli_error("%s", err.msg);
        return 1;
    }
    if (o.process && cli_check_process(o.process, &ba_model_preprocessing(m)->process, o.model)) {
        ba_model_free(m);
        return EXIT_USAGE;
    }
    size_t n = 0;
    double t0 = wall_seconds();
    int rc = ba_predict_file(m, o.momenta, o.out, &o.cfg, &n, &err);
    double seconds = wall_seconds() - t0;
    ba_model_free(m);
    if (rc) {
        cli_error("%s", err.msg);
        return 1;
    }
    int passes = o.cfg.mode == BA_PREDICT_MAP ? 1 : o.cfg.n_monte;
    int threads = o.cfg.threads > 0 ? o.cfg.threads : ba_default_threads();
    printf("predicted %zu event%s: %d pass%s (%s mode), %d threads%s, %.3f s (%.0f events/s) "
           "-> %s\n", n, n == 1 ? "" : "s", passes, passes == 1 ? "" : "es",
           evaluate_mode_name(o.cfg.mode), threads, cli_ranks(), seconds,
           seconds > 0 ? (double)n / seconds : 0.0, o.out);
    return 0;
}
