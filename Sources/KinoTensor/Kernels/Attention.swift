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

    /// Reference attention that builds the full score matrix; for tests only.
    public static func naiveAttention(query q: Tensor, key k: Tensor, value v: Tensor, scale: Float? = nil) -> Tensor {
        let d = q.shape[3]
        let scale = scale ?? 1 / Float(d).squareRoot()
        let qh = q.permuted([0, 2, 1, 3]), kh = k.permuted([0, 2, 3, 1]), vh = v.permuted([0, 2, 1, 3])
        let scores = (qh.matmul(kh) * scale).softmax()
        return scores.matmul(vh).permuted([0, 2, 1, 3]).contiguous()
    }
}
