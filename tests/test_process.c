/* The process module (physics/process.c): parsing MadGraph syntax, the particle table,
 * mass overrides, and the check of events against their process on the shared data
 * sets (g g > g g g, g g > g g g g, g g > t t~ and the g g > a a g reference). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bayesamp.h"
#include "check.h"
#include "data/npy.h"
#include "physics/process.h"

#define DATA BAYESAMP_SHARED "/data"

static int contains(const char *s, const char *needle) { return strstr(s, needle) != NULL; }

/* A good process string: its canonical text, particle count and identical groups. */
static void expect_parses(const char *text, const char *canonical, int n,
                          const int *identical_to)
{
    ba_process p;
    ba_error err = {{0}};
    int rc = ba_process_parse(text, &p, &err);
    CHECK_MSG(rc == 0, "\"%s\": %s", text, err.msg);
    if (rc)
        return;
    CHECK_MSG(!strcmp(p.text, canonical), "\"%s\" -> \"%s\"", text, p.text);
    CHECK_MSG(p.n_particles == n, "\"%s\": %d particles", text, p.n_particles);
    CHECK(ba_process_mass_dimension(&p) == 8 - 2 * n);
    for (int i = 0; identical_to && i < n; i++)
        CHECK_MSG(p.identical_to[i] == identical_to[i], "\"%s\": particle %d identical to %d",
                  text, i, p.identical_to[i]);
}

/* A bad process string: refused with one line that names needle. */
static void expect_refused(const char *text, const char *needle)
{
    ba_process p;
    ba_error err = {{0}};
    CHECK_MSG(ba_process_parse(text, &p, &err) != 0, "\"%s\" parsed", text);
    CHECK_MSG(contains(err.msg, needle), "\"%s\": \"%s\" lacks \"%s\"", text, err.msg, needle);
    CHECK(strchr(err.msg, '\n') == NULL);
}

static void test_parsing(void)
{
    expect_parses("g g > a a g", "g g > a a g", 5, (int[]){0, 1, 2, 2, 4});
    expect_parses("  g g>a   a g ", "g g > a a g", 5, NULL);
    expect_parses("g g > g g g g", "g g > g g g g", 6, (int[]){0, 1, 2, 2, 2, 2});
    expect_parses("g g > t t~", "g g > t t~", 4, (int[]){0, 1, 2, 3});
    expect_parses("u u~ > z g g", "u u~ > z g g", 5, (int[]){0, 1, 2, 3, 3});
    expect_parses("g g > g a g a", "g g > g a g a", 6, (int[]){0, 1, 2, 3, 2, 3});
    expect_parses("g g > g g g g g g", "g g > g g g g g g", 8, NULL);
    expect_parses("u d~ > w+ g g g g g g g", "u d~ > w+ g g g g g g g", BA_MAX_PARTICLES, NULL);

    expect_refused("", "no '>'");
    expect_refused("g g a a g", "no '>'");
    expect_refused("g > a a", "1 incoming");
    expect_refused("g g g > a a", "3 incoming");
    expect_refused("g g > a", "1 outgoing");
    expect_refused("g g >", "0 outgoing");
    expect_refused("g g > a > a g", "more than one '>'");
    expect_refused("g g > a x g", "\"x\"");
    expect_refused("g g > photon g", "\"photon\"");
    expect_refused("g g > averyverylongname g", "\"averyverylongname\"");
    expect_refused("g g > a a g, a", "\"g,\"");
    expect_refused("g g > g g g g g g g g g", "need 2 to 8");
    /* one line, naming the unknown particle and the string */
    ba_process p;
    ba_error err;
    ba_process_parse("g g > t t~ x", &p, &err);
    CHECK_MSG(contains(err.msg, "unknown particle \"x\"") && contains(err.msg, "g g > t t~ x"),
              "%s", err.msg);
}

