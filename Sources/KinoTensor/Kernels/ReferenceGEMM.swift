import CKinoBLAS

/// The GEMM libraries' own multithreaded sgemm, the yardstick `kino bench kernels` compares Kino's GEMM with:
/// C[M,N] = A[M,K]·W[N,K]ᵀ into `c`, with the library running `threads` threads of its own (Kino's kernels
/// call them single-threaded, one call per worker).
public enum ReferenceGEMM {
    public static func openBLAS(_ a: Tensor, _ w: Tensor, into c: Tensor, threads: Int) {
        let (m, k, n) = shape(a, w, c)
        openblas_set_num_threads(Int32(threads))
        defer { openblas_set_num_threads(1) }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, blasint(m), blasint(n), blasint(k), 1, a.f32, blasint(k),
                    w.f32, blasint(k), 0, c.mutableF32, blasint(n))
    }

    public static func oneDNN(_ a: Tensor, _ w: Tensor, into c: Tensor, threads: Int) {
        let (m, k, n) = shape(a, w, c)
        omp_set_num_threads(Int32(threads))
        defer { omp_set_num_threads(1) }
        _ = dnnl_sgemm(CChar(UInt8(ascii: "N")), CChar(UInt8(ascii: "T")), dnnl_dim_t(m), dnnl_dim_t(n), dnnl_dim_t(k), 1,
                       a.f32, dnnl_dim_t(k), w.f32, dnnl_dim_t(k), 0, c.mutableF32, dnnl_dim_t(n))
    }

    private static func shape(_ a: Tensor, _ w: Tensor, _ c: Tensor) -> (Int, Int, Int) {
        precondition(a.rank == 2 && w.rank == 2 && c.rank == 2 && a.dtype == .f32 && w.dtype == .f32 && c.dtype == .f32
                     && a.shape[1] == w.shape[1] && c.shape == [a.shape[0], w.shape[0]] && a.isContiguous && w.isContiguous,
                     "reference GEMM: contiguous f32 A [M, K], W [N, K], C [M, N]; got \(a.shape), \(w.shape), \(c.shape)")
        return (a.shape[0], a.shape[1], w.shape[0])
    }
}
