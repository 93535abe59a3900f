/* What a binding in another language needs beyond the functions themselves
 * (bayesamp.h, "bindings"). */
#include <stdlib.h>
#include <string.h>

#include "bayesamp.h"

size_t ba_sizeof(const char *type_name)
{
    /* Every struct a caller lays out or reads field by field. */
#define BA_SIZE(T) {#T, sizeof(T)}
    static const struct {
        const char *name;
        size_t size;
    } sizes[] = {BA_SIZE(ba_error),          BA_SIZE(ba_process),
                 BA_SIZE(ba_preprocessing),  BA_SIZE(ba_split),
                 BA_SIZE(ba_dataset),        BA_SIZE(ba_arch),
                 BA_SIZE(ba_lr_config),      BA_SIZE(ba_train_config),
                 BA_SIZE(ba_epoch_stats),    BA_SIZE(ba_recipe),
                 BA_SIZE(ba_predict_config), BA_SIZE(ba_prediction),
                 BA_SIZE(ba_events),         BA_SIZE(ba_hybrid_config),
                 BA_SIZE(ba_hybrid_stats),   BA_SIZE(ba_exact_config),
                 BA_SIZE(ba_phase_space),    BA_SIZE(ba_generate_stats),
                 BA_SIZE(ba_real)};
#undef BA_SIZE
    for (size_t i = 0; type_name && i < sizeof sizes / sizeof *sizes; i++)
        if (!strcmp(sizes[i].name, type_name))
            return sizes[i].size;
    return 0;
}

void ba_free(void *p) { free(p); }
