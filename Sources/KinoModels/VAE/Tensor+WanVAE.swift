import KinoTensor

/// Kernels the Wan VAE needs that KinoTensor does not have (candidates to move there).
extension Tensor {
    /// Wan's RMS norm over the channel axis of a channel-first tensor [B, C, ...]:
    /// x / max(‖x‖₂ over C, 1e-12) · √C · gamma[c] (diffusers' `WanRMS_norm`, `F.normalize` semantics),
    /// followed by SiLU when `silu` is true (the two always come together in the VAE's residual blocks).
    func channelRMSNorm(gamma: Tensor, silu: Bool) -> Tensor {
        precondition(rank >= 2 && gamma.count == shape[1], "channelRMSNorm: gamma \(gamma.shape) for input \(shape)")
        let x = toF32()
        let g = gamma.toF32()
        let batch = shape[0], channels = shape[1]
        let positions = count / Swift.max(batch * channels, 1)
        let out = Tensor.uninitialized(shape)
        let src = x.f32, dst = out.mutableF32, gp = g.f32
        let scale = Float(channels).squareRoot()
        let block = 256
        let blocks = (positions + block - 1) / block
        Parallel.forEach(batch * blocks) { items in
            var sums = [Float](repeating: 0, count: block)
            sums.withUnsafeMutableBufferPointer { ss in
                for item in items {
                    let b = item / blocks, p0 = (item % blocks) * block
                    let n = Swift.min(block, positions - p0)
                    let base = b * channels * positions + p0
                    for p in 0..<n { ss[p] = 0 }
                    for c in 0..<channels {
                        let row = src + base + c * positions
                        for p in 0..<n { ss[p] += row[p] * row[p] }
                    }
                    for p in 0..<n { ss[p] = scale / Swift.max(ss[p].squareRoot(), 1e-12) }
                    for c in 0..<channels {
                        let row = src + base + c * positions, o = dst + base + c * positions
                        let gc = gp[c]
                        if silu {
                            for p in 0..<n {
                                let v = row[p] * ss[p] * gc
                                o[p] = v * FastMath.sigmoid(v)
                            }
                        } else {
                            for p in 0..<n { o[p] = row[p] * ss[p] * gc }
                        }
                    }
                }
            }
        }
        return out
    }

    /// A 1×1×1 convolution of [B, Cin, ...] with weight [Cout, Cin] and bias [Cout]: one GEMM per batch item.
    func pointwiseConv(weight: Tensor, bias: Tensor?) -> Tensor {
        precondition(weight.rank == 2 && weight.shape[1] == shape[1], "pointwiseConv: weight \(weight.shape) for input \(shape)")
        let x = toF32(), w = weight.toF32()
        let batch = shape[0], cin = shape[1], cout = weight.shape[0]
        let positions = count / Swift.max(batch * cin, 1)
        var outShape = shape
        outShape[1] = cout
        let out = Tensor.uninitialized(outShape)
        let op = out.mutableF32
        let bp = bias?.toF32().f32
        for b in 0..<batch {
            let ob = op + b * cout * positions
            if let bp {
                Parallel.forEach(cout) { rows in
                    for co in rows { (ob + co * positions).initialize(repeating: bp[co], count: positions) }
                }
            }
            GEMM.multiply(m: cout, n: positions, k: cin, a: w.f32, lda: cin, b: x.f32 + b * cin * positions, ldb: positions,
                          transB: false, c: ob, ldc: positions, accumulate: bp != nil)
        }
        return out
    }
}
