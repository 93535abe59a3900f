/* bayesamp demo: the whole workflow on the built-in default, for a fresh machine.
 * Generates the default data set (exact one-loop amplitudes) unless it is already there,
 * trains the tutorial's network on it, evaluates it on the test split and says where the
 * metrics and plots are. It is a composition of the generate and train commands, run
 * with their defaults, so what it shows is what those commands do. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static void demo_usage(FILE *out)
{
    fprintf(out,
        "usage: bayesamp demo [--out DIR] [--epochs N] [--threads N]\n"
        "\n"
        "Generate the default data set into DIR/data (unless DIR/data/generate.json exists),\n"
        "train the tutorial's network into DIR/tutorial and evaluate it on the test split.\n"
        "\n"
        "  --out DIR      output folder (default runs/demo)\n"
        "  --epochs N     training epochs (default 100, the tutorial's)\n"
        "  --threads N    threads (default: all cores)\n"
        "  --help         this text\n");
}

int cmd_demo(int argc, char **argv)
{
    enum { O_OUT = 256, O_EPOCHS, O_THREADS, O_HELP };
    static const struct option options[] = {{"out", required_argument, 0, O_OUT},
                                            {"epochs", required_argument, 0, O_EPOCHS},
                                            {"threads", required_argument, 0, O_THREADS},
                                            {"help", no_argument, 0, O_HELP},
                                            {0, 0, 0, 0}};
    const char *out = "runs/demo", *epochs = "100", *threads = NULL;
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
        case O_HELP: demo_usage(stdout); return 0;
        case ':': cli_error("demo: %s needs a value", flag); return EXIT_USAGE;
        default: cli_error("demo: unknown option '%s' (see 'bayesamp demo --help')", flag);
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        cli_error("demo: unexpected argument '%s'", argv[optind]);
        return EXIT_USAGE;
    }
    char data[4096], marker[4096], run[4096];
    if (cli_make_dir(out) || cli_path(data, sizeof data, out, "data") ||
        cli_path(marker, sizeof marker, data, "generate.json") ||
        cli_path(run, sizeof run, out, "tutorial"))
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
    printf("== training the tutorial's network (20-50-50-50-2, ReLU, weight sampling, "
           "Adam 1e-3, batch 128, %s epochs) into %s\n", epochs, run);
    fflush(stdout);
    char *train_argv[] = {"train", "--data", data, "--out", run, "--epochs", (char *)epochs,
                          threads ? "--threads" : NULL, (char *)threads, NULL};
    int status = cmd_train(threads ? 9 : 7, train_argv);
    if (status)
        return status;
    printf("== done. Metrics: %s/eval/metrics.json; plots: %s/eval/*.png and *.pdf "
           "(data and gnuplot scripts beside them); model: %s/model.safetensors\n",
           run, run, run);
    return 0;
}
