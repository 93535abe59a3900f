/* bayesamp: the command-line front end of the library. */
#include <stdio.h>
#include <string.h>

#include "bayesamp.h"
#include "cli.h"

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

int main(int argc, char **argv)
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
