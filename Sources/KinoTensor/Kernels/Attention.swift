import CKinoKernels

/// Scaled dot-product attention that never materialises the N×N score matrix: queries are processed in
/// tiles, keys/values in blocks, with an online (running max and sum) softmax. Extra memory per worker is
/// one score tile plus one output tile, so it grows linearly in N through the output only.
public enum Attention {
    public static let queryTile = 128
    public static let keyTile = 1024
}

extension Tensor {
    /// Attention over tensors laid out [B, N, H, D] (the layout after a linear projection reshaped to heads),
    /// returning [B, Nq, H, D]. `scale` defaults to 1/sqrt(D). No mask.
    static func cpuAttention(query q: Tensor, key k: Tensor, value v: Tensor, scale: Float?) -> Tensor {
        precondition(q.rank == 4 && k.rank == 4 && v.rank == 4, "attention expects [B, N, H, D] tensors")
        let batch = q.shape[0], nq = q.shape[1], heads = q.shape[2], d = q.shape[3]
        let nk = k.shape[1]
        precondition(k.shape == [batch, nk, heads, d] && v.shape == k.shape, "attention: q \(q.shape), k \(k.shape), v \(v.shape)")
        if q.dtype == .bf16, k.dtype == .bf16, v.dtype == .bf16, BF16GEMM.path == .native {
            return cpuAttentionBF16(query: q, key: k, value: v, scale: scale)
        }
        let qc = q.toF32(), kc = k.toF32(), vc = v.toF32()
        let scale = scale ?? 1 / Float(d).squareRoot()
        let out = Tensor.uninitialized([batch, nq, heads, d])
        let qp = qc.f32, kp = kc.f32, vp = vc.f32, op = out.mutableF32
        let bq = Attention.queryTile, bk = Attention.keyTile
        let qTiles = (nq + bq - 1) / bq
        let rowStride = heads * d
        Parallel.forEach(batch * heads * qTiles) { items in
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: bq * bk)
            let acc = UnsafeMutablePointer<Float>.allocate(capacity: bq * d)
            let rowMax = UnsafeMutablePointer<Float>.allocate(capacity: bq)
            let rowSum = UnsafeMutablePointer<Float>.allocate(capacity: bq)
            defer { scores.deallocate(); acc.deallocate(); rowMax.deallocate(); rowSum.deallocate() }
            for item in items {
                let tile = item % qTiles, h = (item / qTiles) % heads, b = item / (qTiles * heads)
                let q0 = tile * bq, rows = Swift.min(bq, nq - q0)
                let qBase = qp + (b * nq + q0) * rowStride + h * d
                acc.initialize(repeating: 0, count: rows * d)
                rowMax.initialize(repeating: -Float.infinity, count: rows)
                rowSum.initialize(repeating: 0, count: rows)
                var k0 = 0
                while k0 < nk {
                    let cols = Swift.min(bk, nk - k0)
                    let kBase = kp + (b * nk + k0) * rowStride + h * d
                    let vBase = vp + (b * nk + k0) * rowStride + h * d
                    GEMM.sgemm(m: rows, n: cols, k: d, a: qBase, lda: rowStride, b: kBase, ldb: rowStride, transB: true,
                               c: scores, ldc: cols, alpha: scale)
                    for i in 0..<rows {
                        let s = scores + i * cols
                        let m = Swift.max(rowMax[i], kino_max(s, cols))
                        let correction = FastMath.exp(rowMax[i] - m)
                        let total = kino_exp_shifted_sum(s, cols, m)
                        rowSum[i] = rowSum[i] * correction + total
                        rowMax[i] = m
                        if correction != 1 {
                            let a = acc + i * d
                            for j in 0..<d { a[j] *= correction }
                        }
                    }
                    GEMM.sgemm(m: rows, n: d, k: cols, a: scores, lda: cols, b: vBase, ldb: rowStride, transB: false,
                               c: acc, ldc: d, accumulate: true)
                    k0 += cols
                }
                for i in 0..<rows {
                    let inv = 1 / rowSum[i]
                    let dst = op + (b * nq + q0 + i) * rowStride + h * d
                    let a = acc + i * d
                    for j in 0..<d { dst[j] = a[j] * inv }
                }
            }
        }
        return out
    }

    /// The same tiled attention with bf16 inputs on a CPU with native bf16: both products run as oneDNN bf16
    /// matmuls (f32 accumulation); the softmax stays f32 and its probabilities are rounded to bf16 for the second
    /// product, as PyTorch's bf16 attention does. Models opt in by passing bf16 queries, keys and values.
    static func cpuAttentionBF16(query q: Tensor, key k: Tensor, value v: Tensor, scale: Float?) -> Tensor {
        let batch = q.shape[0], nq = q.shape[1], heads = q.shape[2], d = q.shape[3]
        let nk = k.shape[1]
        let qc = q.contiguous(), kc = k.contiguous(), vc = v.contiguous()
        let scale = scale ?? 1 / Float(d).squareRoot()
        let out = Tensor.uninitialized([batch, nq, heads, d])
        let qp = qc.rawPointer.assumingMemoryBound(to: UInt16.self), kp = kc.rawPointer.assumingMemoryBound(to: UInt16.self)
        let vp = vc.rawPointer.assumingMemoryBound(to: UInt16.self), op = out.mutableF32
        let bq = Attention.queryTile, bk = Attention.keyTile
        let qTiles = (nq + bq - 1) / bq
        let rowStride = heads * d
        Parallel.forEach(batch * heads * qTiles) { items in
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: bq * bk)
            let probabilities = UnsafeMutablePointer<UInt16>.allocate(capacity: bq * bk)
            let acc = UnsafeMutablePointer<Float>.allocate(capacity: bq * d)
            let rowMax = UnsafeMutablePointer<Float>.allocate(capacity: bq)
            let rowSum = UnsafeMutablePointer<Float>.allocate(capacity: bq)
            defer { scores.deallocate(); probabilities.deallocate(); acc.deallocate(); rowMax.deallocate(); rowSum.deallocate() }
            for item in items {
                let tile = item % qTiles, h = (item / qTiles) % heads, b = item / (qTiles * heads)
                let q0 = tile * bq, rows = Swift.min(bq, nq - q0)
                let qBase = qp + (b * nq + q0) * rowStride + h * d
                acc.initialize(repeating: 0, count: rows * d)
                rowMax.initialize(repeating: -Float.infinity, count: rows)
                rowSum.initialize(repeating: 0, count: rows)
                var k0 = 0
                while k0 < nk {
                    let cols = Swift.min(bk, nk - k0)
                    let kBase = kp + (b * nk + k0) * rowStride + h * d
                    let vBase = vp + (b * nk + k0) * rowStride + h * d
                    var failed = kino_bf16_matmul(rows, cols, d, qBase, rowStride, kBase, rowStride, 1, scores, cols, 0) != 0
                    if failed { bf16Scores(rows, cols, d, qBase, kBase, rowStride, into: scores) }
                    for i in 0..<rows {
                        let s = scores + i * cols
                        for j in 0..<cols { s[j] *= scale }
                        let m = Swift.max(rowMax[i], kino_max(s, cols))
                        let correction = FastMath.exp(rowMax[i] - m)
                        let total = kino_exp_shifted_sum(s, cols, m)
                        rowSum[i] = rowSum[i] * correction + total
                        rowMax[i] = m
                        if correction != 1 {
                            let a = acc + i * d
                            for j in 0..<d { a[j] *= correction }
                        }
                        HalfConversion.fromFloat(s, count: cols, dtype: .bf16, into: UnsafeMutableRawPointer(probabilities + i * cols))
                    }
                    failed = kino_bf16_matmul(rows, d, cols, probabilities, cols, vBase, rowStride, 0, acc, d, 1) != 0
                    if failed { bf16Values(rows, d, cols, probabilities, vBase, rowStride, into: acc) }
                    k0 += cols
                }
                for i in 0..<rows {
                    let inv = 1 / rowSum[i]
                    let dst = op + (b * nq + q0 + i) * rowStride + h * d
                    let a = acc + i * d
                    for j in 0..<d { dst[j] = a[j] * inv }
                }
            }
        }
        return out
    }

    /// scores[r, c] = q[r]·k[c] in f32 from bf16 rows, when oneDNN refuses a shape (never expected; kept exact).
    private static func bf16Scores(_ rows: Int, _ cols: Int, _ d: Int, _ q: UnsafePointer<UInt16>, _ k: UnsafePointer<UInt16>,
                                   _ stride: Int, into scores: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            for c in 0..<cols {
                var sum: Float = 0
                for j in 0..<d { sum += HalfConversion.bf16ToFloat(q[r * stride + j]) * HalfConversion.bf16ToFloat(k[c * stride + j]) }
                scores[r * cols + c] = sum
            }
        }
    }

    /// acc[r, j] += Σ_c p[r, c]·v[c, j] in f32 from bf16, the fallback of the second product.
    private static func bf16Values(_ rows: Int, _ d: Int, _ cols: Int, _ p: UnsafePointer<UInt16>, _ v: UnsafePointer<UInt16>,
                                   _ stride: Int, into acc: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            for c in 0..<cols {
                let weight = HalfConversion.bf16ToFloat(p[r * cols + c])
                for j in 0..<d { acc[r * d + j] += weight * HalfConversion.bf16ToFloat(v[c * stride + j]) }
            }
        }
    }

    /// Reference attention that builds the full score matrix; for tests only.
    public static func naiveAttention(query q: Tensor, key k: Tensor, value v: Tensor, scale: Float? = nil) -> Tensor {
        let d = q.shape[3]
        let scale = scale ?? 1 / Float(d).squareRoot()
        let qh = q.permuted([0, 2, 1, 3]), kh = k.permuted([0, 2, 3, 1]), vh = v.permuted([0, 2, 1, 3])
        let scores = (qh.matmul(kh) * scale).softmax()
        return scores.matmul(vh).permuted([0, 2, 1, 3]).contiguous()
    }
}
