/* bayesamp: the command-line front end of the library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bayesamp.h"
#include "cli.h"
#include "common/parallel.h"
#include "data/npy.h"

static void usage(FILE *out)
{
    fprintf(out,
            "bayesamp %s: Bayesian neural networks for scattering amplitudes\n"
            "\n"
            "usage: bayesamp COMMAND [OPTIONS]\n"
            "\n"
            "commands:\n"
            "  demo      the whole workflow on the built-in default: generate, train, evaluate\n"
            "  train     train a Bayesian network on a data folder (Heidelberg layout)\n"
            "  predict   amplitudes with uncertainties for a file of momenta\n"
            "  evaluate  predict a data split and write metrics and plots\n"
            "  generate  make a data folder: LHC events with their exact one-loop |M|^2\n"
            "  amplitude the exact one-loop |M|^2 of given momenta\n"
            "\n"
            "Run 'bayesamp COMMAND --help' for the options of a command.\n",
            BAYESAMP_VERSION);
}

static int run_command(int argc, char **argv)
{
    if (argc < 2) {
        /* One line, like every other usage error, so that scripts can show it as is. */
        cli_error("no command given (see 'bayesamp --help')");
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version")) {
        printf("bayesamp %s\n", BAYESAMP_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "demo"))
        return cmd_demo(argc - 1, argv + 1);
    if (!strcmp(cmd, "train"))
        return cmd_train(argc - 1, argv + 1);
    if (!strcmp(cmd, "predict"))
        return cmd_predict(argc - 1, argv + 1);
    if (!strcmp(cmd, "evaluate"))
        return cmd_evaluate(argc - 1, argv + 1);
    if (!strcmp(cmd, "generate"))
        return cmd_generate(argc - 1, argv + 1);
    if (!strcmp(cmd, "amplitude"))
        return cmd_amplitude(argc - 1, argv + 1);
    cli_error("unknown command '%s' (see 'bayesamp --help')", cmd);
    return EXIT_USAGE;
}

/* Under mpirun every rank runs the same command on its share of the work
 * (common/parallel.h); rank 0 speaks for the job: the other ranks' standard output is
 * dropped, and errors, which par_agree brings to every rank, are printed by rank 0
 * (cli_error). The exit status is the worst of all ranks'. */
int main(int argc, char **argv)
{
    ba_error err;
    if (par_init(&argc, &argv, &err)) {
        cli_error("%s", err.msg);
        return 1;
    }
    if (par_rank() != 0 && !freopen("/dev/null", "w", stdout)) {
        cli_error("rank %d: cannot silence its standard output", par_rank());
        return par_finalize(1);
    }
    int status = run_command(argc, argv);
    /* For tests of what each rank reads (tests/cli_mpi_test.sh), and for the curious. */
    const char *stats = getenv("BAYESAMP_READ_STATS");
    if (stats && !strcmp(stats, "1"))
        fprintf(stderr, "read stats: rank %d of %d read %llu bytes of data files\n", par_rank(),
                par_size(), (unsigned long long)data_bytes_read());
    return par_finalize(status);
}
