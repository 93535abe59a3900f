/* bayesamp demo: the whole workflow on the built-in default, for a fresh machine.
 * Generates the default data set (exact one-loop amplitudes) unless it is already there,
 * trains the tutorial's network and the precision preset on it, evaluates both on the
 * test split, and prints the two side by side with where the metrics and plots are. It
 * is a composition of the generate and train commands, run with their defaults, so what
 * it shows is what those commands do. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "io/json_file.h"

static void demo_usage(FILE *out)
{
    fprintf(out,
        "usage: bayesamp demo [--out DIR] [--epochs N] [--threads N] [--preset P]\n"
        "\n"
        "Generate the default data set into DIR/data (unless DIR/data/generate.json exists),\n"
        "train the tutorial's network into DIR/tutorial and the precision preset into\n"
        "DIR/precision, evaluate both on the test split and compare them.\n"
        "\n"
        "  --out DIR      output folder (default runs/demo)\n"
        "  --epochs N     training epochs of every model (default: each preset's own,\n"
        "                 100 for the tutorial, 1000 for precision)\n"
        "  --preset P     train only this one: tutorial or precision (default both)\n"
        "  --threads N    threads (default: all cores)\n"
        "  --help         this text\n");
}

static cJSON *read_json(const char *dir, const char *name)
{
    char path[4096];
    return cli_path(path, sizeof path, dir, name) ? NULL : json_read_file(path);
}

/* The comparison table of the trained runs. */
static void print_comparison(char runs[][4096], const char **names, int n)
{
    cJSON *metrics[2] = {NULL, NULL}, *train[2] = {NULL, NULL};
    char eval_dir[4096];
    for (int i = 0; i < n; i++) {
        snprintf(eval_dir, sizeof eval_dir, "%s/eval", runs[i]);
        metrics[i] = read_json(eval_dir, "metrics.json");
        train[i] = read_json(runs[i], "train.json");
    }
    printf("\n%-34s", "");
    for (int i = 0; i < n; i++)
        printf("%14s", names[i]);
    printf("\n");
    struct row {
        const char *label, *k1, *k2;
        double scale;
        const char *fmt;
    } rows[] = {
        {"events within 0.1 % of the truth", "frac_abs_rel_dev_below", "0.001", 100, "%13.1f%%"},
        {"events within 1 %", "frac_abs_rel_dev_below", "0.01", 100, "%13.1f%%"},
        {"rel. deviation, 16 % quantile", "rel_dev", "q16", 100, "%+13.3f%%"},
        {"rel. deviation, 84 % quantile", "rel_dev", "q84", 100, "%+13.3f%%"},
        {"pull width (16-84 %, ideal 1)", "pull", "robust_width", 1, "%14.3f"},
        {"coverage of 68 % intervals", "coverage", "68", 1, "%14.3f"},
        {"coverage of 95 % intervals", "coverage", "95", 1, "%14.3f"},
    };
    for (size_t r = 0; r < sizeof rows / sizeof *rows; r++) {
        printf("%-34s", rows[r].label);
        for (int i = 0; i < n; i++)
            printf(rows[r].fmt, rows[r].scale * json_number(metrics[i], rows[r].k1, rows[r].k2));
        printf("\n");
    }
    printf("%-34s", "training time");
    for (int i = 0; i < n; i++)
        printf("%13.1fs", json_number(train[i], "result", "seconds_total"));
    printf("\n\n");
    for (int i = 0; i < n; i++) {
        cJSON_Delete(metrics[i]);
        cJSON_Delete(train[i]);
    }
}

int cmd_demo(int argc, char **argv)
{
    enum { O_OUT = 256, O_EPOCHS, O_THREADS, O_PRESET, O_HELP };
    static const struct option options[] = {{"out", required_argument, 0, O_OUT},
                                            {"epochs", required_argument, 0, O_EPOCHS},
                                            {"threads", required_argument, 0, O_THREADS},
                                            {"preset", required_argument, 0, O_PRESET},
                                            {"help", no_argument, 0, O_HELP},
                                            {0, 0, 0, 0}};
    const char *out = "runs/demo", *epochs = NULL, *threads = NULL;
    const char *presets[2] = {"tutorial", "precision"};
    int n_presets = 2;
    long v;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
        const char *flag = optind > 0 && optind <= argc ? argv[optind - 1] : "";
        switch (c) {
        case O_OUT: out = optarg; break;
        case O_EPOCHS:
            if (cli_parse_int("--epochs", optarg, 1, 1000000, &v)) return EXIT_USAGE;
            epochs = optarg;
            break;
        case O_THREADS:
            if (cli_parse_int("--threads", optarg, 1, 1024, &v)) return EXIT_USAGE;
            threads = optarg;
            break;
        case O_PRESET:
            if (strcmp(optarg, "tutorial") && strcmp(optarg, "precision")) {
                cli_error("--preset: '%s' is neither 'tutorial' nor 'precision'", optarg);
                return EXIT_USAGE;
            }
            presets[0] = optarg;
            n_presets = 1;
            break;
        case O_HELP: demo_usage(stdout); return 0;
        default: cli_bad_option("demo", c, flag); return EXIT_USAGE;
        }
    }
    if (cli_no_arguments_left("demo", argc, argv))
        return EXIT_USAGE;
    char data[4096], marker[4096], runs[2][4096];
    if (cli_make_dir(out) || cli_path(data, sizeof data, out, "data") ||
        cli_path(marker, sizeof marker, data, "generate.json"))
        return 1;
    for (int i = 0; i < n_presets; i++)
        if (cli_path(runs[i], sizeof runs[i], out, presets[i]))
            return 1;

    if (access(marker, R_OK) == 0) {
        printf("== data: %s (already generated; remove it to generate anew)\n", data);
    } else {
        printf("== generating the default data set into %s\n", data);
        fflush(stdout);
        char *gen_argv[] = {"generate", "--out", data, threads ? "--threads" : NULL,
                            (char *)threads, NULL};
        int status = cmd_generate(threads ? 5 : 3, gen_argv);
        if (status)
            return status;
    }
    for (int i = 0; i < n_presets; i++) {
        printf("== training the %s preset into %s\n", presets[i], runs[i]);
        fflush(stdout);
        char *train_argv[12] = {"train", "--data", data, "--out", runs[i], "--preset",
                                (char *)presets[i]};
        int n = 7;
        if (epochs) {
            train_argv[n++] = "--epochs";
            train_argv[n++] = (char *)epochs;
        }
        if (threads) {
            train_argv[n++] = "--threads";
            train_argv[n++] = (char *)threads;
        }
        train_argv[n] = NULL;
        int status = cmd_train(n, train_argv);
        if (status)
            return status;
    }
    print_comparison(runs, presets, n_presets);
    for (int i = 0; i < n_presets; i++)
        printf("== %s: metrics %s/eval/metrics.json, plots %s/eval/*.png and *.pdf (data and "
               "gnuplot scripts beside them), model %s/model.safetensors\n", presets[i],
               runs[i], runs[i], runs[i]);
    return 0;
}
