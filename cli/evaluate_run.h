/* The evaluation of a trained model on one split of a data folder, shared by
 * `bayesamp evaluate` and the end of `bayesamp train`: Monte-Carlo prediction, then
 * OUT/pred.npy, OUT/metrics.json and the plots (data, gnuplot scripts and, with gnuplot
 * on PATH, PNG and PDF), and a short summary on standard output. With rescale_on_val a
 * second prediction of the val split (same model and settings) fits the factor k of a
 * post-hoc rescaling, reported beside the unrescaled metrics. */
#ifndef BA_EVALUATE_RUN_H
#define BA_EVALUATE_RUN_H

#include "bayesamp.h"
#include "eval/metrics.h"

typedef struct evaluate_options {
    const char *model_path;   /* RUN/model.safetensors */
    const char *data_dir;     /* Heidelberg layout, or one file of events */
    double data_split[3];     /* that file's fractions trn, val, tst ... */
    int has_data_split;       /* ... if it is one (0: a folder) */
    const char *split;        /* "tst", "val" or "trn" */
    const char *out_dir;      /* created if missing */
    ba_predict_config predict;
    eval_total uncertainty;   /* the total behind pull, coverage, NLL, plots (0: corrected) */
    int rescale_on_val;       /* also fit total *= k on the val split, report "rescaled" */
    const char *process;      /* --process: must be the model's process (NULL: not given) */
} evaluate_options;

/* Returns the exit status: 0, 1 after printing the error, or 2 (EXIT_USAGE) if
 * o->process is malformed or not the model's. The loss plot reads history.csv beside
 * the model file, if there is one. */
int evaluate_run(const evaluate_options *o);

/* The Monte-Carlo options that predict and evaluate share: their getopt_long entries
 * (put MC_LONG_OPTIONS into the command's option table) and one parser for them. */
enum { MC_OPT_N_MONTE = 1000, MC_OPT_MODE, MC_OPT_SEED, MC_OPT_BATCH, MC_OPT_THREADS };
#define MC_LONG_OPTIONS                                                                    \
    {"n-monte", required_argument, 0, MC_OPT_N_MONTE},                                     \
        {"mode", required_argument, 0, MC_OPT_MODE},                                       \
        {"seed", required_argument, 0, MC_OPT_SEED},                                       \
        {"batch-size", required_argument, 0, MC_OPT_BATCH},                                \
        {"threads", required_argument, 0, MC_OPT_THREADS}
#define MC_OPTION_CASES                                                                    \
    case MC_OPT_N_MONTE:                                                                   \
    case MC_OPT_MODE:                                                                      \
    case MC_OPT_SEED:                                                                      \
    case MC_OPT_BATCH:                                                                     \
    case MC_OPT_THREADS

/* Apply option `code` with its value to cfg; -1 after a one-line message if malformed. */
int parse_mc_option(int code, const char *value, ba_predict_config *cfg);

/* Parse a --mode value: sample, fixed or map. -1 with a message if neither. */
int evaluate_parse_mode(const char *text, ba_predict_mode *mode);
const char *evaluate_mode_name(ba_predict_mode mode);

#endif
