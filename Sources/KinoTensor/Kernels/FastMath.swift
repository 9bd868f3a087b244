/// Branch-free float functions that the compiler vectorises. `exp` is Cephes' expf scheme
/// (range reduction by ln 2 split in two constants, a degree-6 polynomial): about 1 ulp over the range.
public enum FastMath {
    @inlinable @inline(__always)
    public static func exp(_ value: Float) -> Float {
        let x = Swift.min(Swift.max(value, -87.33654), 88.37626)
        // 1.5·2²³ trick: the low mantissa bits of `shifted` hold round(x·log2 e), so neither rint nor a
        // checked float-to-int conversion is needed and loops vectorise.
        let shifted = x * 1.442_695_04 + 12_582_912
        let n = shifted - 12_582_912
        let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        let er = p * r * r + r + 1
        let exponent = shifted.bitPattern &- 0x4B40_0000
        return er * Float(bitPattern: (exponent &+ 127) << 23)
    }

    /// tanh through exp: 1 - 2 / (e^{2x} + 1); saturates cleanly at ±1.
    @inlinable @inline(__always)
    public static func tanh(_ x: Float) -> Float {
        1 - 2 / (exp(2 * x) + 1)
    }

    @inlinable @inline(__always)
    public static func sigmoid(_ x: Float) -> Float {
        1 / (1 + exp(-x))
    }
}

/// Vector forms (16 lanes: one AVX-512 register) for the reductions inside softmax and attention, which the
/// compiler will not vectorise from scalar loops because float addition is not associative.
extension FastMath {
    /// max of `count` floats.
    @inlinable @inline(__always)
    public static func maximum(_ p: UnsafePointer<Float>, _ count: Int) -> Float {
        // compare + blend, which lowers to vector instructions; `pointwiseMax` on SIMD16 went lane by lane
        // through the stack on baseline x86-64 (perf showed it as the hottest part of attention).
        var acc = SIMD16<Float>(repeating: -.infinity)
        var i = 0
        while i + 16 <= count {
            let v = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD16<Float>.self)
            acc.replace(with: v, where: v .> acc)
            i += 16
        }
        var m = -Float.infinity
        for lane in 0..<16 where acc[lane] > m { m = acc[lane] }
        while i < count { m = Swift.max(m, p[i]); i += 1 }
        return m
    }

    /// p[i] = exp(p[i] - shift) in place; returns the sum of the results.
    @inlinable @inline(__always)
    public static func expInPlace(_ p: UnsafeMutablePointer<Float>, _ count: Int, minus shift: Float) -> Float {
        // A plain elementwise loop (vectorised by the compiler), then a 16-lane sum.
        for i in 0..<count { p[i] = exp(p[i] - shift) }
        var acc = SIMD16<Float>(repeating: 0)
        var i = 0
        while i + 16 <= count {
            acc += UnsafeRawPointer(p + i).loadUnaligned(as: SIMD16<Float>.self)
            i += 16
        }
        var total = acc.sum()
        while i < count { total += p[i]; i += 1 }
        return total
    }
}
