// Kino's elementwise and row kernels in C, compiled for several x86-64 levels (AVX-512, AVX2+FMA, baseline)
// with the best one picked at load time (function multiversioning). Swift builds for baseline x86-64, where
// these loops ran 4 floats wide without FMA; see docs/engine.md.
#ifndef KINO_KERNELS_H
#define KINO_KERNELS_H

#include <stddef.h>

/// dst[i] = GELU(src[i]) with the tanh approximation (as PyTorch's approximate="tanh").
void kino_gelu_tanh(const float *src, float *dst, size_t count);

/// p[i] = exp(p[i] - shift) in place; returns the sum of the new values.
float kino_exp_shifted_sum(float *p, size_t count, float shift);

/// The largest of count >= 1 floats.
float kino_max(const float *p, size_t count);

/// One row of layer norm (subtract_mean != 0) or RMS norm: dst = (src - mean) / sqrt(var + eps) * weight + bias,
/// weight and bias optional (NULL).
void kino_norm_row(const float *src, float *dst, size_t count, float eps, const float *weight, const float *bias,
                   int subtract_mean);

#endif
