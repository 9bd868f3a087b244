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

#include <stdint.h>

/// 1 when oneDNN multiplies bf16 natively on this CPU (AVX512-BF16 or AMX-BF16, detected at run time), else 0.
int kino_bf16_native(void);

/// The instruction set oneDNN dispatches to on this CPU ("avx512_core_bf16", "avx2", ...).
const char *kino_onednn_isa(void);

/// c[m, n] (+)= a[m, k] · op(b) with a and b in bf16 and c in f32 (f32 accumulation), row-major with the given
/// row strides, on the calling thread alone; op(b) = b[n, k]ᵀ when trans_b, else b[k, n]. Returns 0 on success,
/// non-zero when oneDNN refused the shape.
int kino_bf16_matmul(long m, long n, long k, const uint16_t *a, long lda, const uint16_t *b, long ldb, int trans_b,
                     float *c, long ldc, int accumulate);

#endif
