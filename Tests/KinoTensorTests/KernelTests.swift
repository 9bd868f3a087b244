import Foundation
import Testing
@testable import KinoTensor

/// Kernels against naive references. Tolerances (max |a-b| / max |b|): f32 1e-5; bf16/f16 weights 1e-5
/// against a reference that uses the same rounded weights, and 1e-2 (bf16) / 2e-3 (f16) against f32 weights.
struct KernelTests {
    @Test(arguments: [(1, 7, 5), (37, 19, 23), (130, 64, 96), (3, 300, 2)])
    func linearMatchesReference(m: Int, k: Int, n: Int) {
        let x = Reference.random([m, k], seed: 1), w = Reference.random([n, k], seed: 2), b = Reference.random([n], seed: 3)
        let y = x.linear(w, bias: b)
        #expect(y.shape == [m, n])
        let ref = Reference.linear(x.scalars, m: m, k: k, w.scalars, n: n, bias: b.scalars)
        #expect(Reference.maxRelative(y.scalars, ref) < 1e-5)
        let noBias = x.linear(w)
        #expect(Reference.maxRelative(noBias.scalars, Reference.linear(x.scalars, m: m, k: k, w.scalars, n: n, bias: nil)) < 1e-5)
    }

    @Test(arguments: [DType.bf16, .f16])
    func linearWithHalfWeights(dtype: DType) {
        let (m, k, n) = (70, 48, 300)
        let x = Reference.random([m, k], seed: 4), w = Reference.random([n, k], seed: 5)
        let wHalf = w.converted(to: dtype)
        #expect(wHalf.dtype == dtype)
        let y = x.reshaped([2, 35, k]).linear(wHalf)
        #expect(y.shape == [2, 35, n])
        // The native bf16 path rounds the activations to bf16 too, as PyTorch's bf16 linear does.
        let activations = dtype == .bf16 && BF16GEMM.path == .native ? x.converted(to: .bf16).scalars : x.scalars
        let rounded = Reference.linear(activations, m: m, k: k, wHalf.scalars, n: n, bias: nil)
        #expect(Reference.maxRelative(y.scalars, rounded) < 1e-5)
        let exact = Reference.linear(x.scalars, m: m, k: k, w.scalars, n: n, bias: nil)
        #expect(Reference.maxRelative(y.scalars, exact) < (dtype == .bf16 ? 1e-2 : 2e-3))
    }

    @Test func batchedMatmulBroadcastsAndHandlesViews() {
        let a = Reference.random([3, 4, 5, 6], seed: 6)
        let b = Reference.random([6, 7], seed: 7)
        let c = a.matmul(b)
        #expect(c.shape == [3, 4, 5, 7])
        for bi in [0, 2] { for hi in [1, 3] { for i in 0..<5 { for j in 0..<7 {
            var s = 0.0
            for p in 0..<6 { s += Double(a[bi, hi, i, p]) * Double(b[p, j]) }
            #expect(abs(Float(s) - c[bi, hi, i, j]) < 1e-5)
        } } } }
        // A transposed (strided) view gives the same result as its contiguous copy.
        let bt = Reference.random([7, 6], seed: 8).transposed(0, 1)
        #expect(!bt.isContiguous)
        #expect(a.matmul(bt).maxAbsDifference(a.matmul(bt.contiguous())) == 0)
    }

    @Test func softmaxAndNorms() {
        let x = Reference.random([5, 33], seed: 9, scale: 4)
        let w = Reference.random([33], seed: 10), b = Reference.random([33], seed: 11)
        let sm = x.softmax(), ln = x.layerNorm(eps: 1e-6, weight: w, bias: b), lnPlain = x.layerNorm(eps: 1e-6)
        let rms = x.rmsNorm(eps: 1e-6, weight: w), rmsPlain = x.rmsNorm(eps: 1e-6)
        for r in 0..<5 {
            let row = (0..<33).map { Double(x[r, $0]) }
            let mx = row.max()!
            let e = row.map { Foundation.exp($0 - mx) }
            let total = e.reduce(0, +)
            let mean = row.reduce(0, +) / 33
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 33
            let ms = row.map { $0 * $0 }.reduce(0, +) / 33
            for j in 0..<33 {
                #expect(abs(Double(sm[r, j]) - e[j] / total) < 1e-6)
                let normed = (row[j] - mean) / (variance + 1e-6).squareRoot()
                #expect(abs(Double(ln[r, j]) - (normed * Double(w[j]) + Double(b[j]))) < 1e-5)
                #expect(abs(Double(lnPlain[r, j]) - normed) < 1e-5)
                let rn = row[j] / (ms + 1e-6).squareRoot()
                #expect(abs(Double(rms[r, j]) - rn * Double(w[j])) < 1e-5)
                #expect(abs(Double(rmsPlain[r, j]) - rn) < 1e-5)
            }
        }
    }

