/* bayesamp evaluate: predict one split of a data folder and judge the prediction. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "bayesamp.h"
#include "cli.h"
#include "evaluate_run.h"

static void evaluate_usage(FILE *out)
{
    fprintf(out,
        "usage: bayesamp evaluate --model MODEL --data DIR --out EVAL [options]\n"
        "\n"
        "Predict the events of one split of DIR ({split}_dat.npy, {split}_amp.npy) with\n"
        "Monte-Carlo uncertainties and write into EVAL:\n"
        "  pred.npy       (N, 4): exp(mean), mean, aleatoric and epistemic sigma of log A\n"
        "  metrics.json   relative deviation, pulls, coverage, NLL, calibration, timing,\n"
        "                 under both definitions of the total uncertainty (bayes_total,\n"
        "                 corrected_total), and for the 1 %% of events nearest a singularity\n"
        "                 (smallest min s_ij/s12: near_singular) and the rest (bulk)\n"
        "  NAME.dat/.gp   data and gnuplot script of each plot (loss, amplitudes, rel_dev,\n"
        "                 uncertainties, pull, rel_dev_vs_amp, calibration), and\n"
        "                 NAME.png/.pdf when gnuplot is installed\n"
        "The loss plot reads history.csv beside MODEL. metrics.json is written last: a\n"
        "folder without it holds an interrupted evaluation.\n"
        "\n"
        "  --model MODEL       a model file written by 'bayesamp train' (required)\n"
        "  --data DIR          data folder in the Heidelberg layout (required); its\n"
        "                      momenta must be of the model's process, and every event\n"
        "                      is checked against it (mass shells, momentum conservation)\n"
        "  --process P         the process in MadGraph syntax; must be the model's (files\n"
        "                      from before processes are \"g g > a a g\") (default: the\n"
        "                      model's)\n"
        "  --split S           tst, val or trn (default tst)\n"
        "  --out EVAL          output folder, created if missing (required)\n"
        "  --n-monte N         Monte-Carlo passes over the network (default 30)\n"
        "  --mode M            sample, fixed or map, as for 'bayesamp predict'\n"
        "                      (default sample)\n"
        "  --seed N            random seed; results do not depend on --threads (default 1)\n"
        "  --batch-size N      events per weight draw (default 128, the tutorial's)\n"
        "  --threads N         threads (default: all cores)\n"
        "  --uncertainty U     the total uncertainty of log A behind pull, coverage, NLL and\n"
        "                      plots: corrected, sigma^2 = <sigma^2> - Var(mu), or bayes,\n"
        "                      <sigma^2> + Var(mu) (the tutorial's); the aleatoric head learns\n"
        "                      the spread of single weight draws, so bayes counts Var(mu)\n"
        "                      twice (default corrected; both are always in metrics.json)\n"
        "  --rescale-on-val    also fit one factor k (the robust pull width) on the val\n"
        "                      split and report the test pulls with total * k as\n"
        "                      \"rescaled\"; the other metrics stay unrescaled (default: off)\n"
        "  --data-split T,V,S  when --data is one file of events (FILE.npy,\n"
        "                      FILE.h5:NAME): the fractions train --split cut it with\n"
        "                      (default: none, as a folder needs)\n"
        "  --help              this text\n");
}

/* 0: parsed; 1: --help printed; -1: usage error (already reported). */
static int parse_evaluate_options(int argc, char **argv, evaluate_options *o)
{
    enum { O_MODEL = 256, O_DATA, O_SPLIT, O_OUT, O_UNCERTAINTY, O_RESCALE, O_HELP, O_PROCESS,
           O_DATA_SPLIT };
    static const struct option options[] = {
        {"model", required_argument, 0, O_MODEL}, {"data", required_argument, 0, O_DATA},
        {"split", required_argument, 0, O_SPLIT}, {"out", required_argument, 0, O_OUT},
        {"uncertainty", required_argument, 0, O_UNCERTAINTY},
        {"rescale-on-val", no_argument, 0, O_RESCALE},
        {"process", required_argument, 0, O_PROCESS},
        {"data-split", required_argument, 0, O_DATA_SPLIT},
        MC_LONG_OPTIONS,                          {"help", no_argument, 0, O_HELP},
        {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->split = "tst";
    o->predict = ba_predict_defaults();
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
        const char *flag = optind > 0 && optind <= argc ? argv[optind - 1] : "";
        switch (c) {
        case O_MODEL: o->model_path = optarg; break;
        case O_DATA: o->data_dir = optarg; break;
        case O_SPLIT:
            if (strcmp(optarg, "tst") && strcmp(optarg, "val") && strcmp(optarg, "trn")) {
                cli_error("--split: '%s' is not one of tst, val, trn", optarg);
                return -1;
            }
            o->split = optarg;
            break;
        case O_OUT: o->out_dir = optarg; break;
        case O_UNCERTAINTY:
            if (eval_total_parse(optarg, &o->uncertainty)) {
                cli_error("--uncertainty: '%s' is not one of corrected, bayes", optarg);
                return -1;
            }
            break;
        case O_RESCALE: o->rescale_on_val = 1; break;
        case O_PROCESS: o->process = optarg; break;
        case O_DATA_SPLIT:
            if (cli_parse_split("--data-split", optarg, o->data_split)) return -1;
            o->has_data_split = 1;
            break;
        MC_OPTION_CASES:
            if (parse_mc_option(c, optarg, &o->predict)) return -1;
            break;
        case O_HELP: evaluate_usage(stdout); return 1;
        default: cli_bad_option("evaluate", c, flag); return -1;
        }
    }
    if (cli_no_arguments_left("evaluate", argc, argv))
        return -1;
    if (!o->model_path || !o->data_dir || !o->out_dir) {
        cli_error("evaluate: %s is required (see 'bayesamp evaluate --help')",
                  !o->model_path ? "--model MODEL" : !o->data_dir ? "--data DIR" : "--out EVAL");
        return -1;
    }
    return 0;
}

int cmd_evaluate(int argc, char **argv)
{
    evaluate_options o;
    int parsed = parse_evaluate_options(argc, argv, &o);
    if (parsed)
        return parsed > 0 ? 0 : EXIT_USAGE;
    return evaluate_run(&o);
}
