import Foundation
import CKinoBLAS

/// Matrix products through a BLAS (oneDNN's sgemm by default, OpenBLAS's with `KINO_GEMM=openblas`),
/// single-threaded per call and split over Kino's thread pool. Weights stored as bf16/f16 are converted panel
/// by panel into per-thread scratch, so a half-precision model never needs an f32 copy of its weights.
public enum GEMM {
    public enum Library: String, Sendable {
        case onednn, openblas
    }

    /// The library every GEMM uses; chosen once from `KINO_GEMM` (default oneDNN, measured faster here).
    public static let library: Library = {
        let choice = ProcessInfo.processInfo.environment["KINO_GEMM"].flatMap(Library.init(rawValue:)) ?? .onednn
        openblas_set_num_threads(1)
        return choice
    }()

    /// C = A·op(B) (+ C when `accumulate`), row-major, on raw pointers. `transB` means B is [N, K].
    /// The work is split over threads along M (or N when M is small); each piece is one sgemm call.
    public static func multiply(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int, transB: Bool,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        accumulate: Bool = false
    ) {
        // Split the larger output dimension, so each worker keeps a wide, efficient block (measured in
        // `kino bench kernels`: splitting N wins for the FFN's 1280x8960 outputs).
        let splitM = m >= n || n < 64
        let extent = splitM ? m : n
        Parallel.forEach(extent, minimumChunk: 32) { range in
            if splitM {
                sgemm(m: range.count, n: n, k: k, a: a + range.lowerBound * lda, lda: lda,
                      b: b, ldb: ldb, transB: transB, c: c + range.lowerBound * ldc, ldc: ldc, accumulate: accumulate)
            } else {
                let bOffset = transB ? range.lowerBound * ldb : range.lowerBound
                sgemm(m: m, n: range.count, k: k, a: a, lda: lda,
                      b: b + bOffset, ldb: ldb, transB: transB, c: c + range.lowerBound, ldc: ldc, accumulate: accumulate)
            }
        }
    }

    /// One single-threaded sgemm call (row-major).
    @inline(__always)
    public static func sgemm(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int, transA: Bool = false,
        b: UnsafePointer<Float>, ldb: Int, transB: Bool,
        c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool = false, alpha: Float = 1
    ) {
        guard m > 0, n > 0 else { return }
        switch library {
        case .onednn:
            // Each call runs on the calling worker alone; Kino's pool provides the parallelism.
            omp_set_num_threads(1)
            _ = dnnl_sgemm(transA ? 84 : 78, transB ? 84 : 78, dnnl_dim_t(m), dnnl_dim_t(n), dnnl_dim_t(k), alpha,
                           a, dnnl_dim_t(lda), b, dnnl_dim_t(ldb), accumulate ? 1 : 0, c, dnnl_dim_t(ldc))
        case .openblas:
            cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                        blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb),
                        accumulate ? 1 : 0, c, blasint(ldc))
        }
    }
}

extension Tensor {
    /// x·Wᵀ + b for a PyTorch-style linear layer: x [..., K], weight [N, K] (f32, f16 or bf16), bias [N].
    func cpuLinear(_ weight: Tensor, bias: Tensor?) -> Tensor {
        let k = shape[rank - 1]
        precondition(weight.rank == 2 && weight.shape[1] == k, "linear: input \(shape) against weight \(weight.shape)")
        let n = weight.shape[0]
        let x = toF32()
        let m = x.count / Swift.max(k, 1)
        var out = Tensor.uninitialized(Array(shape.dropLast()) + [n])
        if let bias {
            precondition(bias.count == n, "linear: bias \(bias.shape) for \(n) outputs")
            let b = bias.toF32().f32
            let o = out.mutableF32
            Parallel.forEach(m, minimumChunk: 64) { rows in
                for r in rows { (o + r * n).update(from: b, count: n) }
            }
        }
        Tensor.linearInto(&out, x: x.f32, m: m, k: k, weight: weight, accumulate: bias != nil)
        return out
    }

