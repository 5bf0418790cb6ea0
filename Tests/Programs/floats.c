/* floats.c - float and double arithmetic, sqrt, conversions and printf %f. */
#include "weft_rt.h"

static double harmonic(int n) {
    double s = 0.0;
    for (int i = 1; i <= n; i++)
        s += 1.0 / (double)i;
    return s;
}

static float harmonic_f(int n) {
    float s = 0.0f;
    for (int i = 1; i <= n; i++)
        s += 1.0f / (float)i;
    return s;
}

/* Newton's method, to compare with the sqrt instruction. */
static double newton_sqrt(double x) {
    double r = x > 1.0 ? x / 2.0 : 1.0;
    for (int i = 0; i < 60; i++)
        r = 0.5 * (r + x / r);
    return r;
}

/* Leibniz series for pi. */
static double leibniz(int terms) {
    double s = 0.0;
    for (int k = 0; k < terms; k++)
        s += (k & 1 ? -4.0 : 4.0) / (2.0 * k + 1.0);
    return s;
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    rt_printf("harmonic(1000) double = %.10f\n", harmonic(1000));
    rt_printf("harmonic(1000) float  = %.6f\n", (double)harmonic_f(1000));
    rt_printf("sqrt(2) = %.12f (newton %.12f)\n", __builtin_sqrt(2.0), newton_sqrt(2.0));
    rt_printf("sqrtf(10) = %f\n", (double)__builtin_sqrtf(10.0f));
    rt_printf("pi ~ %.8f (20000 terms)\n", leibniz(20000));

    double vals[] = { 0.0, -0.0, 1.5, -2.25, 1e10, 123456.789, -0.000123, 3.999999999 };
    for (unsigned i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        double v = vals[i];
        rt_printf("v=%f i64=%lld floor=%.1f ceil=%.1f trunc=%.1f rint=%.1f\n", v, (long long)v, __builtin_floor(v), __builtin_ceil(v), __builtin_trunc(v),
                  __builtin_rint(v));
    }

    /* int <-> float conversions */
    int64_t big = 9007199254740993LL; /* 2^53 + 1 is not representable */
    rt_printf("(double)(2^53+1) = %.1f\n", (double)big);
    rt_printf("(float)16777217 = %.1f\n", (double)(float)16777217);
    rt_printf("(unsigned)3.9e9 = %u\n", (unsigned)3.9e9);
    rt_printf("f32 bits of 1.0 = %08x\n", __builtin_bit_cast(uint32_t, 1.0f));
    rt_printf("f64 bits of -2.5 = %016llx\n", (unsigned long long)__builtin_bit_cast(uint64_t, -2.5));

    /* min/max/copysign/abs map to single wasm instructions */
    rt_printf("fmin=%.2f fmax=%.2f copysign=%.2f fabs=%.2f\n", __builtin_fmin(3.5, -1.25),
              __builtin_fmax(3.5, -1.25), __builtin_copysign(2.0, -0.0), __builtin_fabs(-7.75));

    /* special values */
    volatile double zero = 0.0;
    rt_printf("1/0=%f -1/0=%f 0/0=%f\n", 1.0 / zero, -1.0 / zero, zero / zero);
    rt_printf("precision: %.0f %.1f %.3f %.9f\n", 2.5, 0.05, 1.0005, 1.0 / 3.0);

    /* a small matrix product */
    double m[3][3] = { { 1, 2, 3 }, { 4, 5, 6 }, { 7, 8, 10 } };
    double r[3][3];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double s = 0;
            for (int k = 0; k < 3; k++)
                s += m[i][k] * m[k][j] * 0.5;
            r[i][j] = s;
        }
    double trace = r[0][0] + r[1][1] + r[2][2];
    rt_printf("trace(M*M/2) = %.3f, r[2][0] = %.3f\n", trace, r[2][0]);
    return 0;
}
