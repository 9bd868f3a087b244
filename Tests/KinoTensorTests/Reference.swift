import Foundation
@testable import KinoTensor

/// Naive reference implementations (plain loops in Double) that the kernels are tested against.
enum Reference {
    static func random(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
        var g = SeededGenerator(seed: seed)
        return Tensor.randomUniform(shape, low: -scale, high: scale, using: &g)
    }

    /// out[m, n] = sum_k a[m, k] * w[n, k] + bias[n]
    static func linear(_ a: [Float], m: Int, k: Int, _ w: [Float], n: Int, bias: [Float]?) -> [Float] {
        var out = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s = Double(bias?[j] ?? 0)
                for p in 0..<k { s += Double(a[i * k + p]) * Double(w[j * k + p]) }
                out[i * n + j] = Float(s)
            }
        }
        return out
    }

    static func maxRelative(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count)
        var d: Float = 0, m: Float = 0
        for i in 0..<a.count { d = max(d, abs(a[i] - b[i])); m = max(m, abs(b[i])) }
        return m == 0 ? d : d / m
    }

    /// Direct 3D convolution with zero padding.
    static func conv3d(_ x: Tensor, _ w: Tensor, _ bias: Tensor?, stride: (Int, Int, Int), padding: Padding3D) -> [Float] {
        let xs = x.scalars, ws = w.scalars, bs = bias?.scalars
        let (b, cin, t, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3], x.shape[4])
        let (cout, kt, kh, kw) = (w.shape[0], w.shape[2], w.shape[3], w.shape[4])
        let to = (t + padding.front + padding.back - kt) / stride.0 + 1
        let ho = (h + padding.top + padding.bottom - kh) / stride.1 + 1
        let wo = (wd + padding.left + padding.right - kw) / stride.2 + 1
        var out = [Float](repeating: 0, count: b * cout * to * ho * wo)
        for bi in 0..<b { for co in 0..<cout { for oz in 0..<to { for oy in 0..<ho { for ox in 0..<wo {
            var s = Double(bs?[co] ?? 0)
            for c in 0..<cin { for dz in 0..<kt { for dy in 0..<kh { for dx in 0..<kw {
                let iz = oz * stride.0 + dz - padding.front, iy = oy * stride.1 + dy - padding.top, ix = ox * stride.2 + dx - padding.left
                guard iz >= 0, iz < t, iy >= 0, iy < h, ix >= 0, ix < wd else { continue }
                s += Double(xs[(((bi * cin + c) * t + iz) * h + iy) * wd + ix]) * Double(ws[(((co * cin + c) * kt + dz) * kh + dy) * kw + dx])
            } } } }
            out[(((bi * cout + co) * to + oz) * ho + oy) * wo + ox] = Float(s)
        } } } } }
        return out
    }
}
