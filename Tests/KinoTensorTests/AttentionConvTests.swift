import Foundation
import Testing
@testable import KinoTensor

struct AttentionConvTests {
    @Test(arguments: [(1, 5, 5, 1, 8), (2, 131, 131, 3, 16), (1, 70, 300, 2, 12), (1, 300, 17, 2, 128)])
    func tiledAttentionMatchesFullSoftmax(batch: Int, nq: Int, nk: Int, heads: Int, d: Int) {
        let q = Reference.random([batch, nq, heads, d], seed: 20, scale: 2)
        let k = Reference.random([batch, nk, heads, d], seed: 21, scale: 2)
        let v = Reference.random([batch, nk, heads, d], seed: 22)
        let out = Tensor.attention(query: q, key: k, value: v)
        #expect(out.shape == [batch, nq, heads, d])
        // Double-precision reference for a few rows.
        let scale = 1 / Double(d).squareRoot()
        for (b, i, h) in [(0, 0, 0), (batch - 1, nq - 1, heads - 1), (0, nq / 2, heads / 2)] {
            var scores = (0..<nk).map { j in (0..<d).reduce(0.0) { $0 + Double(q[b, i, h, $1]) * Double(k[b, j, h, $1]) } * scale }
            let mx = scores.max()!
            scores = scores.map { Foundation.exp($0 - mx) }
            let total = scores.reduce(0, +)
            for c in 0..<d {
                let ref = (0..<nk).reduce(0.0) { $0 + scores[$1] / total * Double(v[b, $1, h, c]) }
                #expect(abs(Double(out[b, i, h, c]) - ref) < 1e-5)
            }
        }
        #expect(out.relativeError(to: Tensor.naiveAttention(query: q, key: k, value: v)) < 1e-5)
    }

    @Test func rotaryMatchesFormula() {
        let dims = Rotary.wanAxisDims(headDim: 128)
        #expect(dims == [44, 42, 42])
        #expect(Rotary.wanAxisDims(headDim: 12) == [4, 4, 4])
        let (f, h, w) = (2, 3, 4)
        let (cosT, sinT) = Rotary.tables3D(frames: f, height: h, width: w, axisDims: [4, 4, 4])
        #expect(cosT.shape == [24, 6])
        // token (1, 2, 3): pairs 0-1 turn with frame 1, 2-3 with row 2, 4-5 with column 3.
        let token = (1 * h + 2) * w + 3
        let expected = [1.0, 1.0 / 100, 2.0, 2.0 / 100, 3.0, 3.0 / 100]
        for (i, angle) in expected.enumerated() {
            #expect(abs(Double(cosT[token, i]) - Foundation.cos(angle)) < 1e-7)
            #expect(abs(Double(sinT[token, i]) - Foundation.sin(angle)) < 1e-7)
        }
        let x = Reference.random([2, 24, 3, 12], seed: 23)
        let y = x.applyingRotary(cos: cosT, sin: sinT)
        for (b, n, hd) in [(0, 0, 0), (1, token, 2), (1, 23, 1)] {
            for i in 0..<6 {
                let a = x[b, n, hd, 2 * i], c = x[b, n, hd, 2 * i + 1]
                #expect(abs(y[b, n, hd, 2 * i] - (a * cosT[n, i] - c * sinT[n, i])) < 1e-6)
                #expect(abs(y[b, n, hd, 2 * i + 1] - (a * sinT[n, i] + c * cosT[n, i])) < 1e-6)
            }
        }
    }

