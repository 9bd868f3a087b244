import CKinoKernels
import Foundation

/// Softmax and the normalisations over the last axis. Statistics accumulate in f32 as PyTorch does on CPU
/// (mean and variance with a two-pass formula for stability).
extension Tensor {
    /// Softmax over the last axis.
    func cpuSoftmax() -> Tensor {
        let x = toF32()
        let n = shape.last ?? 1
        let rows = count / Swift.max(n, 1)
        let out = Tensor.uninitialized(shape)
        let src = x.f32, dst = out.mutableF32
        Parallel.forEach(rows, minimumChunk: Swift.max(1, 8192 / Swift.max(n, 1))) { range in
            for r in range {
                let s = src + r * n, d = dst + r * n
                d.update(from: s, count: n)
                let total = kino_exp_shifted_sum(d, n, kino_max(d, n))
                let inv = 1 / total
                for j in 0..<n { d[j] *= inv }
            }
        }
        return out
    }

    /// LayerNorm over the last axis; `weight`/`bias` optional (elementwise affine).
    func cpuLayerNorm(eps: Float, weight: Tensor?, bias: Tensor?) -> Tensor {
        normalize(eps: eps, weight: weight, bias: bias, subtractMean: true)
    }

    /// RMSNorm over the last axis: x / sqrt(mean(x²) + eps) · weight (T5 and Wan style).
    func cpuRMSNorm(eps: Float, weight: Tensor?) -> Tensor {
        normalize(eps: eps, weight: weight, bias: nil, subtractMean: false)
    }

    private func normalize(eps: Float, weight: Tensor?, bias: Tensor?, subtractMean: Bool) -> Tensor {
        let x = toF32()
        let n = shape.last ?? 1
        let rows = count / Swift.max(n, 1)
        let w = weight?.toF32(), b = bias?.toF32()
        if let w { precondition(w.count == n, "norm weight \(w.shape) for last axis \(n)") }
        if let b { precondition(b.count == n, "norm bias \(b.shape) for last axis \(n)") }
        let out = Tensor.uninitialized(shape)
        let src = x.f32, dst = out.mutableF32
        let wp = w?.f32, bp = b?.f32
        Parallel.forEach(rows, minimumChunk: Swift.max(1, 8192 / Swift.max(n, 1))) { range in
            for r in range {
                kino_norm_row(src + r * n, dst + r * n, n, eps, wp, bp, subtractMean ? 1 : 0)
            }
        }
        return out
    }
}
