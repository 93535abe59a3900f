/* common/vecmath.h against libm in double: every function within the accuracy its
 * comment states, over the range it states, on a dense grid and at the ends, and what
 * it promises outside (clamping, infinities, NaN). */
#include <math.h>
#include <stdint.h>

#include "check.h"
#include "common/vecmath.h"

/* The largest relative error of f against exp over n points of [lo, hi]. */
static double worst_exp_f32(double lo, double hi, int n)
{
    double worst = 0;
    for (int i = 0; i <= n; i++) {
        float x = (float)(lo + (hi - lo) * i / n);
        double want = exp((double)x), err = fabs((double)vm_exp(x) - want) / want;
        worst = err > worst ? err : worst;
    }
    return worst;
}

static void test_exp_f32(void)
{
    double worst = worst_exp_f32(-87, 88, 200000);
    CHECK_MSG(worst < 3e-7, "vm_exp: relative error %.3g over [-87, 88]", worst);
    /* outside the range: e^-87 and e^88, not smaller or larger */
    CHECK_CLOSE(vm_exp(-100.0f), exp(-87.0), 3e-7, 0);
    CHECK_CLOSE(vm_exp(1000.0f), exp(88.0), 3e-7, 0);
}

static void test_exp_f64(void)
{
    /* within 2 ulp of libm's correctly rounded (to 1 ulp) exp: 5e-16 relative */
    double worst = 0;
    for (int i = 0; i <= 400000; i++) {
        double x = -708.0 + 1417.0 * i / 400000.0, want = exp(x);
        double err = fabs(vm_exp_f64(x) - want) / want;
        worst = err > worst ? err : worst;
    }
    CHECK_MSG(worst < 5e-16, "vm_exp_f64: relative error %.3g over [-708, 709]", worst);
    /* the Monte-Carlo variances' inputs: float log-variances near 0 */
    for (int i = 0; i < 1000; i++) {
        float x = (float)(-10.0 + 0.02 * i);
        CHECK_CLOSE(vm_exp_f64((double)x), exp((double)x), 5e-16, 0);
    }
    CHECK(vm_exp_f64(0.0) == 1.0);
    CHECK(vm_exp_f64(710.0) == INFINITY && vm_exp_f64(1e300) == INFINITY);
    CHECK(vm_exp_f64(-709.0) == 0.0 && vm_exp_f64(-1e300) == 0.0);
    CHECK(isnan(vm_exp_f64(NAN)));
}

static void test_log_normal(void)
{
    /* Box-Muller's uniforms: (k + 1/2) 2^-24 */
    double worst = 0;
    for (uint32_t k = 0; k < (1u << 24); k += 97) {
        float u = ((float)k + 0.5f) * 5.9604644775390625e-08f;
        double want = log((double)u), err = fabs((double)vm_log_normal(u) - want);
        /* relative, but log crosses 0 at 1: absolute near there */
        err /= fabs(want) > 1 ? fabs(want) : 1;
        worst = err > worst ? err : worst;
    }
    CHECK_MSG(worst < 3e-7, "vm_log_normal: error %.3g", worst);
}

static void test_cos_sin_turn(void)
{
    double worst = 0;
    for (int i = 0; i <= 1000000; i++) {
        float u = (float)i / 1000000.0f, c, s;
        vm_cos_sin_turn(u, &c, &s);
        double a = 6.283185307179586 * (double)u;
        double err = fmax(fabs((double)c - cos(a)), fabs((double)s - sin(a)));
        worst = err > worst ? err : worst;
    }
    CHECK_MSG(worst < 2e-7, "vm_cos_sin_turn: absolute error %.3g on [0, 1]", worst);
}

int main(void)
{
    test_exp_f32();
    test_exp_f64();
    test_log_normal();
    test_cos_sin_turn();
    return test_summary("test_vecmath");
}
