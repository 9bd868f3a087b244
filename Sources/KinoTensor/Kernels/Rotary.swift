import Foundation

/// Rotary position embeddings. Pairs are interleaved: (x[2i], x[2i+1]) rotate by angle θ_i(position).
public enum Rotary {
    /// cos and sin tables [F·H·W, D/2] for a 3D grid of positions (frame, row, column), W fastest.
    /// `axisDims` are the head-dim shares of the three axes (they sum to D; each even). Axis `a`'s pair `i`
    /// turns at frequency theta^(-2i/axisDims[a]); positions are integer grid indices from 0.
    /// Angles are computed in Double, as the reference does, then rounded to f32.
    public static func tables3D(frames: Int, height: Int, width: Int, axisDims: [Int], theta: Double = 10_000) -> (cos: Tensor, sin: Tensor) {
        precondition(axisDims.count == 3 && axisDims.allSatisfy { $0 % 2 == 0 }, "axis dims must be three even numbers, got \(axisDims)")
        let half = axisDims.reduce(0, +) / 2
        let n = frames * height * width
        let cosT = Tensor.uninitialized([n, half]), sinT = Tensor.uninitialized([n, half])
        let c = cosT.mutableF32, s = sinT.mutableF32
        let freqs: [[Double]] = axisDims.map { dim in
            (0..<(dim / 2)).map { i in 1 / pow(theta, Double(2 * i) / Double(dim)) }
        }
        for f in 0..<frames {
            for y in 0..<height {
                for x in 0..<width {
                    let token = (f * height + y) * width + x
                    var pair = 0
                    for (axis, position) in [f, y, x].enumerated() {
                        for freq in freqs[axis] {
                            let angle = Double(position) * freq
                            c[token * half + pair] = Float(Foundation.cos(angle))
                            s[token * half + pair] = Float(Foundation.sin(angle))
                            pair += 1
                        }
                    }
                }
            }
        }
        return (cosT, sinT)
    }

    /// Wan's split of a head dimension over (t, h, w): h = w = 2·floor(D/6), t = D - h - w.
    public static func wanAxisDims(headDim: Int) -> [Int] {
        let hw = 2 * (headDim / 6)
        return [headDim - 2 * hw, hw, hw]
    }
}

extension Tensor {
    /// Applies rotary tables (cos, sin: [N, D/2]) to x [B, N, H, D] with interleaved pairs.
    func cpuRotary(cos: Tensor, sin: Tensor) -> Tensor {
        precondition(rank == 4, "rotary expects [B, N, H, D], got \(shape)")
        let batch = shape[0], n = shape[1], heads = shape[2], d = shape[3]
        precondition(cos.shape == [n, d / 2] && sin.shape == [n, d / 2], "rotary tables \(cos.shape) for \(shape)")
        let x = toF32()
        let out = Tensor.uninitialized(shape)
        let src = x.f32, dst = out.mutableF32, cp = cos.toF32().f32, sp = sin.toF32().f32
        let half = d / 2
        Parallel.forEach(batch * n, minimumChunk: 16) { range in
            for row in range {
                let token = row % n
                let c = cp + token * half, s = sp + token * half
                for h in 0..<heads {
                    let base = (row * heads + h) * d
                    for i in 0..<half {
                        let a = src[base + 2 * i], b = src[base + 2 * i + 1]
                        dst[base + 2 * i] = a * c[i] - b * s[i]
                        dst[base + 2 * i + 1] = a * s[i] + b * c[i]
                    }
                }
            }
        }
        return out
    }
}
