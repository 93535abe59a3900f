/* The plots of an evaluation as data files and gnuplot scripts; see plots.h. */
#include "io/plots.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "io/atomic_file.h"

#define LN10 2.302585092994046

/* ------------------------------------------------------------------ files */

/* NAME.dat and NAME.gp of one plot, written side by side and committed together. */
typedef struct plot_files {
    atomic_file dat, gp;
    const char *name;
} plot_files;

static int plot_open(plot_files *pf, const char *dir, const char *name, ba_error *err)
{
    char path[4096];
    memset(pf, 0, sizeof *pf);
    pf->name = name;
    snprintf(path, sizeof path, "%s/%s.dat", dir, name);
    if (atomic_file_open(&pf->dat, path, err))
        return -1;
    snprintf(path, sizeof path, "%s/%s.gp", dir, name);
    if (atomic_file_open(&pf->gp, path, err)) {
        atomic_file_abort(&pf->dat);
        return -1;
    }
    return 0;
}

static int plot_commit(plot_files *pf, plot_list *list, ba_error *err)
{
    if (atomic_file_commit(&pf->dat, err)) {
        atomic_file_abort(&pf->gp);
        return -1;
    }
    if (atomic_file_commit(&pf->gp, err))
        return -1;
    list->names[list->n++] = pf->name;
    return 0;
}

/* The start of every script: what it is, the shared colours and style. */
static void gp_header(FILE *f, const char *name, const char *title)
{
    fprintf(f,
            "# %s.gp: %s\n"
            "# Written by bayesamp %s from %s.dat. Edit as you like, then run: gnuplot %s.gp\n"
            "# the colours of every bayesamp plot (Okabe-Ito, safe for colour blindness)\n"
            "TRUTH = \"#000000\"; BNN = \"#0072B2\"; VALIDATION = \"#D55E00\"\n"
            "ALEATORIC = \"#E69F00\"; EPISTEMIC = \"#009E73\"; TOTAL = \"#D55E00\"\n"
            "set border lw 1.5\n"
            "set grid lc rgb \"#dddddd\" lw 1\n"
            "set key top right spacing 1.3 samplen 2.5\n",
            name, title, BAYESAMP_VERSION, name, name);
}

/* Open the loop that draws the plot twice: NAME.png, then NAME.pdf. */
static void gp_loop_begin(FILE *f, const char *name)
{
    fprintf(f,
            "do for [fmt in \"png pdf\"] {\n"
            "  if (fmt eq \"png\") {\n"
            "    set terminal pngcairo enhanced size 1000,750 font \",14\"\n"
            "  } else {\n"
            "    set terminal pdfcairo enhanced size 6in,4.5in font \",14\"\n"
            "  }\n"
            "  set output \"%s.\".fmt\n",
            name);
}

static void gp_loop_end(FILE *f)
{
    fprintf(f, "  unset output\n}\n");
}

/* ------------------------------------------------------------------ histograms */

/* Count x[i] into n_bins equal bins over [lo, hi]; values at hi go into the last bin. */
static void histogram(const double *x, size_t n, int n_bins, double lo, double hi,
                      double *counts, size_t *under, size_t *over)
{
    for (int b = 0; b < n_bins; b++)
        counts[b] = 0;
    *under = *over = 0;
    double scale = n_bins / (hi - lo);
    for (size_t i = 0; i < n; i++) {
        if (!(x[i] >= lo)) {
            (*under)++; /* and NaN */
            continue;
        }
        if (x[i] > hi) {
            (*over)++;
            continue;
        }
        int b = (int)((x[i] - lo) * scale);
        counts[b < n_bins ? b : n_bins - 1] += 1;
    }
}

/* Rows "lower edge, value of each series" for gnuplot's `with steps`, and a last row
 * that closes the last bin at its upper edge. With log10_edges the bins are in log10 x
 * and the edges are written as x. */
static void write_steps(FILE *f, int n_bins, double lo, double hi, int log10_edges,
                        double *const *series, int n_series)
{
    for (int b = 0; b <= n_bins; b++) {
        double edge = lo + (hi - lo) * b / n_bins;
        fprintf(f, "%.9g", log10_edges ? pow(10, edge) : edge);
        for (int s = 0; s < n_series; s++)
            fprintf(f, " %.9g", series[s][b < n_bins ? b : n_bins - 1]);
        fputc('\n', f);
    }
}

