/* Processes in MadGraph's syntax, the particle table and the check of an event's
 * momenta (bayesamp.h, physics/process.h).
 *
 * Masses: t 173 GeV (as the shared g g -> t tbar data), Z 91.1876 and W 80.377 GeV
 * (Particle Data Group), H 125 GeV. The light quarks, the b quark and all leptons are
 * massless, as in MadGraph's default Standard Model (the b in the five-flavour scheme;
 * electron and muon masses are far below any scale these amplitudes probe, and the
 * tau's 1.78 GeV is neglected the same way). A run that needs another value states it
 * with ba_process_set_mass ("--mass t=172.5"), and the model file records it.
 */
#include "physics/process.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

typedef struct particle {
    const char *name;
    double mass; /* GeV */
} particle;

static const particle TABLE[] = {
    {"g", 0},      {"a", 0},
    {"d", 0},      {"u", 0},      {"s", 0},      {"c", 0},      {"b", 0},
    {"d~", 0},     {"u~", 0},     {"s~", 0},     {"c~", 0},     {"b~", 0},
    {"t", 173.0},  {"t~", 173.0},
    {"e-", 0},     {"e+", 0},     {"mu-", 0},    {"mu+", 0},    {"ta-", 0},    {"ta+", 0},
    {"ve", 0},     {"vm", 0},     {"vt", 0},     {"ve~", 0},    {"vm~", 0},    {"vt~", 0},
    {"z", 91.1876},
    {"w+", 80.377}, {"w-", 80.377},
    {"h", 125.0},
};

int ba_particle_mass(const char *name, double *mass)
{
    for (size_t i = 0; i < sizeof TABLE / sizeof *TABLE; i++)
        if (!strcmp(TABLE[i].name, name)) {
            *mass = TABLE[i].mass;
            return 0;
        }
    return -1;
}

/* The antiparticle's name: u <-> u~, e- <-> e+, w+ <-> w-; self-conjugate particles
 * (g, a, z, h) have their own name. */
static void antiparticle(const char *name, char *out, size_t size)
{
    size_t len = strlen(name);
    if (len > 0 && name[len - 1] == '~')
        snprintf(out, size, "%.*s", (int)(len - 1), name);
    else if (len > 0 && (name[len - 1] == '+' || name[len - 1] == '-'))
        snprintf(out, size, "%.*s%c", (int)(len - 1), name, name[len - 1] == '+' ? '-' : '+');
    else if (!strcmp(name, "g") || !strcmp(name, "a") || !strcmp(name, "z") ||
             !strcmp(name, "h"))
        snprintf(out, size, "%s", name);
    else
        snprintf(out, size, "%s~", name);
}

int ba_process_parse(const char *text, ba_process *out, ba_error *err)
{
    memset(out, 0, sizeof *out);
    if (!text)
        return ba_fail(err, "no process given");
    /* Tokens: runs of characters other than white space and '>'; '>' alone. */
    char tokens[2 * BA_MAX_PARTICLES][BA_PARTICLE_CHARS];
    int n_tokens = 0, arrow = -1;
    const char *c = text;
    while (*c) {
        if (isspace((unsigned char)*c)) {
            c++;
            continue;
        }
        size_t len = *c == '>' ? 1 : strcspn(c, " \t\n\r\f\v>");
        if (len >= BA_PARTICLE_CHARS)
            return ba_fail(err, "process \"%s\": unknown particle \"%.*s\"", text, (int)len, c);
        if (n_tokens == 2 * BA_MAX_PARTICLES)
            return ba_fail(err, "process \"%s\": more than %d particles", text,
                           BA_MAX_PARTICLES);
        if (*c == '>') {
            if (arrow >= 0)
                return ba_fail(err, "process \"%s\": more than one '>' (decay chains are "
                               "not supported)", text);
            arrow = n_tokens;
        }
        memcpy(tokens[n_tokens], c, len);
        tokens[n_tokens++][len] = '\0';
        c += len;
    }
    if (arrow < 0)
        return ba_fail(err, "process \"%s\": no '>' between the incoming and the outgoing "
                       "particles (write e.g. \"g g > a a g\")", text);
    if (arrow != 2)
        return ba_fail(err, "process \"%s\": %d incoming particle%s before '>', need exactly "
                       "2", text, arrow, arrow == 1 ? "" : "s");
    int n_out = n_tokens - arrow - 1;
    if (n_out < 2 || 2 + n_out > BA_MAX_PARTICLES)
        return ba_fail(err, "process \"%s\": %d outgoing particle%s, need 2 to %d", text,
                       n_out, n_out == 1 ? "" : "s", BA_MAX_PARTICLES - 2);
    size_t used = 0;
    for (int t = 0; t < n_tokens; t++) {
        used += (size_t)snprintf(out->text + used, sizeof out->text - used, "%s%s",
                                 t ? " " : "", tokens[t]);
        if (t == arrow)
            continue;
        int i = out->n_particles++;
        if (ba_particle_mass(tokens[t], &out->mass[i]))
            return ba_fail(err, "process \"%s\": unknown particle \"%s\" (known: g a d u s c "
                           "b t and antiquarks like u~, e- e+ mu- mu+ ta- ta+, ve vm vt and "
                           "ve~ vm~ vt~, z w+ w- h)", text, tokens[t]);
        memcpy(out->name[i], tokens[t], sizeof out->name[i]); /* both BA_PARTICLE_CHARS */
        out->identical_to[i] = i;
        for (int j = 2; i >= 2 && j < i; j++)
            if (!strcmp(out->name[j], out->name[i])) {
                out->identical_to[i] = out->identical_to[j];
                break;
            }
    }
    return 0;
}

