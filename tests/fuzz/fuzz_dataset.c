/* libFuzzer harness for the data-folder loader (train's ba_dataset_load_as, evaluate's
 * ba_events_load). The input is the folder's six files concatenated in the order
 * trn_dat, trn_amp, val_dat, val_amp, tst_dat, tst_amp, cut before every occurrence of
 * the .npy magic "\x93NUMPY" after the start; files the input does not reach are valid
 * ones of two events, so a one-file input fuzzes trn_dat with the rest of the folder
 * valid, and a whole folder fuzzes the checks across files. Each file is read with
 * npy_read_mem and the splits go through the loader's own checks and preprocessing,
 * with the tutorial's features and with standardised invariants. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "data/dataset.h"
#include "data/npy.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define N_FILES 6
#define MAGIC "\x93NUMPY"
#define MAGIC_LEN 6

/* A '<f8' .npy file of the given shape and values, as numpy writes it (header padded so
 * that the data starts at byte 64k), in buf; returns its size. */
static size_t make_npy(unsigned char *buf, const char *shape, const double *values,
                       size_t count)
{
    char dict[128];
    int len = snprintf(dict, sizeof dict,
                       "{'descr': '<f8', 'fortran_order': False, 'shape': %s, }", shape);
    size_t header = (size_t)len + 1, pad = 64 - (10 + header) % 64;
    memcpy(buf, MAGIC "\x01\x00", 8);
    buf[8] = (unsigned char)((header + pad) & 0xff);
    buf[9] = (unsigned char)((header + pad) >> 8);
    memcpy(buf + 10, dict, (size_t)len);
    memset(buf + 10 + len, ' ', pad);
    buf[10 + header + pad - 1] = '\n';
    memcpy(buf + 10 + header + pad, values, count * sizeof *values); /* x86: little-endian */
    return 10 + header + pad + count * sizeof *values;
}

/* The valid default files: two events g g -> gamma gamma g in the centre-of-mass frame,
 * the three outgoing particles 120 degrees apart in a plane (so every invariant s_ij is
 * positive), and their amplitudes. */
static unsigned char default_dat[512], default_amp[256];
static size_t default_dat_size, default_amp_size;

static void make_defaults(void)
{
    double momenta[2][5][4], amp[2] = {1.5e-7, 3.0e-6};
    for (int e = 0; e < 2; e++) {
        double E = e ? 150.0 : 400.0, tilt = e ? 0.3 : 0.0;
        double p[5][4] = {{E, 0, 0, E}, {E, 0, 0, -E}};
        for (int k = 0; k < 3; k++) {
            double phi = 2.0943951023931953 * k, q = 2 * E / 3;
            p[2 + k][0] = q;
            p[2 + k][1] = q * cos(phi) * cos(tilt);
            p[2 + k][2] = q * sin(phi);
            p[2 + k][3] = q * cos(phi) * sin(tilt);
        }
        memcpy(momenta[e], p, sizeof p);
    }
    default_dat_size = make_npy(default_dat, "(2, 5, 4)", &momenta[0][0][0], 40);
    default_amp_size = make_npy(default_amp, "(2,)", amp, 2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!default_dat_size)
        make_defaults();
    static const char *names[N_FILES] = {"trn_dat.npy", "trn_amp.npy", "val_dat.npy",
                                         "val_amp.npy", "tst_dat.npy", "tst_amp.npy"};
    /* Cut the input into the files. */
    const unsigned char *start[N_FILES];
    size_t len[N_FILES];
    int n_files = 0;
    size_t begin = 0;
    for (size_t i = 1; i + MAGIC_LEN <= size && n_files < N_FILES - 1; i++) {
        if (memcmp(data + i, MAGIC, MAGIC_LEN) == 0) {
            start[n_files] = data + begin, len[n_files] = i - begin;
            n_files++;
            begin = i;
        }
    }
    start[n_files] = data + begin, len[n_files] = size - begin;
    n_files++;
    for (int f = n_files; f < N_FILES; f++) {
        start[f] = f % 2 ? default_amp : default_dat;
        len[f] = f % 2 ? default_amp_size : default_dat_size;
    }

    /* the tool's own process; half the inputs (odd sizes) also through the kinematic
     * checks that train and evaluate apply */
    ba_process aag;
    ba_error perr;
    if (ba_process_parse(BA_PROCESS_DEFAULT, &aag, &perr))
        fuzz_require(0, "the default process parses");
    int kinematics = size % 2;
    raw_split raw[3];
    memset(raw, 0, sizeof raw);
    ba_error err = {{0}};
    int rc = 0, s = 0;
    for (; s < 3 && rc == 0; s++) {
        raw_split *r = &raw[s];
        snprintf(r->dat_path, sizeof r->dat_path, "fuzz/%s", names[2 * s]);
        snprintf(r->amp_path, sizeof r->amp_path, "fuzz/%s", names[2 * s + 1]);
        rc = npy_read_mem(start[2 * s], len[2 * s], r->dat_path, &r->dat, &err);
        if (rc == 0) {
            rc = npy_read_mem(start[2 * s + 1], len[2 * s + 1], r->amp_path, &r->amp, &err);
            if (rc)
                npy_free(&r->dat);
        }
        if (rc == 0)
            rc = dataset_check_split(r, &aag, kinematics, &err);
    }
    if (rc == 0) {
        const struct {
            ba_features features;
            int standardize;
        } configs[2] = {{BA_FEATURES_MOMENTA, 0}, {BA_FEATURES_INVARIANTS, 1}};
        for (int c = 0; c < 2; c++) {
            ba_dataset ds;
            ba_error derr = {{0}};
            if (dataset_from_splits(raw, &aag, configs[c].features, configs[c].standardize,
                                    &ds, &derr)) {
                fuzz_check_message("dataset_from_splits", derr.msg);
                continue;
            }
            fuzz_require(ds.trn.n == raw[0].dat.shape[0] && ds.pre.gluon_pt_mean > 0,
                         "a loaded training split has its events and a positive pT scale");
            ba_dataset_free(&ds);
        }
    } else {
        fuzz_check_message("data folder", err.msg);
    }
    for (s = 0; s < 3; s++) {
        npy_free(&raw[s].dat);
        npy_free(&raw[s].amp);
    }
    return 0;
}