/* The smallest of 1, 2, 5 x 10^k (k >= -4) at least x, at most 10. */
static double nice_ceil(double x)
{
    static const double mant[3] = {1, 2, 5};
    for (int k = -4; k <= 1; k++)
        for (int m = 0; m < 3; m++) {
            double v = mant[m] * pow(10, k);
            if (v >= x)
                return v;
        }
    return 10;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The definitions of the total uncertainty in words for the data files and, in
 * gnuplot's enhanced text, for titles. */
static const char *total_formula(eval_total u)
{
    return u == EVAL_TOTAL_BAYES ? "<sigma^2> + Var(mu)"
                                 : "max(<sigma^2> - Var(mu), Var(mu)/(n-1), 1e-4 <sigma^2>), "
                                   "n = n_monte (n = 1: no middle term)";
}

static const char *total_title(eval_total u)
{
    return u == EVAL_TOTAL_BAYES
               ? "bayes: <{/Symbol s}^2> + Var({/Symbol m})"
               : "corrected: <{/Symbol s}^2> - Var({/Symbol m})";
}

/* ------------------------------------------------------------------ loss */

int plots_read_history(FILE *f, const char *path, double **cols, size_t *n_rows, char *why,
                       size_t why_size)
{
    static const char *wanted[3] = {"epoch", "train_loss", "val_loss"};
    char *line = NULL;
    size_t cap = 0, n = 0, alloc = 0;
    int where[3] = {-1, -1, -1}, rc = 0;
    for (int k = 0; k < 3; k++)
        cols[k] = NULL;
    if (getline(&line, &cap, f) < 0) {
        snprintf(why, why_size, "%s: empty file", path);
        rc = -1;
    }
    /* header: find the wanted columns */
    for (size_t c = 0, at = 0; rc == 0 && line[at];) {
        size_t len = strcspn(line + at, ",\r\n");
        for (int k = 0; k < 3; k++)
            if (strlen(wanted[k]) == len && !strncmp(line + at, wanted[k], len) &&
                c <= INT_MAX)
                where[k] = (int)c;
        at += len;
        if (line[at] != ',')
            break;
        at++, c++;
    }
    for (int k = 0; k < 3 && rc == 0; k++)
        if (where[k] < 0) {
            snprintf(why, why_size, "%s: no column '%s'", path, wanted[k]);
            rc = -1;
        }
    while (rc == 0 && getline(&line, &cap, f) >= 0) {
        if (line[0] == '\n' || line[0] == '\0')
            continue;
        if (n == alloc) {
            alloc = alloc ? 2 * alloc : 128;
            for (int k = 0; k < 3 && rc == 0; k++) {
                double *grown = realloc(cols[k], alloc * sizeof *grown);
                if (!grown) {
                    snprintf(why, why_size, "%s: out of memory", path);
                    rc = -1;
                } else {
                    cols[k] = grown;
                }
            }
            if (rc)
                break;
        }
        /* A short row would otherwise leave its value unset (uninitialised memory in
         * the plot), and a non-number would be read as 0: both say the file is not
         * what train wrote, and the plot is left out with a notice. */
        for (int k = 0; k < 3; k++)
            cols[k][n] = NAN;
        char *p = line;
        for (int c = 0; *p; c++) {
            for (int k = 0; k < 3; k++)
                if (c == where[k]) {
                    char *end;
                    cols[k][n] = strtod(p, &end);
                    end += strspn(end, " \t\r\n");
                    if (end == p || (*end && *end != ','))
                        cols[k][n] = NAN;
                }
            p += strcspn(p, ",");
            if (*p == ',')
                p++;
        }
        for (int k = 0; k < 3 && rc == 0; k++)
            if (!isfinite(cols[k][n])) {
                snprintf(why, why_size, "%s: data row %zu: column '%s' is not a finite number",
                         path, n + 1, wanted[k]);
                rc = -1;
            }
        n++;
    }
    free(line);
    if (rc == 0 && n == 0) {
        snprintf(why, why_size, "%s: no epochs", path);
        rc = -1;
    }
    if (rc) {
        for (int k = 0; k < 3; k++)
            free(cols[k]), cols[k] = NULL;
        return -1;
    }
    *n_rows = n;
    return 0;
}

/* plots_read_history of the file at path. */
static int read_history(const char *path, double **cols, size_t *n_rows, char *why,
                        size_t why_size)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        for (int k = 0; k < 3; k++)
            cols[k] = NULL;
        snprintf(why, why_size, "%s: %s", path, strerror(errno));
        return -1;
    }
    int rc = plots_read_history(f, path, cols, n_rows, why, why_size);
    fclose(f);
    return rc;
}