void process_default(ba_process *p)
{
    ba_process_parse(BA_PROCESS_DEFAULT, p, NULL); /* cannot fail */
}

int ba_process_set_mass(ba_process *p, const char *assignment, ba_error *err)
{
    const char *eq = strchr(assignment, '=');
    if (!eq || eq == assignment || (size_t)(eq - assignment) >= BA_PARTICLE_CHARS)
        return ba_fail(err, "mass \"%s\": write PARTICLE=GEV, e.g. t=172.5", assignment);
    char name[BA_PARTICLE_CHARS], anti[BA_PARTICLE_CHARS + 1];
    snprintf(name, sizeof name, "%.*s", (int)(eq - assignment), assignment);
    char *end;
    errno = 0;
    double m = strtod(eq + 1, &end);
    if (errno || end == eq + 1 || *end || !isfinite(m) || m < 0)
        return ba_fail(err, "mass \"%s\": \"%s\" is not a mass in GeV (finite, >= 0)",
                       assignment, eq + 1);
    antiparticle(name, anti, sizeof anti);
    int found = 0;
    for (int i = 0; i < p->n_particles; i++)
        if (!strcmp(p->name[i], name) || !strcmp(p->name[i], anti)) {
            p->mass[i] = m;
            found = 1;
        }
    if (!found)
        return ba_fail(err, "mass \"%s\": no %s in the process \"%s\"", assignment, name,
                       p->text);
    return 0;
}

int ba_process_mass_dimension(const ba_process *p) { return 8 - 2 * p->n_particles; }

void process_format_masses(const ba_process *p, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < p->n_particles && used < size; i++)
        used += (size_t)snprintf(out + used, size - used, i ? ",%.17g" : "%.17g", p->mass[i]);
}

int process_parse_masses(ba_process *p, const char *list, ba_error *err)
{
    const char *s = list;
    for (int i = 0; i < p->n_particles; i++) {
        char *end;
        errno = 0;
        double m = strtod(s, &end);
        if (errno || end == s || !isfinite(m) || m < 0)
            break;
        p->mass[i] = m;
        s = end;
        if (i + 1 < p->n_particles && *s++ != ',')
            break;
        if (i + 1 == p->n_particles && *s == '\0')
            return 0;
    }
    return ba_fail(err, "masses \"%s\" are not %d non-negative numbers for \"%s\"", list,
                   p->n_particles, p->text);
}

int process_equal(const ba_process *a, const ba_process *b)
{
    if (a->n_particles != b->n_particles || strcmp(a->text, b->text))
        return 0;
    for (int i = 0; i < a->n_particles; i++)
        if (a->mass[i] != b->mass[i])
            return 0;
    return 1;
}

int ba_process_check_event(const ba_process *p, const double *event, ba_error *err)
{
    static const char *COMPONENT[4] = {"E", "px", "py", "pz"};
    int n = p->n_particles;
    for (int i = 0; i < 4 * n; i++)
        if (!isfinite(event[i]))
            return ba_fail(err, "non-finite momentum component %g (particle %d, %s, %s)",
                           event[i], i / 4 + 1, p->name[i / 4], COMPONENT[i % 4]);
    for (int i = 0; i < n; i++)
        if (!(event[4 * i] > 0))
            return ba_fail(err, "particle %d (%s) has energy %g GeV, not positive", i + 1,
                           p->name[i], event[4 * i]);
    double e_in = event[0] + event[4];
    for (int i = 0; i < n; i++) {
        const double *q = event + 4 * i;
        double m2 = q[0] * q[0] - q[1] * q[1] - q[2] * q[2] - q[3] * q[3];
        double want = p->mass[i] * p->mass[i];
        if (!(fabs(m2 - want) <= BA_KINEMATICS_TOL * e_in * e_in))
            return ba_fail(err, "particle %d (%s) is off its mass shell: E^2 - |p|^2 = %.10g "
                           "GeV^2, but m^2 = %.10g GeV^2 (tolerance %g E_in^2)", i + 1,
                           p->name[i], m2, want, BA_KINEMATICS_TOL);
    }
    for (int k = 0; k < 4; k++) {
        double balance = event[k] + event[4 + k];
        for (int i = 2; i < n; i++)
            balance -= event[4 * i + k];
        if (!(fabs(balance) <= BA_KINEMATICS_TOL * e_in))
            return ba_fail(err, "momentum not conserved: incoming - outgoing %s = %.10g GeV, "
                           "%.3g of the incoming energy (tolerance %g)", COMPONENT[k], balance,
                           fabs(balance) / e_in, BA_KINEMATICS_TOL);
    }
    return 0;
}
