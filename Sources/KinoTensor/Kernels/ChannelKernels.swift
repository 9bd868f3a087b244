/// Channel-first kernels of video VAEs: the channel RMS norm (with its SiLU) and 1×1×1 convolutions.
extension Tensor {
    /// Wan's RMS norm over the channel axis of a channel-first tensor [B, C, ...]:
    /// x / max(‖x‖₂ over C, 1e-12) · √C · gamma[c] (diffusers' `WanRMS_norm`, `F.normalize` semantics),
    /// followed by SiLU when `silu` is true (the two always come together in the VAE's residual blocks).
    func cpuChannelRMSNorm(gamma: Tensor, silu: Bool) -> Tensor {
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
    func cpuPointwiseConv(weight: Tensor, bias: Tensor?) -> Tensor {
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

    /// Writes `chunk` [B, C, f, H, W], clamped to [lower, upper], into frames `frames` of self [B, C, F, H, W]
    /// (a video decoded chunk by chunk into one output).
    public mutating func writeClamped(_ chunk: Tensor, frames: Range<Int>, lower: Float = -1, upper: Float = 1) {
        precondition(rank == 5 && chunk.rank == 5 && chunk.shape[2] == frames.count && frames.upperBound <= shape[2]
                     && chunk.shape[0] == shape[0] && chunk.shape[1] == shape[1] && Array(chunk.shape[3...]) == Array(shape[3...]),
                     "chunk \(chunk.shape) does not fit frames \(frames) of \(shape)")
        let src = chunk.toF32()
        let (planes, total) = (shape[0] * shape[1], shape[2])
        let pixels = shape[3] * shape[4]
        let run = frames.count * pixels
        let sp = src.f32, dp = mutableF32
        Parallel.forEach(planes) { range in
            for plane in range {
                let s = sp + plane * run, d = dp + (plane * total + frames.lowerBound) * pixels
                for i in 0..<run { d[i] = Swift.min(Swift.max(s[i], lower), upper) }
            }
        }
    }

    /// A relative-position bias [heads, n, n] gathered from `table` [buckets, heads]: entry (h, i, j) is
    /// table[bucket[j - i + n - 1], h], where `bucket` lists the bucket of every relative distance -(n-1)...(n-1)
    /// (T5's bucketing is the model's; the gather is the kernel).
    public static func relativePositionBias(table: Tensor, buckets: [Int], length n: Int) -> Tensor {
        precondition(table.rank == 2 && buckets.count == 2 * n - 1, "relativePositionBias: table \(table.shape), \(buckets.count) buckets for length \(n)")
        let heads = table.shape[1]
        let out = Tensor.uninitialized([heads, n, n])
        let source = table.toF32()
        let o = out.mutableF32, t = source.f32
        for h in 0..<heads {
            for i in 0..<n {
                for j in 0..<n { o[(h * n + i) * n + j] = t[buckets[j - i + n - 1] * heads + h] }
            }
        }
        return out
    }
}

extension Tensor {
    /// Cross-fades the first `extent` rows (axis 3) or columns (axis 4) of self [B, C, F, H, W] with the last
    /// `extent` of `previous`, linearly (weight y/extent on self's own value): how overlapping tiles of a decoded
    /// video are joined (as diffusers' `blend_v` / `blend_h`). The extent is capped by both sizes.
    public mutating func blendLeadingEdge(with previous: Tensor, axis: Int, extent: Int) {
        precondition(rank == 5 && previous.rank == 5 && (axis == 3 || axis == 4), "blendLeadingEdge: [B, C, F, H, W] tensors and axis 3 or 4")
        let across = axis == 3 ? 4 : 3
        precondition(Array(shape[0..<3]) == Array(previous.shape[0..<3]) && shape[across] == previous.shape[across],
                     "blendLeadingEdge: \(previous.shape) does not border \(shape) along axis \(axis)")
        let e = Swift.min(extent, shape[axis], previous.shape[axis])
        guard e > 0 else { return }
        let prev = previous.toF32()
        let (h, w, ph, pw) = (shape[3], shape[4], prev.shape[3], prev.shape[4])
        let planes = shape[0] * shape[1] * shape[2]
        let dp = mutableF32, sp = prev.f32
        Parallel.forEach(planes) { range in
            for plane in range {
                let d = dp + plane * h * w, s = sp + plane * ph * pw
                for step in 0..<e {
                    let mine = Float(step) / Float(e), theirs = 1 - mine
                    if axis == 3 {
                        let drow = d + step * w, srow = s + (ph - e + step) * pw
                        for x in 0..<w { drow[x] = srow[x] * theirs + drow[x] * mine }
                    } else {
                        for y in 0..<h { d[y * w + step] = s[y * pw + pw - e + step] * theirs + d[y * w + step] * mine }
                    }
                }
            }
        }
    }

    /// Writes rows 0..<height and columns 0..<width of `tile` [B, C, F, h, w], clamped to [lower, upper], into
    /// self [B, C, F, H, W] at (top, left), every frame: the kept part of one decoded tile.
    public mutating func writeClamped(_ tile: Tensor, top: Int, left: Int, height: Int, width: Int,
                                      lower: Float = -1, upper: Float = 1) {
        precondition(rank == 5 && tile.rank == 5 && Array(tile.shape[0..<3]) == Array(shape[0..<3])
                     && height <= tile.shape[3] && width <= tile.shape[4] && top + height <= shape[3] && left + width <= shape[4],
                     "tile \(tile.shape) (\(height)x\(width) at \(top), \(left)) does not fit \(shape)")
        let src = tile.toF32()
        let (h, w, th, tw) = (shape[3], shape[4], tile.shape[3], tile.shape[4])
        let sp = src.f32, dp = mutableF32
        Parallel.forEach(shape[0] * shape[1] * shape[2]) { range in
            for plane in range {
                let s = sp + plane * th * tw, d = dp + plane * h * w + top * w + left
                for y in 0..<height {
                    for x in 0..<width { d[y * w + x] = Swift.min(Swift.max(s[y * tw + x], lower), upper) }
                }
            }
        }
    }
}
