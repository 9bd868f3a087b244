#include "kino_kernels.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__linux__)
#define KINO_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define KINO_CLONES
#endif

// Cephes' expf scheme, as FastMath.exp in Swift: range reduction by ln 2 split in two constants and a degree-6
// polynomial, about 1 ulp; the 1.5*2^23 trick gives round(x*log2 e) without rint, so loops vectorise.
static inline float kino_exp(float value) {
    float x = value < -87.33654f ? -87.33654f : value;
    x = x > 88.37626f ? 88.37626f : x;
    float shifted = x * 1.44269504f + 12582912.0f;
    float n = shifted - 12582912.0f;
    float r = x - n * 0.693359375f + n * 2.1219444e-4f;
    float p = 1.98756915e-4f;
    p = p * r + 1.39819995e-3f;
    p = p * r + 8.3334519e-3f;
    p = p * r + 4.16657959e-2f;
    p = p * r + 1.66666655e-1f;
    p = p * r + 5.00000012e-1f;
    float er = p * r * r + r + 1.0f;
    int32_t bits;
    memcpy(&bits, &shifted, sizeof bits);
    int32_t scale_bits = ((bits - 0x4B400000) + 127) << 23;
    float scale;
    memcpy(&scale, &scale_bits, sizeof scale);
    return er * scale;
}

KINO_CLONES
void kino_gelu_tanh(const float *restrict src, float *restrict dst, size_t count) {
    const float c = 0.7978845608028654f;  // sqrt(2 / pi)
    for (size_t i = 0; i < count; i++) {
        float v = src[i];
        float u = c * (v + 0.044715f * v * v * v);
        dst[i] = 0.5f * v * (2.0f - 2.0f / (kino_exp(2.0f * u) + 1.0f));
    }
}

KINO_CLONES
float kino_exp_shifted_sum(float *p, size_t count, float shift) {
#pragma clang fp reassociate(on)
    float total = 0;
    for (size_t i = 0; i < count; i++) {
        float e = kino_exp(p[i] - shift);
        p[i] = e;
        total += e;
    }
    return total;
}

KINO_CLONES
float kino_max(const float *p, size_t count) {
    float m = p[0];
    for (size_t i = 1; i < count; i++) m = fmaxf(m, p[i]);  // ignores NaN, as the scores never hold one
    return m;
}

KINO_CLONES
void kino_norm_row(const float *restrict src, float *restrict dst, size_t count, float eps,
                   const float *restrict weight, const float *restrict bias, int subtract_mean) {
#pragma clang fp reassociate(on)
    float mean = 0;
    if (subtract_mean) {
        float total = 0;
        for (size_t j = 0; j < count; j++) total += src[j];
        mean = total / (float)count;
    }
    float squares = 0;
    for (size_t j = 0; j < count; j++) {
        float c = src[j] - mean;
        squares += c * c;
    }
    float inv = 1.0f / sqrtf(squares / (float)count + eps);
    if (weight && bias) {
        for (size_t j = 0; j < count; j++) dst[j] = (src[j] - mean) * inv * weight[j] + bias[j];
    } else if (weight) {
        for (size_t j = 0; j < count; j++) dst[j] = (src[j] - mean) * inv * weight[j];
    } else if (bias) {
        for (size_t j = 0; j < count; j++) dst[j] = (src[j] - mean) * inv + bias[j];
    } else {
        for (size_t j = 0; j < count; j++) dst[j] = (src[j] - mean) * inv;
    }
}
