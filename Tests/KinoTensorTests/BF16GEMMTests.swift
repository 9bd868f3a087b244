import Foundation
import Testing
@testable import KinoTensor

/// The bf16-weights product: whichever path this CPU takes, it equals the f32 product of bf16-rounded operands
/// (to f32 summation order) and the exact product within bf16 rounding. On a CPU without AVX512-BF16/AMX-BF16 the
/// native path does not run here; `kino bench kernels` says which path a machine took.
struct BF16GEMMTests {
    /// (m, k, n): rows split across threads when m >= n, columns otherwise; odd sizes leave ragged pieces.
    @Test(arguments: [(1, 64, 96), (37, 96, 70), (300, 80, 33), (5, 1536, 1000)])
    func bf16WeightsMatchRoundedReference(m: Int, k: Int, n: Int) {
        let x = Reference.random([m, k], seed: 11), w = Reference.random([n, k], seed: 12).converted(to: .bf16)
        let bias = Reference.random([n], seed: 13)
        let y = x.linear(w, bias: bias)
        let activations = BF16GEMM.path == .native ? x.converted(to: .bf16).scalars : x.scalars
        let rounded = Reference.linear(activations, m: m, k: k, w.scalars, n: n, bias: bias.scalars)
        #expect(Reference.maxRelative(y.scalars, rounded) < 1e-5)
        let exact = Reference.linear(x.scalars, m: m, k: k, w.scalars, n: n, bias: bias.scalars)
        #expect(Reference.maxRelative(y.scalars, exact) < 1e-2)
    }

    /// The widening path (the fallback, and every CPU without native bf16) against the same reference.
    @Test func widenedPathMatchesReference() {
        let (m, k, n) = (23, 200, 150)
        let x = Reference.random([m, k], seed: 14), w = Reference.random([n, k], seed: 15).converted(to: .bf16)
        let out = Tensor(zeros: [m, n])
        let o = out.mutableF32
        let xc = x.contiguous(), wc = w.contiguous()
        Tensor.widenedLinear(o, x: xc.f32, m: m, k: k, weight: wc.rawPointer, dtype: .bf16, columns: 0..<n, n: n,
                             accumulate: false)
        let reference = Reference.linear(x.scalars, m: m, k: k, w.scalars, n: n, bias: nil)
        #expect(Reference.maxRelative(out.scalars, reference) < 1e-5)
    }

    /// bf16 attention (both products in bf16, softmax in f32) against the exact attention of the same bf16 inputs:
    /// within the rounding of the probabilities to bf16. Key blocks and query tiles are ragged on purpose.
    @Test func bf16AttentionMatchesReference() {
        let q = Reference.random([1, 150, 2, 64], seed: 16).converted(to: .bf16)
        let k = Reference.random([1, 1100, 2, 64], seed: 17).converted(to: .bf16)
        let v = Reference.random([1, 1100, 2, 64], seed: 18).converted(to: .bf16)
        let out = Tensor.attention(query: q, key: k, value: v)
        let exact = Tensor.naiveAttention(query: q.toF32(), key: k.toF32(), value: v.toF32())
        #expect(out.shape == [1, 150, 2, 64])
        #expect(Reference.maxRelative(out.scalars, exact.scalars) < 1e-2)
    }

    /// The path follows the CPU: native exactly when oneDNN sees bf16 instructions (unless forced to widen).
    @Test func pathFollowsTheCPU() {
        let forced = ProcessInfo.processInfo.environment["KINO_BF16_GEMM"] == "widen"
        #expect(BF16GEMM.path == (BF16GEMM.cpuIsNative && !forced ? .native : .widened))
        let flags = Set(CPUFeatures.flags)
        if flags.contains("avx512_bf16") || flags.contains("amx_bf16") {
            #expect(BF16GEMM.cpuIsNative, "the CPU reports \(flags.sorted()) but oneDNN uses \(BF16GEMM.onednnISA)")
        }
        #expect(CPUFeatures.summary.contains(BF16GEMM.onednnISA))
    }
}