static int plot_loss(const char *dir, const plot_inputs *in, plot_list *list, ba_error *err)
{
    double *cols[3];
    size_t n;
    if (!in->history_csv) {
        snprintf(list->skipped, sizeof list->skipped, "no training history given");
        return 0;
    }
    if (read_history(in->history_csv, cols, &n, list->skipped, sizeof list->skipped))
        return 0; /* a notice, not an error */
    size_t best = 0;
    for (size_t i = 1; i < n; i++)
        if (cols[2][i] < cols[2][best])
            best = i;
    plot_files pf;
    if (plot_open(&pf, dir, "loss", err)) {
        free(cols[0]), free(cols[1]), free(cols[2]);
        return -1;
    }
    FILE *d = pf.dat.fp, *g = pf.gp.fp;
    fprintf(d, "# training history from %s\n# epoch train_loss val_loss\n", in->history_csv);
    for (size_t i = 0; i < n; i++)
        fprintf(d, "%.0f %.9g %.9g\n", cols[0][i], cols[1][i], cols[2][i]);
    /* The range from the lowest loss to the first epoch's: a loss curve falls, and the
     * rare spike of a long run (one batch with a tiny predicted variance) would
     * otherwise flatten the whole curve into the axis. Spikes are counted, not hidden. */
    double lo = INFINITY, hi = fmax(cols[1][0], cols[2][0]);
    size_t above = 0;
    for (size_t i = 0; i < n; i++) {
        lo = fmin(lo, fmin(cols[1][i], cols[2][i]));
        above += cols[1][i] > hi || cols[2][i] > hi;
    }
    double pad = hi > lo ? 0.05 * (hi - lo) : 0.5;
    gp_header(g, "loss", "training and validation loss per epoch");
    fprintf(g,
            "BEST = %.0f  # the epoch with the lowest validation loss\n"
            "set xlabel \"epoch\"\n"
            "set ylabel \"loss = NLL + KL / N_{train}\"\n"
            "set key top right\n"
            "set yrange [%.9g:%.9g]  # lowest loss to the first epoch's\n",
            cols[0][best], lo - pad, hi + pad);
    if (above)
        fprintf(g, "set label \"%zu epoch%s above the range (spikes)\" at graph 0.03, "
                   "graph 0.05 left\n", above, above == 1 ? "" : "s");
    /* points mark the epochs of a short run; a long one is clearer as lines */
    const char *style = n <= 200 ? "linespoints lw 2.5 pt 7 ps 0.7" : "lines lw 1.5";
    gp_loop_begin(g, "loss");
    fprintf(g,
            "  plot \"loss.dat\" using 1:2 with %s lc rgb BNN title \"training\", \\\n"
            "       \"\" using 1:3 with %s lc rgb VALIDATION title \"validation\", \\\n"
            "       \"\" using ($1 == BEST ? $1 : NaN):3 with points pt 6 ps 3 lw 2 "
            "lc rgb TRUTH title sprintf(\"best (epoch %%d)\", BEST)\n",
            style, style);
    gp_loop_end(g);
    free(cols[0]), free(cols[1]), free(cols[2]);
    return plot_commit(&pf, list, err);
}

/* ------------------------------------------------------------------ amplitudes */

