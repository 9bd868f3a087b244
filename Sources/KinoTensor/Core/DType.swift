/// Element types a tensor can be stored in. Kernels compute in f32; f16 and bf16 are storage formats.
public enum DType: String, Sendable, CaseIterable, Codable {
    case f32, f16, bf16

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .f32: 4
        case .f16, .bf16: 2
        }
    }
}

/// Scalar conversions between the storage formats and Float.
public enum HalfConversion {
    @inline(__always)
    public static func bf16ToFloat(_ bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// Round to nearest even, as PyTorch does; NaN stays NaN.
    @inline(__always)
    public static func floatToBF16(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: (bits >> 16) | 0x40) }
        let rounding = ((bits >> 16) & 1) &+ 0x7FFF
        return UInt16(truncatingIfNeeded: (bits &+ rounding) >> 16)
    }

    /// Exact f16 -> f32 in integer arithmetic with selects, so loops over it vectorise. `Float(Float16)` compiles
    /// to a call to `__extendhfsf2` per element on baseline x86-64 (no F16C), which was 6% of a kino-tiny clip.
    @inline(__always)
    public static func f16ToFloat(_ bits: UInt16) -> Float {
        let h = UInt32(bits)
        let sign = (h & 0x8000) << 16
        let shifted = (h & 0x7FFF) << 13                     // exponent and mantissa in f32 position
        let exponent = shifted & 0x0F80_0000
        let rebiased = shifted &+ (112 << 23)                 // f16 bias 15 -> f32 bias 127
        let normal = exponent == 0x0F80_0000 ? rebiased &+ (112 << 23) : rebiased   // inf and NaN keep all ones
        // zero and subnormals: let the FPU normalise (value = mantissa * 2^-24)
        let subnormal = (Float(bitPattern: rebiased &+ (1 << 23)) - Float(bitPattern: 113 << 23)).bitPattern
        return Float(bitPattern: (exponent == 0 ? subnormal : normal) | sign)
    }

    @inline(__always)
    public static func floatToF16(_ value: Float) -> UInt16 {
        Float16(value).bitPattern
    }

    /// Converts `count` elements of `dtype` at `source` into f32 at `destination`.
    public static func toFloat(_ source: UnsafeRawPointer, dtype: DType, count: Int, into destination: UnsafeMutablePointer<Float>) {
        switch dtype {
        case .f32:
            destination.update(from: source.assumingMemoryBound(to: Float.self), count: count)
        case .bf16:
            let s = source.assumingMemoryBound(to: UInt16.self)
            for i in 0..<count { destination[i] = Float(bitPattern: UInt32(s[i]) << 16) }
        case .f16:
            let s = source.assumingMemoryBound(to: UInt16.self)
            for i in 0..<count { destination[i] = f16ToFloat(s[i]) }
        }
    }

    /// Converts `count` f32 values into `dtype` at `destination`.
    public static func fromFloat(_ source: UnsafePointer<Float>, count: Int, dtype: DType, into destination: UnsafeMutableRawPointer) {
        switch dtype {
        case .f32:
            destination.assumingMemoryBound(to: Float.self).update(from: source, count: count)
        case .bf16:
            let d = destination.assumingMemoryBound(to: UInt16.self)
            for i in 0..<count { d[i] = floatToBF16(source[i]) }
        case .f16:
            let d = destination.assumingMemoryBound(to: Float16.self)
            for i in 0..<count { d[i] = Float16(source[i]) }
        }
    }
}
