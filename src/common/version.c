#include <cblas.h>

#include "bayesamp.h"
#include "nn/real.h"

#ifndef BAYESAMP_GIT_COMMIT
#define BAYESAMP_GIT_COMMIT "unknown"
#endif

const char *ba_git_commit(void) { return BAYESAMP_GIT_COMMIT; }
const char *ba_blas_version(void) { return openblas_get_config(); }
const char *ba_precision(void) { return BA_REAL_NAME; }