    @Test(arguments: [
        ((1, 1, 1), Padding3D.causal(1, 1, 1), [3, 3, 3]),
        ((1, 2, 2), Padding3D(front: 0, back: 0, top: 0, bottom: 1, left: 0, right: 1), [1, 3, 3]),
        ((1, 2, 2), Padding3D(), [1, 2, 2]),
        ((2, 1, 1), Padding3D.symmetric(0, 0, 0), [3, 1, 1]),
    ])
    func conv3dMatchesDirectConvolution(stride: (Int, Int, Int), padding: Padding3D, kernel: [Int]) {
        let x = Reference.random([2, 3, 5, 9, 7], seed: 24)
        let w = Reference.random([4, 3] + kernel, seed: 25)
        let b = Reference.random([4], seed: 26)
        let y = x.conv3d(weight: w, bias: b, stride: stride, padding: padding)
        let ref = Reference.conv3d(x, w, b, stride: stride, padding: padding)
        #expect(y.count == ref.count)
        #expect(Reference.maxRelative(y.scalars, ref) < 1e-5)
        let bf = x.conv3d(weight: w.converted(to: .bf16), bias: nil, stride: stride, padding: padding)
        #expect(Reference.maxRelative(bf.scalars, Reference.conv3d(x, w.converted(to: .bf16), nil, stride: stride, padding: padding)) < 1e-5)
    }

    @Test func conv2dMatchesDirectConvolution() {
        let x = Reference.random([2, 5, 11, 6], seed: 27), w = Reference.random([3, 5, 3, 3], seed: 28)
        let y = x.conv2d(weight: w, bias: nil, stride: (2, 2), padding: (0, 1, 0, 1))
        let ref = Reference.conv3d(x.reshaped([2, 5, 1, 11, 6]), w.reshaped([3, 5, 1, 3, 3]), nil, stride: (1, 2, 2),
                                   padding: Padding3D(top: 0, bottom: 1, left: 0, right: 1))
        #expect(y.shape == [2, 3, 5, 3])
        #expect(Reference.maxRelative(y.scalars, ref) < 1e-5)
    }

    @Test func resultsAreIdenticalForTheSameThreadCount() {
        let q = Reference.random([1, 200, 2, 32], seed: 29)
        let a = Tensor.attention(query: q, key: q, value: q), b = Tensor.attention(query: q, key: q, value: q)
        #expect(a.scalars == b.scalars)
    }
}

/// The VAE's tap-by-tap causal convolution against the general convolution of [cached ++ current] frames.
struct CausalConvolutionTests {
    /// (cached frames, kernel, H, W): wide rows (one row per tile), narrow ones (many rows per tile, the last
    /// tile ragged), a chunk at the start of a clip (no cache: zero frames in front) and a 1×3×3 kernel.
    @Test(arguments: [(2, [3, 3, 3], 5, 700), (2, [3, 3, 3], 45, 30), (0, [3, 3, 3], 7, 9), (0, [1, 3, 3], 6, 11), (1, [3, 3, 3], 4, 5)])
    func matchesTheGeneralConvolution(cached: Int, kernel: [Int], h: Int, w: Int) {
        let (cin, cout, t) = (3, 4, 2)
        let x = Reference.random([1, cin, t, h, w], seed: 31)
        let previous = cached > 0 ? Reference.random([1, cin, cached, h, w], seed: 32) : nil
        let weight = Reference.random([cout, cin] + kernel, seed: 33), bias = Reference.random([cout], seed: 34)
        let taps = weight.reshaped([cout, cin, kernel.reduce(1, *)]).permuted([2, 0, 1]).contiguous()
        let front = 2 * (kernel[0] / 2) - cached
        let y = x.causalConv3d(previous: previous, taps: taps, kernel: (kernel[0], kernel[1], kernel[2]), bias: bias,
                               front: max(0, front), padH: 1, padW: 1)
        let whole = previous.map { Tensor.concatenate([$0, x], axis: 2) } ?? x
        let expected = Reference.conv3d(whole, weight, bias, stride: (1, 1, 1),
                                        padding: Padding3D(front: max(0, front), top: 1, bottom: 1, left: 1, right: 1))
        #expect(y.count == expected.count)
        #expect(Reference.maxRelative(y.scalars, expected) < 1e-5)
    }
}
