/* The scattering process behind a data set or a model: what the particles are, their
 * masses, which of them are identical, and whether an event's momenta fit them.
 *
 * The public part (ba_process, parsing, the particle table, the check of an event) is in
 * bayesamp.h; this header adds what the library's other modules need: the default
 * process, and the masses written to and read from model files, so that a model trained
 * with an overridden mass predicts with it.
 */
#ifndef BA_PHYSICS_PROCESS_H
#define BA_PHYSICS_PROCESS_H

#include "bayesamp.h"

/* The process of data and models from before processes: g g > a a g. */
void process_default(ba_process *p);

/* The masses of the P particles as "m1,m2,...", each with 17 digits (reads back
 * exactly); out must hold at least 25 * BA_MAX_PARTICLES characters. */
void process_format_masses(const ba_process *p, char *out, size_t size);

/* Set the P masses from a list formatted as above; -1 (err says why) unless it has
 * exactly P finite, non-negative numbers. */
int process_parse_masses(ba_process *p, const char *list, ba_error *err);

/* Whether two processes are the same: same particles in the same order, same masses. */
int process_equal(const ba_process *a, const ba_process *b);

#endif
