import Foundation

/// A small, fast, seedable generator (xoshiro256**, seeded through SplitMix64). Kino never uses global
/// randomness: every random tensor takes a generator, so a seed reproduces a run exactly.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var x = seed
        func splitmix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s = (splitmix(), splitmix(), splitmix(), splitmix())
    }

    public mutating func next() -> UInt64 {
        let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
        let t = s.1 << 17
        s.2 ^= s.0
        s.3 ^= s.1
        s.1 ^= s.2
        s.0 ^= s.3
        s.2 ^= t
        s.3 = (s.3 << 45) | (s.3 >> 19)
        return result
    }
}

extension Tensor {
    /// Standard normal samples (Box-Muller in Double), in row-major order.
    public static func randomNormal<G: RandomNumberGenerator>(_ shape: [Int], using generator: inout G) -> Tensor {
        let out = Tensor.uninitialized(shape)
        let p = out.mutableF32
        let n = out.count
        var i = 0
        while i < n {
            let u1 = Double(generator.next() >> 11) * 0x1p-53
            let u2 = Double(generator.next() >> 11) * 0x1p-53
            let radius = (-2 * Foundation.log(Swift.max(u1, 1e-300))).squareRoot()
            p[i] = Float(radius * Foundation.cos(2 * Double.pi * u2))
            if i + 1 < n { p[i + 1] = Float(radius * Foundation.sin(2 * Double.pi * u2)) }
            i += 2
        }
        return out
    }

    /// Uniform samples in [low, high).
    public static func randomUniform<G: RandomNumberGenerator>(_ shape: [Int], low: Float = -1, high: Float = 1, using generator: inout G) -> Tensor {
        let out = Tensor.uninitialized(shape)
        let p = out.mutableF32
        for i in 0..<out.count { p[i] = low + (high - low) * Float(Double(generator.next() >> 40) * 0x1p-24) }
        return out
    }
}
