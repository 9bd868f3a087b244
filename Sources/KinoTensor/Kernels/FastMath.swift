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

// The reductions inside softmax and attention (max, exp-and-sum) and the row norms are C kernels compiled for
// several x86-64 levels: Sources/CKinoKernels.
