import CKinoKernels
import Foundation

/// Matrix products with bf16 weights. Where the CPU multiplies bf16 natively (AVX512-BF16 or AMX-BF16, as oneDNN
/// detects at run time) the activations are rounded to bf16 once per product and oneDNN's bf16 matmul runs with
/// f32 accumulation: twice sgemm's throughput on such CPUs, and what PyTorch does with bf16 weights. Elsewhere the
/// weights are widened to f32 panel by panel (the results then differ only by the activations' bf16 rounding).
public enum BF16GEMM {
    public enum Path: String, Sendable {
        case native = "native bf16 (oneDNN matmul, f32 accumulation)"
        case widened = "bf16 weights widened to f32 per panel (sgemm)"
    }

    /// True when this CPU has native bf16 dot products that oneDNN uses.
    public static let cpuIsNative: Bool = kino_bf16_native() != 0

    /// The path bf16 weights take. `KINO_BF16_GEMM=widen` forces the widening path (for comparisons).
    public static let path: Path = {
        let forced = ProcessInfo.processInfo.environment["KINO_BF16_GEMM"] == "widen"
        return cpuIsNative && !forced ? .native : .widened
    }()

    /// oneDNN's instruction set on this CPU, e.g. "avx512_core_bf16".
    public static var onednnISA: String { String(cString: kino_onednn_isa()) }

    /// out[m, n] (+)= x[m, k]·W[n, k]ᵀ with W in bf16, through the native path. A piece oneDNN refuses is
    /// widened instead (it has not been written, so nothing is added twice).
    static func linear(_ out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, m: Int, k: Int,
                       weight: UnsafeRawPointer, n: Int, accumulate: Bool) {
        let xb = UnsafeMutablePointer<UInt16>.allocate(capacity: m * k)
        defer { xb.deallocate() }
        Parallel.forEach(m, minimumChunk: 16) { rows in
            HalfConversion.fromFloat(x + rows.lowerBound * k, count: rows.count * k, dtype: .bf16,
                                     into: UnsafeMutableRawPointer(xb + rows.lowerBound * k))
        }
        let w = weight.assumingMemoryBound(to: UInt16.self)
        // Split as sgemm does: the larger output dimension, so each worker keeps a wide block.
        let splitM = m >= n || n < 64
        Parallel.forEach(splitM ? m : n, minimumChunk: 32) { range in
            if splitM {
                let rows = range.lowerBound
                if kino_bf16_matmul(range.count, n, k, xb + rows * k, k, w, k, 1, out + rows * n, n, accumulate ? 1 : 0) != 0 {
                    Tensor.widenedLinear(out + rows * n, x: x + rows * k, m: range.count, k: k, weight: weight,
                                         dtype: .bf16, columns: 0..<n, n: n, accumulate: accumulate)
                }
            } else if kino_bf16_matmul(m, range.count, k, xb, k, w + range.lowerBound * k, k, 1, out + range.lowerBound, n,
                                       accumulate ? 1 : 0) != 0 {
                Tensor.widenedLinear(out, x: x, m: m, k: k, weight: weight, dtype: .bf16, columns: range, n: n,
                                     accumulate: accumulate)
            }
        }
    }
}

/// The CPU features the kernels care about, as the kernel reports them (Linux: /proc/cpuinfo's flags).
public enum CPUFeatures {
    public static let interesting = ["avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_tile"]

    /// The interesting flags this CPU has, in the order above.
    public static let flags: [String] = {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return [] }
        let present = Set(line.split(separator: " ").map(String.init))
        return interesting.filter(present.contains)
    }()

    /// The CPU's model name, or "unknown CPU".
    public static let modelName: String = {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
              let name = line.split(separator: ":", maxSplits: 1).last else { return "unknown CPU" }
        return name.trimmingCharacters(in: .whitespaces)
    }()

    /// One line for reports: flags, oneDNN's ISA and the bf16 path.
    public static var summary: String {
        "CPU flags: \(flags.isEmpty ? "none of \(interesting.joined(separator: ", "))" : flags.joined(separator: " ")); "
            + "oneDNN ISA: \(BF16GEMM.onednnISA); bf16 weights: \(BF16GEMM.path.rawValue)"
    }
}
