/// The seam between models and hardware. Models call tensor operations; the operations run on the
/// active backend. Today there is one, the CPU backend (OpenBLAS GEMM plus Kino's kernels on the thread
/// pool); a GPU backend plugs in here without model code knowing (see `kino --device`).
public enum Device: String, Sendable, CaseIterable, Codable {
    case cpu
    case cuda

    /// Whether this build can run on the device, with the reason when it cannot.
    public var availability: (available: Bool, reason: String) {
        switch self {
        case .cpu:
            (true, "CPU backend: OpenBLAS GEMM with Kino kernels on \(Parallel.threads) threads")
        case .cuda:
            (false, "the CUDA backend is not part of this build yet; use --device cpu")
        }
    }
}