static int plot_amplitudes(const char *dir, const plot_inputs *in, plot_list *list,
                           ba_error *err)
{
    enum { BINS = 60 };
    size_t n = in->n;
    double *lt = malloc(n * sizeof *lt), *lp = malloc(n * sizeof *lp);
    if (!lt || !lp) {
        free(lt), free(lp);
        return ba_fail(err, "out of memory for the amplitude plot");
    }
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        lt[i] = in->log_true[i] / LN10;
        lp[i] = in->pred[i].mean / LN10;
        lo = fmin(lo, fmin(lt[i], lp[i]));
        hi = fmax(hi, fmax(lt[i], lp[i]));
    }
    if (!(hi > lo))
        lo -= 0.5, hi += 0.5;
    double c_true[BINS], c_pred[BINS];
    size_t under, over;
    histogram(lt, n, BINS, lo, hi, c_true, &under, &over);
    histogram(lp, n, BINS, lo, hi, c_pred, &under, &over);
    free(lt), free(lp);

    plot_files pf;
    if (plot_open(&pf, dir, "amplitudes", err))
        return -1;
    FILE *d = pf.dat.fp, *g = pf.gp.fp;
    fprintf(d, "# %zu events in %d bins equal in log A; the last row closes the last bin\n"
               "# A_lower_edge n_true n_BNN\n", n, BINS);
    double *series[2] = {c_true, c_pred};
    write_steps(d, BINS, lo, hi, 1, series, 2);

    gp_header(g, "amplitudes", "distributions of the true and predicted amplitudes");
    fprintf(g, "set logscale x\nset format x \"10^{%%L}\"\nset mxtics 10\n");
    gp_loop_begin(g, "amplitudes");
    fprintf(g,
            "  set multiplot\n"
            "  # upper panel: the distributions\n"
            "  set lmargin at screen 0.13; set rmargin at screen 0.96\n"
            "  set tmargin at screen 0.95; set bmargin at screen 0.36\n"
            "  set logscale y; set format y \"10^{%%L}\"; set yrange [0.7:*]\n"
            "  set format x \"\"; unset xlabel\n"
            "  set ylabel \"events per bin\"\n"
            "  # empty bins are drawn below the axis (0.1) so the outline stays closed\n"
            "  plot \"amplitudes.dat\" using 1:($2 > 0 ? $2 : 0.1) with steps lw 2.5 "
            "lc rgb TRUTH title \"truth\", \\\n"
            "       \"\" using 1:($3 > 0 ? $3 : 0.1) with steps lw 2.5 lc rgb BNN "
            "title \"BNN\"\n"
            "  # lower panel: their ratio\n"
            "  set tmargin at screen 0.36; set bmargin at screen 0.12\n"
            "  # no tic label at 1.5, where it would touch the upper panel's\n"
            "  unset logscale y; set format y \"%%g\"; set yrange [0.5:1.5]\n"
            "  set ytics (\"0.5\" 0.5, \"0.75\" 0.75, \"1\" 1, \"1.25\" 1.25)\n"
            "  set format x \"10^{%%L}\"; set xlabel \"amplitude A\"\n"
            "  set ylabel \"BNN / truth\"\n"
            "  plot \"amplitudes.dat\" using 1:($2 > 0 ? $3 / $2 : NaN) with steps lw 2.5 "
            "lc rgb BNN notitle, \\\n"
            "       1 with lines dt 2 lw 1.5 lc rgb TRUTH notitle\n"
            "  unset multiplot\n"
            "  set ytics autofreq\n");
    gp_loop_end(g);
    return plot_commit(&pf, list, err);
}

/* ------------------------------------------------------------------ relative deviation */

/* The half-width of the relative deviation's axis: a round number that shows the bulk
 * (three times the 5-95 % range) however good the network is. */
static double rel_dev_range(const eval_metrics *m)
{
    double q = fmax(fabs(m->all.rel_q[0]), fabs(m->all.rel_q[4]));
    return nice_ceil(fmax(3 * q, 1e-3));
}