    @Test func activations() {
        let x = Reference.random([4000], seed: 12, scale: 12)
        let g = x.geluTanh(), s = x.silu(), ge = x.gelu()
        for i in 0..<x.count {
            let v = Double(x[i])
            let gelu = 0.5 * v * (1 + Foundation.tanh(0.7978845608028654 * (v + 0.044715 * v * v * v)))
            #expect(abs(Double(g[i]) - gelu) <= 2e-6 * max(1, abs(gelu)))
            #expect(abs(Double(s[i]) - v / (1 + Foundation.exp(-v))) <= 2e-6 * max(1, abs(v)))
            #expect(abs(Double(ge[i]) - 0.5 * v * (1 + Foundation.erf(v / 2.0.squareRoot()))) <= 2e-6 * max(1, abs(v)))
        }
    }

    @Test func fastExpIsAccurate() {
        var worst: Double = 0
        for i in -8000...8000 {
            let x = Float(i) * 0.01
            let r = Foundation.exp(Double(x))
            worst = max(worst, abs(Double(FastMath.exp(x)) - r) / r)
        }
        #expect(worst < 3e-7)
        #expect(FastMath.exp(-1000) < 1e-37)
        #expect(FastMath.exp(-Float.infinity) < 1e-37)
    }

    @Test func broadcastingElementwise() {
        let a = Reference.random([2, 3, 4], seed: 13), b = Reference.random([3, 1], seed: 14), c = Reference.random([4], seed: 15)
        let sum = a + b, prod = a * c, diff = a - a.sliced(axis: 0, 0..<1)
        for i in 0..<2 { for j in 0..<3 { for k in 0..<4 {
            #expect(sum[i, j, k] == a[i, j, k] + b[j, 0])
            #expect(prod[i, j, k] == a[i, j, k] * c[k])
            #expect(diff[i, j, k] == a[i, j, k] - a[0, j, k])
        } } }
        var acc = a
        acc.addScaled(b, by: 2)
        #expect(acc[1, 2, 3] == a[1, 2, 3] + 2 * b[2, 0])
        #expect(a[1, 2, 3] != acc[1, 2, 3], "in-place add must not change the original value")
    }

    @Test func viewsShareStorageAndCopiesAreRight() {
        let x = Tensor(shape: [2, 3, 4], values: (0..<24).map(Float.init))
        let p = x.permuted([2, 0, 1])
        #expect(p.shape == [4, 2, 3] && p[3, 1, 2] == x[1, 2, 3])
        #expect(p.storage === x.storage)
        let s = x.sliced(axis: 2, 1..<3)
        #expect(s.shape == [2, 3, 2] && s[1, 0, 1] == x[1, 0, 2] && s.storage === x.storage)
        #expect(s.contiguous().scalars == [1, 2, 5, 6, 9, 10, 13, 14, 17, 18, 21, 22])
        let r = x.reshaped([6, -1])
        #expect(r.shape == [6, 4] && r.storage === x.storage)
        let cat = Tensor.concatenate([x, s], axis: 2)
        #expect(cat.shape == [2, 3, 6] && cat[1, 2, 4] == x[1, 2, 1] && cat[0, 1, 3] == x[0, 1, 3])
        let u = Tensor(shape: [2, 1, 2, 2], values: [1, 2, 3, 4, 5, 6, 7, 8]).upsampledNearest()
        #expect(u.shape == [2, 1, 4, 4] && u[1, 0, 3, 2] == 8 && u[0, 0, 1, 1] == 1 && u[0, 0, 2, 1] == 3)
    }

    @Test(arguments: [DType.f16, .bf16])
    func halfConversionRoundTrips(dtype: DType) {
        let x = Reference.random([1000], seed: 16, scale: 100)
        let h = x.converted(to: dtype)
        let back = h.toF32()
        #expect(Reference.maxRelative(back.scalars, x.scalars) < (dtype == .bf16 ? 4e-3 : 1e-3))
        #expect(back.converted(to: dtype).toF32().scalars == back.scalars)
        // Round to nearest even, as PyTorch: 1 + 2^-8 is a tie between 1 and 1 + 2^-7.
        #expect(HalfConversion.floatToBF16(1 + 0x1p-8) == HalfConversion.floatToBF16(1))
        #expect(HalfConversion.floatToBF16(1 + 3 * 0x1p-8) == HalfConversion.floatToBF16(1 + 0x1p-6))
    }

    /// The integer f16 -> f32 path must agree with the FPU's conversion on all 65,536 bit patterns
    /// (zeros, subnormals, normals, infinities; NaNs stay NaN with the same sign).
    @Test func f16ToFloatIsExactForEveryBitPattern() {
        var mismatches: [UInt16] = []
        for bits in 0...UInt16.max {
            let expected = Float(Float16(bitPattern: bits)), got = HalfConversion.f16ToFloat(bits)
            let same = expected.isNaN ? (got.isNaN && got.sign == expected.sign) : got.bitPattern == expected.bitPattern
            if !same { mismatches.append(bits) }
        }
        #expect(mismatches.isEmpty, "first mismatches: \(mismatches.prefix(5).map { String($0, radix: 16) })")
        var widened = [Float](repeating: 0, count: 4)
        let halves: [UInt16] = [0x3C00, 0x0001, 0xFC00, 0x7BFF]   // 1, smallest subnormal, -inf, largest normal
        halves.withUnsafeBytes { HalfConversion.toFloat($0.baseAddress!, dtype: .f16, count: 4, into: &widened) }
        #expect(widened == [1, 0x1p-24, -.infinity, 65504])
    }
}
