/* Elementary functions in the precision of ba_real, so that float32 loops stay in float32
 * (and vectorise) instead of going through double. */
#ifndef BA_REAL_H
#define BA_REAL_H

#include <math.h>

#include "bayesamp.h"

#ifdef BA_REAL_DOUBLE
#define ba_sqrt sqrt
#define ba_exp exp
#define ba_erf erf
#define ba_tanh tanh
#define ba_log log
#define ba_fabs fabs
#define BA_REAL_NAME "float64"
#else
#define ba_sqrt sqrtf
#define ba_exp expf
#define ba_erf erff
#define ba_tanh tanhf
#define ba_log logf
#define ba_fabs fabsf
#define BA_REAL_NAME "float32"
#endif

#endif