static int plot_rel_dev(const char *dir, const plot_inputs *in, const double *rel,
                        plot_list *list, ba_error *err)
{
    enum { BINS = 100 };
    const eval_metrics *m = in->metrics;
    double r = rel_dev_range(m), counts[BINS];
    size_t under, over;
    histogram(rel, in->n, BINS, -r, r, counts, &under, &over);
    plot_files pf;
    if (plot_open(&pf, dir, "rel_dev", err))
        return -1;
    FILE *d = pf.dat.fp, *g = pf.gp.fp;
    fprintf(d, "# relative deviation A_pred/A_true - 1 of %zu events; %zu below %g and "
               "%zu above %g are not binned\n"
               "# lower_edge n_events (the last row closes the last bin)\n",
            in->n, under, -r, over, r);
    double *series[1] = {counts};
    write_steps(d, BINS, -r, r, 0, series, 1);

    gp_header(g, "rel_dev", "distribution of the relative deviation of the amplitudes");
    fprintf(g,
            "set xlabel \"A_{pred} / A_{true} - 1\"\n"
            "set ylabel \"events per bin\"\n"
            "set xrange [%g:%g]\n"
            "set yrange [0:*]\n"
            "set arrow 1 from 0, graph 0 to 0, graph 1 nohead dt 2 lw 1.5 lc rgb TRUTH\n"
            "set label 1 \"|A_{pred} / A_{true} - 1| < 1 %%: %.1f %% of events\\n"
            "68 %% within [%.3g, %.3g]\\n"
            "%zu events outside the plot\" at graph 0.03, graph 0.93 left\n",
            -r, r, 100 * m->all.frac_below[1], m->all.rel_q[1], m->all.rel_q[3],
            under + over);
    gp_loop_begin(g, "rel_dev");
    fprintf(g,
            "  plot \"rel_dev.dat\" using 1:2 with fillsteps fs transparent solid 0.25 "
            "noborder lc rgb BNN notitle, \\\n"
            "       \"\" using 1:2 with steps lw 2.5 lc rgb BNN title \"BNN\"\n");
    gp_loop_end(g);
    return plot_commit(&pf, list, err);
}

/* ------------------------------------------------------------------ uncertainties */

static int plot_uncertainties(const char *dir, const plot_inputs *in, plot_list *list,
                              ba_error *err)
{
    enum { BINS = 60 };
    size_t n = in->n;
    double *s[3];
    for (int k = 0; k < 3; k++)
        s[k] = malloc(n * sizeof *s[k]);
    if (!s[0] || !s[1] || !s[2]) {
        free(s[0]), free(s[1]), free(s[2]);
        return ba_fail(err, "out of memory for the uncertainty plot");
    }
    /* log10 sigma; -inf for sigma = 0 (the epistemic part in MAP mode) is not binned */
    eval_total u = in->metrics->uncertainty;
    double lo = INFINITY, hi = -INFINITY;
    int any[3] = {0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        double al = in->pred[i].var_aleatoric, ep = in->pred[i].var_epistemic;
        double v[3] = {al, ep, eval_total_variance(&in->pred[i], u, in->n_monte)};
        for (int k = 0; k < 3; k++) {
            s[k][i] = v[k] > 0 ? 0.5 * log10(v[k]) : -INFINITY;
            if (v[k] > 0) {
                any[k] = 1;
                lo = fmin(lo, s[k][i]);
                hi = fmax(hi, s[k][i]);
            }
        }
    }
    if (!(hi > lo)) {
        lo = isfinite(lo) ? lo - 0.5 : -3;
        hi = isfinite(hi) ? hi + 0.5 : 0;
    }
    double counts[3][BINS];
    size_t under, over;
    for (int k = 0; k < 3; k++)
        histogram(s[k], n, BINS, lo, hi, counts[k], &under, &over);
    free(s[0]), free(s[1]), free(s[2]);

    plot_files pf;
    if (plot_open(&pf, dir, "uncertainties", err))
        return -1;
    FILE *d = pf.dat.fp, *g = pf.gp.fp;
    fprintf(d, "# uncertainties of log A for %zu events in %d bins equal in log sigma; "
               "sigma = 0 is not binned\n"
               "# total: the %s definition, sigma^2 = %s\n"
               "# sigma_lower_edge n_aleatoric n_epistemic n_total (the last row closes the "
               "last bin)\n", n, BINS, eval_total_name(u), total_formula(u));
    double *series[3] = {counts[0], counts[1], counts[2]};
    write_steps(d, BINS, lo, hi, 1, series, 3);

    gp_header(g, "uncertainties", "aleatoric, epistemic and total uncertainty of log A");
    fprintf(g,
            "set logscale x\nset format x \"10^{%%L}\"\nset mxtics 10\n"
            "set xlabel \"{/Symbol s} of log A\"\n"
            "set ylabel \"events per bin\"\n"
            "set yrange [0:*]\n"
            "set key top left\n");
    if (!any[1])
        fprintf(g, "set label 1 \"{/Symbol s}_{epistemic} = 0 (mean weights)\" "
                   "at graph 0.97, graph 0.93 right tc rgb EPISTEMIC\n");
    gp_loop_begin(g, "uncertainties");
    fprintf(g,
            "  plot \"uncertainties.dat\" using 1:2 with steps lw 2.5 lc rgb ALEATORIC "
            "title \"{/Symbol s}_{aleatoric}\", \\\n");
    if (any[1])
        fprintf(g, "       \"\" using 1:3 with steps lw 2.5 lc rgb EPISTEMIC "
                   "title \"{/Symbol s}_{epistemic}\", \\\n");
    fprintf(g, "       \"\" using 1:4 with steps lw 2.5 dt 2 lc rgb TOTAL "
               "title \"{/Symbol s}_{total} (%s)\"\n", total_title(u));
    gp_loop_end(g);
    return plot_commit(&pf, list, err);
}

