#include "nn/schedule.h"

#include <math.h>
#include <string.h>

static const char *NAMES[] = {"constant", "cosine", "onecycle"};

const char *lr_schedule_name(ba_lr_schedule s) { return NAMES[s]; }

int lr_schedule_parse(const char *name, ba_lr_schedule *out)
{
    for (int i = 0; i < 3; i++)
        if (!strcmp(name, NAMES[i])) {
            *out = (ba_lr_schedule)i;
            return 0;
        }
    return -1;
}

/* Cosine interpolation from a (fraction 0) to b (fraction 1). */
static double cosine_between(double a, double b, double fraction)
{
    return b + 0.5 * (a - b) * (1 + cos(3.14159265358979323846 * fraction));
}

double lr_at_step(const ba_lr_config *c, long step, long total_steps)
{
    long warmup = c->warmup_steps < total_steps ? c->warmup_steps : total_steps - 1;
    if (warmup < 0)
        warmup = 0;
    double lr = c->lr, final_lr = c->lr * c->final_ratio;
    switch (c->schedule) {
    case BA_LR_CONSTANT:
        return step < warmup ? lr * (double)(step + 1) / (double)(warmup + 1) : lr;
    case BA_LR_COSINE:
        if (step < warmup)
            return lr * (double)(step + 1) / (double)(warmup + 1);
        break;
    case BA_LR_ONECYCLE:
        if (step < warmup)
            return cosine_between(lr / 25, lr, (double)step / (double)warmup);
        break;
    }
    long decay_steps = total_steps - 1 - warmup;
    if (decay_steps <= 0)
        return lr;
    double fraction = (double)(step - warmup) / (double)decay_steps;
    return cosine_between(lr, final_lr, fraction > 1 ? 1 : fraction);
}