static void test_table_and_masses(void)
{
    static const struct { const char *name; double mass; } want[] = {
        {"g", 0}, {"a", 0}, {"u", 0}, {"u~", 0}, {"b", 0}, {"b~", 0}, {"e-", 0}, {"mu+", 0},
        {"ta-", 0}, {"ve", 0}, {"vt~", 0}, {"t", 173.0}, {"t~", 173.0}, {"z", 91.1876},
        {"w+", 80.377}, {"w-", 80.377}, {"h", 125.0}};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        double m = -1;
        CHECK_MSG(ba_particle_mass(want[i].name, &m) == 0 && m == want[i].mass, "%s: %g",
                  want[i].name, m);
    }
    double m;
    CHECK(ba_particle_mass("photon", &m) != 0 && ba_particle_mass("", &m) != 0 &&
          ba_particle_mass("T", &m) != 0);

    ba_process p;
    ba_error err;
    CHECK(ba_process_parse("g g > t t~", &p, &err) == 0);
    CHECK(p.mass[0] == 0 && p.mass[1] == 0 && p.mass[2] == 173 && p.mass[3] == 173);
    /* a particle and its antiparticle share their mass */
    CHECK_MSG(ba_process_set_mass(&p, "t=172.5", &err) == 0, "%s", err.msg);
    CHECK(p.mass[2] == 172.5 && p.mass[3] == 172.5 && p.mass[0] == 0);
    CHECK_MSG(ba_process_set_mass(&p, "t~=171", &err) == 0, "%s", err.msg);
    CHECK(p.mass[2] == 171 && p.mass[3] == 171);
    const char *bad[] = {"t", "=5", "t=", "t=abc", "t=-1", "t=nan", "t=inf", "z=91"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        CHECK_MSG(ba_process_set_mass(&p, bad[i], &err) != 0, "\"%s\" accepted", bad[i]);
        CHECK_MSG(contains(err.msg, bad[i]), "\"%s\": %s", bad[i], err.msg);
    }
    CHECK(p.mass[2] == 171);
    ba_process w;
    CHECK(ba_process_parse("u d~ > w+ g", &w, &err) == 0 && w.mass[2] == 80.377);
    CHECK(ba_process_set_mass(&w, "w-=80", &err) == 0 && w.mass[2] == 80);

    /* the masses of a model file read back exactly */
    char list[25 * BA_MAX_PARTICLES];
    ba_process q;
    CHECK(ba_process_parse("g g > t t~", &q, &err) == 0);
    process_format_masses(&p, list, sizeof list);
    CHECK_MSG(process_parse_masses(&q, list, &err) == 0, "%s", err.msg);
    CHECK(process_equal(&p, &q));
    CHECK(process_parse_masses(&q, "0,0,173", &err) != 0);
    CHECK(process_parse_masses(&q, "0,0,173,173,1", &err) != 0);
    CHECK(process_parse_masses(&q, "0,0,173,-1", &err) != 0);

    /* the default is the parsed BA_PROCESS_DEFAULT */
    ba_process d, e;
    process_default(&d);
    CHECK(ba_process_parse("g g > a a g", &e, &err) == 0 && process_equal(&d, &e));
}

/* Every event of a shared data set passes the check; a broken copy of one is refused
 * with the reason. */
static void check_data_set(const char *path, const char *process)
{
    npy_array a;
    ba_error err;
    if (npy_read(path, &a, &err)) {
        CHECK_MSG(0, "%s", err.msg);
        return;
    }
    ba_process p;
    CHECK(ba_process_parse(process, &p, &err) == 0);
    CHECK_MSG(a.ndim == 3 && a.shape[1] == (size_t)p.n_particles && a.shape[2] == 4,
              "%s: not (N, %d, 4)", path, p.n_particles);
    size_t stride = 4 * (size_t)p.n_particles, bad = 0;
    for (size_t i = 0; i < a.shape[0]; i++)
        if (ba_process_check_event(&p, a.data + i * stride, &err)) {
            if (bad++ == 0)
                fprintf(stderr, "%s: row %zu: %s\n", path, i, err.msg);
        }
    CHECK_MSG(bad == 0, "%s: %zu events refused for \"%s\"", path, bad, process);

    double event[4 * BA_MAX_PARTICLES];
    memcpy(event, a.data, stride * sizeof *event);
    int last = p.n_particles - 1;
    double *q = event + 4 * last;
    /* off shell: the last particle's energy 1e-4 too large */
    q[0] *= 1 + 1e-4;
    CHECK(ba_process_check_event(&p, event, &err) != 0 && contains(err.msg, "mass shell"));
    /* not conserved: its momentum turned by a little, still on shell */
    memcpy(event, a.data, stride * sizeof *event);
    double px = q[1], py = q[2], c = cos(1e-3), s = sin(1e-3);
    q[1] = c * px - s * py;
    q[2] = s * px + c * py;
    CHECK(ba_process_check_event(&p, event, &err) != 0 && contains(err.msg, "not conserved"));
    /* negative energy, non-finite component */
    memcpy(event, a.data, stride * sizeof *event);
    event[4] = -event[4];
    CHECK(ba_process_check_event(&p, event, &err) != 0 && contains(err.msg, "energy"));
    memcpy(event, a.data, stride * sizeof *event);
    event[6] = NAN;
    CHECK(ba_process_check_event(&p, event, &err) != 0 && contains(err.msg, "non-finite"));
    npy_free(&a);
}

int main(void)
{
    test_parsing();
    test_table_and_masses();
    check_data_set(DATA "/gg_ggg/tst_dat.npy", "g g > g g g");
    check_data_set(DATA "/gg_gggg/tst_dat.npy", "g g > g g g g");
    check_data_set(DATA "/gg_tt/tst_dat.npy", "g g > t t~");
    check_data_set(BAYESAMP_SHARED "/reference/ref_dat.npy", "g g > a a g");

    /* The tops of the shared data are on shell at 173 GeV, not at 172.5 GeV. */
    npy_array a;
    ba_error err;
    ba_process tt;
    CHECK(ba_process_parse("g g > t t~", &tt, &err) == 0);
    CHECK(ba_process_set_mass(&tt, "t=172.5", &err) == 0);
    if (npy_read(DATA "/gg_tt/tst_dat.npy", &a, &err) == 0) {
        CHECK(ba_process_check_event(&tt, a.data, &err) != 0);
        CHECK_MSG(contains(err.msg, "particle 3 (t)") && contains(err.msg, "mass shell"), "%s",
                  err.msg);
        /* and as top pairs they are not gluons: "g g > g g" refuses them */
        ba_process gg;
        CHECK(ba_process_parse("g g > g g", &gg, &err) == 0);
        CHECK(ba_process_check_event(&gg, a.data, &err) != 0);
        npy_free(&a);
    }
    return test_summary("test_process");
}