/* ------------------------------------------------------------------ pull */

static int plot_pull(const char *dir, const plot_inputs *in, const double *pull,
                     plot_list *list, ba_error *err)
{
    enum { BINS = 80 };
    const double lim = 5;
    double counts[BINS];
    size_t under, over;
    histogram(pull, in->n, BINS, -lim, lim, counts, &under, &over);
    eval_total u = in->metrics->uncertainty;
    const eval_pulls *c = eval_chosen(in->metrics);
    double width = 2 * lim / BINS;
    for (int b = 0; b < BINS; b++)
        counts[b] /= (double)in->n * width; /* a density, comparable to N(0, 1) */
    plot_files pf;
    if (plot_open(&pf, dir, "pull", err))
        return -1;
    FILE *d = pf.dat.fp, *g = pf.gp.fp;
    fprintf(d, "# pull (mean - log A_true) / sigma_total of %zu events; %zu below %g and "
               "%zu above %g are not binned\n"
               "# sigma_total: the %s definition, sigma^2 = %s\n"
               "# lower_edge density (normalised to all events; the last row closes the "
               "last bin)\n",
            in->n, under, -lim, over, lim, eval_total_name(u), total_formula(u));
    double *series[1] = {counts};
    write_steps(d, BINS, -lim, lim, 0, series, 1);

    gp_header(g, "pull", "pull distribution against a unit Gaussian");
    fprintf(g,
            "gauss(x) = exp(-x**2 / 2) / sqrt(2 * pi)\n"
            "set xlabel \"pull = ({/Symbol m} - log A_{true}) / {/Symbol s}_{total}, "
            "%s\"\n"
            "set ylabel \"density\"\n"
            "set xrange [%g:%g]\n"
            "set yrange [0:*]\n"
            "set samples 400\n"
            "set label 1 \"|pull| < 1: %.1f %% of events (68.3 %% expected)\\n"
            "|pull| < 1.96: %.1f %% (95 %% expected)\\n"
            "robust width (q_{84} - q_{16}) / 2: %.2f\" at graph 0.03, graph 0.93 left\n",
            total_title(u), -lim, lim, 100 * c->coverage_68, 100 * c->coverage_95,
            c->robust_width);
    gp_loop_begin(g, "pull");
    fprintf(g,
            "  plot \"pull.dat\" using 1:2 with fillsteps fs transparent solid 0.25 noborder "
            "lc rgb BNN notitle, \\\n"
            "       \"\" using 1:2 with steps lw 2.5 lc rgb BNN "
            "title \"BNN: mean %.2f, std %.2f\", \\\n"
            "       gauss(x) with lines dt 2 lw 2 lc rgb TRUTH title \"N(0, 1)\"\n",
            c->mean, c->std);
    gp_loop_end(g);
    return plot_commit(&pf, list, err);
}

/* ------------------------------------------------------------------ rel_dev_vs_amp */