    /// out[m, n] (+)= x[m, k]·W[n, k]ᵀ for any weight dtype.
    static func linearInto(_ out: inout Tensor, x: UnsafePointer<Float>, m: Int, k: Int, weight: Tensor, accumulate: Bool) {
        let n = weight.shape[0]
        let o = out.mutableF32
        if weight.dtype == .f32 {
            let w = weight.contiguous()
            GEMM.multiply(m: m, n: n, k: k, a: x, lda: k, b: w.f32, ldb: k, transB: true, c: o, ldc: n, accumulate: accumulate)
            return
        }
        let w = weight.contiguous()
        let raw = w.rawPointer
        if w.dtype == .bf16, BF16GEMM.path == .native {
            BF16GEMM.linear(o, x: x, m: m, k: k, weight: raw, n: n, accumulate: accumulate)
            return
        }
        Parallel.forEach(n, minimumChunk: 32) { cols in
            widenedLinear(o, x: x, m: m, k: k, weight: raw, dtype: w.dtype, columns: cols, n: n, accumulate: accumulate)
        }
    }

    /// Columns `columns` of out[m, n] (+)= x[m, k]·W[n, k]ᵀ on the calling thread, converting panels of W's rows
    /// to f32 in scratch, so a half-precision model never needs an f32 copy of its weights.
    static func widenedLinear(_ o: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, m: Int, k: Int,
                              weight raw: UnsafeRawPointer, dtype: DType, columns cols: Range<Int>, n: Int,
                              accumulate: Bool) {
        let panel = 128
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: Swift.min(panel, cols.count) * k)
        defer { scratch.deallocate() }
        var start = cols.lowerBound
        while start < cols.upperBound {
            let width = Swift.min(panel, cols.upperBound - start)
            HalfConversion.toFloat(raw + start * k * dtype.size, dtype: dtype, count: width * k, into: scratch)
            GEMM.sgemm(m: m, n: width, k: k, a: x, lda: k, b: scratch, ldb: k, transB: true,
                       c: o + start, ldc: n, accumulate: accumulate)
            start += width
        }
    }

    /// Matrix product over the last two axes with broadcasting of leading axes:
    /// self [..., M, K] · other [..., K, N] -> [..., M, N].
    func cpuMatmul(_ other: Tensor) -> Tensor {
        precondition(rank >= 2 && other.rank >= 2, "matmul needs rank >= 2, got \(shape) and \(other.shape)")
        let m = shape[rank - 2], k = shape[rank - 1], n = other.shape[other.rank - 1]
        precondition(other.shape[other.rank - 2] == k, "matmul: \(shape) · \(other.shape)")
        let batchA = Array(shape.dropLast(2)), batchB = Array(other.shape.dropLast(2))
        let batch = Broadcast.shape(batchA, batchB)
        let batchCount = batch.reduce(1, *)
        let a = self.broadcastBatch(to: batch).toF32()
        let b = other.broadcastBatch(to: batch).toF32()
        let out = Tensor.uninitialized(batch + [m, n])
        let ap = a.f32, bp = b.f32, op = out.mutableF32
        if batchCount >= Parallel.threads {
            Parallel.forEach(batchCount) { range in
                for i in range {
                    GEMM.sgemm(m: m, n: n, k: k, a: ap + i * m * k, lda: k, b: bp + i * k * n, ldb: n, transB: false,
                               c: op + i * m * n, ldc: n)
                }
            }
        } else {
            for i in 0..<batchCount {
                GEMM.multiply(m: m, n: n, k: k, a: ap + i * m * k, lda: k, b: bp + i * k * n, ldb: n, transB: false,
                              c: op + i * m * n, ldc: n)
            }
        }
        return out
    }

    /// Leading (batch) axes expanded to `batch`, materialised contiguously when they had to broadcast.
    func broadcastBatch(to batch: [Int]) -> Tensor {
        let mat = Array(shape.suffix(2))
        if Array(shape.dropLast(2)) == batch { return self }
        return self.expanded(to: batch + mat).contiguous()
    }
}
