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
        let scale = scale ?? 1 / Float(d).squareRoot()
        let out = Tensor.uninitialized([batch, nq, heads, d])
        let rowStride = heads * d
        if q.dtype == .bf16, k.dtype == .bf16, v.dtype == .bf16, BF16GEMM.path == .native {
            // Both products as oneDNN bf16 matmuls (f32 accumulation), the probabilities rounded to bf16 for the
            // second, as PyTorch's bf16 attention does. Models opt in by passing bf16 queries, keys and values.
            let qc = q.contiguous(), kc = k.contiguous(), vc = v.contiguous()
            let qp = qc.rawPointer.assumingMemoryBound(to: UInt16.self), kp = kc.rawPointer.assumingMemoryBound(to: UInt16.self)
            let vp = vc.rawPointer.assumingMemoryBound(to: UInt16.self)
            tiledAttention(batch: batch, nq: nq, nk: nk, heads: heads, d: d, out: out.mutableF32, scratchBytes: 2, scores: { t, scores in
                let qBase = qp + t.queryOffset, kBase = kp + t.keyOffset
                if kino_bf16_matmul(t.rows, t.cols, d, qBase, rowStride, kBase, rowStride, 1, scores, t.cols, 0) != 0 {
                    bf16Scores(t.rows, t.cols, d, qBase, kBase, rowStride, into: scores)
                }
                for i in 0..<(t.rows * t.cols) { scores[i] *= scale }
            }, values: { t, probabilities, scratch, acc in
                let p = scratch.assumingMemoryBound(to: UInt16.self), vBase = vp + t.keyOffset
                HalfConversion.fromFloat(probabilities, count: t.rows * t.cols, dtype: .bf16, into: scratch)
                if kino_bf16_matmul(t.rows, d, t.cols, p, t.cols, vBase, rowStride, 0, acc, d, 1) != 0 {
                    bf16Values(t.rows, d, t.cols, p, vBase, rowStride, into: acc)
                }
            })
            return out
        }
        let qc = q.toF32(), kc = k.toF32(), vc = v.toF32()
        let qp = qc.f32, kp = kc.f32, vp = vc.f32
        tiledAttention(batch: batch, nq: nq, nk: nk, heads: heads, d: d, out: out.mutableF32, scratchBytes: 0, scores: { t, scores in
            GEMM.sgemm(m: t.rows, n: t.cols, k: d, a: qp + t.queryOffset, lda: rowStride, b: kp + t.keyOffset, ldb: rowStride,
                       transB: true, c: scores, ldc: t.cols, alpha: scale)
        }, values: { t, probabilities, _, acc in
            GEMM.sgemm(m: t.rows, n: d, k: t.cols, a: probabilities, lda: t.cols, b: vp + t.keyOffset, ldb: rowStride,
                       transB: false, c: acc, ldc: d, accumulate: true)
        })
        return out
    }

    /// One block of attention's work: `rows` queries from `q0` against `cols` keys from `k0`, head `h` of batch `b`;
    /// offsets are in elements of the [B, N, H, D] inputs.
    struct AttentionBlock {
        let rows, cols, queryOffset, keyOffset: Int
    }

    /// The tiling and the online softmax shared by every precision: `scores` fills a rows × cols tile with scaled
    /// scores; `values` adds probabilities (rows × cols, f32) times the value block into the rows × d accumulator,
    /// with `scratchBytes` per probability of per-worker scratch for a conversion.
    static func tiledAttention(batch: Int, nq: Int, nk: Int, heads: Int, d: Int, out op: UnsafeMutablePointer<Float>,
                               scratchBytes: Int,
                               scores fillScores: (AttentionBlock, UnsafeMutablePointer<Float>) -> Void,
                               values addValues: (AttentionBlock, UnsafeMutablePointer<Float>, UnsafeMutableRawPointer, UnsafeMutablePointer<Float>) -> Void) {
        let bq = Attention.queryTile, bk = Attention.keyTile
        let qTiles = (nq + bq - 1) / bq
        let rowStride = heads * d
        Parallel.forEach(batch * heads * qTiles) { items in
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: bq * bk)
            let scratch = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(1, bq * bk * scratchBytes), alignment: 64)
            let acc = UnsafeMutablePointer<Float>.allocate(capacity: bq * d)
            let rowMax = UnsafeMutablePointer<Float>.allocate(capacity: bq)
            let rowSum = UnsafeMutablePointer<Float>.allocate(capacity: bq)
            defer { scores.deallocate(); scratch.deallocate(); acc.deallocate(); rowMax.deallocate(); rowSum.deallocate() }
            for item in items {
                let tile = item % qTiles, h = (item / qTiles) % heads, b = item / (qTiles * heads)
                let q0 = tile * bq, rows = Swift.min(bq, nq - q0)
                acc.initialize(repeating: 0, count: rows * d)
                rowMax.initialize(repeating: -Float.infinity, count: rows)
                rowSum.initialize(repeating: 0, count: rows)
                var k0 = 0
                while k0 < nk {
                    let cols = Swift.min(bk, nk - k0)
                    let block = AttentionBlock(rows: rows, cols: cols, queryOffset: (b * nq + q0) * rowStride + h * d,
                                               keyOffset: (b * nk + k0) * rowStride + h * d)
                    fillScores(block, scores)
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
                    addValues(block, scores, scratch, acc)
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