static int plot_rel_dev_vs_amp(const char *dir, const plot_inputs *in, const double *rel,
                               plot_list *list, ba_error *err)
{
    enum { MAX_BINS = 25, MIN_EVENTS = 20, SCATTER = 4000 };
    size_t n = in->n;
    /* about 200 events per bin or more, so that the quantiles mean something and at
     * least one bin has MIN_EVENTS (gnuplot cannot draw an empty first data block) */
    int bins = n / 200 < 1 ? 1 : n / 200 > MAX_BINS ? MAX_BINS : (int)(n / 200);
    size_t min_events = n < MIN_EVENTS ? 1 : MIN_EVENTS;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        lo = fmin(lo, in->log_true[i] / LN10);
        hi = fmax(hi, in->log_true[i] / LN10);
    }
    if (!(hi > lo))
        lo -= 0.5, hi += 0.5;
    /* group the relative deviations by bin (a counting sort), then sort each bin */
    size_t start[MAX_BINS + 1] = {0};
    int *bin = malloc(n * sizeof *bin);
    double *grouped = malloc(n * sizeof *grouped);
    if (!bin || !grouped) {
        free(bin), free(grouped);
        return ba_fail(err, "out of memory for the relative deviation plot");
    }
    for (size_t i = 0; i < n; i++) {
        int b = (int)((in->log_true[i] / LN10 - lo) / (hi - lo) * bins);
        bin[i] = b < 0 ? 0 : b >= bins ? bins - 1 : b;
        start[bin[i] + 1]++;
    }
    for (int b = 0; b < bins; b++)
        start[b + 1] += start[b];
    size_t fill[MAX_BINS];
    memcpy(fill, start, sizeof fill);
    for (size_t i = 0; i < n; i++)
        grouped[fill[bin[i]]++] = rel[i];
    free(bin);

    double r = rel_dev_range(in->metrics);
    plot_files pf;
    if (plot_open(&pf, dir, "rel_dev_vs_amp", err)) {
        free(grouped);
        return -1;
    }
    FILE *d = pf.dat.fp, *g = pf.gp.fp;
    fprintf(d, "# A_pred/A_true - 1 against A_true: %d bins equal in log A_true, bins with "
               "at least %zu events\n"
               "# A_center A_lower A_upper n q2.5 q16 q50 q84 q97.5\n", bins, min_events);
    for (int b = 0; b < bins; b++) {
        size_t m = start[b + 1] - start[b];
        if (m < min_events)
            continue;
        double *x = grouped + start[b];
        qsort(x, m, sizeof *x, compare_doubles);
        double e0 = lo + (hi - lo) * b / bins, e1 = lo + (hi - lo) * (b + 1) / bins;
        fprintf(d, "%.9g %.9g %.9g %zu %.9g %.9g %.9g %.9g %.9g\n", pow(10, 0.5 * (e0 + e1)),
                pow(10, e0), pow(10, e1), m, quantile_sorted(x, m, 0.025),
                quantile_sorted(x, m, 0.16), quantile_sorted(x, m, 0.5),
                quantile_sorted(x, m, 0.84), quantile_sorted(x, m, 0.975));
    }
    free(grouped);
    size_t stride = n / SCATTER + 1;
    fprintf(d, "\n\n# every %zu-th event\n# A_true A_pred/A_true-1\n", stride);
    for (size_t i = 0; i < n; i += stride)
        fprintf(d, "%.9g %.9g\n", exp(in->log_true[i]), rel[i]);

    gp_header(g, "rel_dev_vs_amp", "relative deviation against the true amplitude");
    fprintf(g,
            "set logscale x\nset format x \"10^{%%L}\"\nset mxtics 10\n"
            "set xlabel \"A_{true}\"\n"
            "set ylabel \"A_{pred} / A_{true} - 1\"\n"
            "set yrange [%g:%g]\n"
            "set key top right opaque\n",
            -r, r);
    gp_loop_begin(g, "rel_dev_vs_amp");
    fprintf(g,
            "  plot \"rel_dev_vs_amp.dat\" index 1 using 1:2 with points pt 7 ps 0.25 "
            "lc rgb \"#b0b0b0\" title \"events\", \\\n"
            "       \"\" index 0 using 1:5:9 with filledcurves fs transparent solid 0.2 "
            "lc rgb BNN title \"95 %%\", \\\n"
            "       \"\" index 0 using 1:6:8 with filledcurves fs transparent solid 0.35 "
            "lc rgb BNN title \"68 %%\", \\\n"
            "       \"\" index 0 using 1:7 with linespoints lw 2.5 pt 7 ps 0.8 lc rgb BNN "
            "title \"median\", \\\n"
            "       0 with lines dt 2 lw 1.5 lc rgb TRUTH notitle\n");
    gp_loop_end(g);
    return plot_commit(&pf, list, err);
}

/* ------------------------------------------------------------------ calibration */

static int plot_calibration(const char *dir, const plot_inputs *in, plot_list *list,
                            ba_error *err)
{
    const eval_metrics *m = in->metrics;
    const eval_pulls *corr = &m->all.total[EVAL_TOTAL_CORRECTED];
    const eval_pulls *bayes = &m->all.total[EVAL_TOTAL_BAYES];
    plot_files pf;
    if (plot_open(&pf, dir, "calibration", err))
        return -1;
    FILE *d = pf.dat.fp, *g = pf.gp.fp;
    fprintf(d, "# fraction of %zu events with |pull| < z(c), z(c) = sqrt(2) erfinv(c), for\n"
               "# both definitions of sigma_total: corrected, sigma^2 = %s;\n"
               "# bayes, sigma^2 = %s\n"
               "# expected_coverage_c observed_corrected observed_bayes\n",
            m->all.n_events, total_formula(EVAL_TOTAL_CORRECTED),
            total_formula(EVAL_TOTAL_BAYES));
    for (int k = 0; k < METRICS_N_CALIB; k++)
        fprintf(d, "%.9g %.9g %.9g\n", m->calib_expected[k], corr->calib_observed[k],
                bayes->calib_observed[k]);

    gp_header(g, "calibration", "observed against expected coverage of the uncertainties");
    fprintf(g,
            "set xlabel \"expected coverage\"\n"
            "set ylabel \"observed coverage\"\n"
            "set xrange [0:1]\nset yrange [0:1]\n"
            "set size ratio -1\n"
            "set key top left\n"
            "set label 1 \"above the diagonal: uncertainties too large\\n"
            "below: too small\" at graph 0.97, graph 0.08 right\n");
    gp_loop_begin(g, "calibration");
    fprintf(g,
            "  plot x with lines dt 2 lw 1.5 lc rgb TRUTH title \"perfect calibration\", \\\n"
            "       \"calibration.dat\" using 1:2 with linespoints lw 2.5 pt 7 ps 1 "
            "lc rgb BNN title \"%s%s\", \\\n"
            "       \"\" using 1:3 with linespoints lw 2.5 pt 5 ps 1 lc rgb TOTAL "
            "title \"%s%s\"\n",
            total_title(EVAL_TOTAL_CORRECTED),
            m->uncertainty == EVAL_TOTAL_CORRECTED ? " (chosen)" : "",
            total_title(EVAL_TOTAL_BAYES), m->uncertainty == EVAL_TOTAL_BAYES ? " (chosen)" : "");
    gp_loop_end(g);
    return plot_commit(&pf, list, err);
}

/* ------------------------------------------------------------------ all */

int plots_write(const char *dir, const plot_inputs *in, plot_list *list, ba_error *err)
{
    memset(list, 0, sizeof *list);
    if (in->n == 0)
        return ba_fail(err, "no events to plot");
    if (in->n_monte < 1)
        return ba_fail(err, "the number of Monte-Carlo passes is %d, not >= 1", in->n_monte);
    double *rel = malloc(in->n * sizeof *rel), *pull = malloc(in->n * sizeof *pull);
    if (!rel || !pull) {
        free(rel), free(pull);
        return ba_fail(err, "out of memory for the plots");
    }
    eval_residuals(in->pred, in->log_true, in->n, in->metrics->uncertainty, in->n_monte, rel,
                   pull);
    int rc = plot_loss(dir, in, list, err);
    if (rc == 0)
        rc = plot_amplitudes(dir, in, list, err);
    if (rc == 0)
        rc = plot_rel_dev(dir, in, rel, list, err);
    if (rc == 0)
        rc = plot_uncertainties(dir, in, list, err);
    if (rc == 0)
        rc = plot_pull(dir, in, pull, list, err);
    if (rc == 0)
        rc = plot_rel_dev_vs_amp(dir, in, rel, list, err);
    if (rc == 0)
        rc = plot_calibration(dir, in, list, err);
    free(rel), free(pull);
    return rc;
}
