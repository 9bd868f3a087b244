import CKinoKernels
import Foundation

/// NumPy broadcasting rules.
public enum Broadcast {
    public static func shape(_ a: [Int], _ b: [Int]) -> [Int] {
        let rank = max(a.count, b.count)
        var out = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            precondition(da == db || da == 1 || db == 1, "cannot broadcast \(a) with \(b)")
            out[i] = max(da, db)
        }
        return out
    }
}

public enum BinaryOp: Sendable {
    case add, sub, mul, div

    @inline(__always)
    func apply(_ x: Float, _ y: Float) -> Float {
        switch self {
        case .add: x + y
        case .sub: x - y
        case .mul: x * y
        case .div: x / y
        }
    }
}

extension Tensor {
    /// A stride-0 view that repeats size-1 axes up to `target` (NumPy broadcasting).
    public func expanded(to target: [Int]) -> Tensor {
        precondition(target.count >= rank, "cannot expand \(shape) to \(target)")
        let lead = target.count - rank
        var newStrides = [Int](repeating: 0, count: target.count)
        for i in 0..<rank {
            if shape[i] == target[lead + i] {
                newStrides[lead + i] = strides[i]
            } else {
                precondition(shape[i] == 1, "cannot expand \(shape) to \(target)")
            }
        }
        return Tensor(storage: storage, dtype: dtype, shape: target, strides: newStrides, offset: offset)
    }

    /// Elementwise `op` with broadcasting; f32 result.
    func cpuBinary(_ op: BinaryOp, _ other: Tensor) -> Tensor {
        let outShape = Broadcast.shape(shape, other.shape)
        let out = Tensor.uninitialized(outShape)
        let o = out.mutableF32
        let a = self.dtype == .f32 ? self : self.toF32()
        let b = other.dtype == .f32 ? other : other.toF32()
        let total = out.count
        if a.shape == outShape && b.shape == outShape && a.isContiguous && b.isContiguous {
            let ap = a.f32, bp = b.f32
            Parallel.forEach(total, minimumChunk: 32_768) { r in
                for i in r { o[i] = op.apply(ap[i], bp[i]) }
            }
            return out
        }
        // General case: walk rows of the last axis with each operand's strides (0 where broadcast).
        let ea = a.expanded(to: outShape), eb = b.expanded(to: outShape)
        let inner = outShape.last ?? 1
        let rows = total / Swift.max(inner, 1)
        let pa = UnsafePointer<Float>(a.storage.bytes.assumingMemoryBound(to: Float.self))
        let pb = UnsafePointer<Float>(b.storage.bytes.assumingMemoryBound(to: Float.self))
        let sa = ea.strides.last ?? 0, sb = eb.strides.last ?? 0
        let outer = Array(outShape.dropLast())
        Parallel.forEach(rows, minimumChunk: Swift.max(1, 32_768 / Swift.max(inner, 1))) { range in
            for row in range {
                var rem = row, oa = ea.offset, ob = eb.offset
                for axis in stride(from: outer.count - 1, through: 0, by: -1) {
                    let i = rem % outer[axis]
                    rem /= outer[axis]
                    oa += i * ea.strides[axis]
                    ob += i * eb.strides[axis]
                }
                let dst = o + row * inner
                if sa == 1 && sb == 1 {
                    for j in 0..<inner { dst[j] = op.apply(pa[oa + j], pb[ob + j]) }
                } else if sa == 1 && sb == 0 {
                    let y = pb[ob]
                    for j in 0..<inner { dst[j] = op.apply(pa[oa + j], y) }
                } else {
                    for j in 0..<inner { dst[j] = op.apply(pa[oa + j * sa], pb[ob + j * sb]) }
                }
            }
        }
        return out
    }

    public static func + (a: Tensor, b: Tensor) -> Tensor { a.binary(.add, b) }
    public static func - (a: Tensor, b: Tensor) -> Tensor { a.binary(.sub, b) }
    public static func * (a: Tensor, b: Tensor) -> Tensor { a.binary(.mul, b) }
    public static func / (a: Tensor, b: Tensor) -> Tensor { a.binary(.div, b) }
    public static func * (a: Tensor, s: Float) -> Tensor { a.map { $0 * s } }
    public static func + (a: Tensor, s: Float) -> Tensor { a.map { $0 + s } }
    public static func - (a: Tensor, s: Float) -> Tensor { a.map { $0 - s } }

    /// self += other (broadcast into self's shape), in place when this value owns its storage.
    public mutating func add(_ other: Tensor) {
        addScaled(other, by: 1)
    }

    /// self += other * scale, broadcasting `other` to self's shape.
    public mutating func addScaled(_ other: Tensor, by scale: Float) {
        precondition(Broadcast.shape(shape, other.shape) == shape, "add: cannot broadcast \(other.shape) into \(shape)")
        makeUnique()
        let o = mutableF32
        if other.shape == shape, other.dtype == .f32, other.isContiguous {
            let b = other.f32
            Parallel.forEach(count, minimumChunk: 32_768) { r in for i in r { o[i] += scale * b[i] } }
            return
        }
        let e = other.toF32().expanded(to: shape).contiguous()
        let b = e.f32
        Parallel.forEach(count, minimumChunk: 32_768) { r in for i in r { o[i] += scale * b[i] } }
    }

    /// Applies `f` elementwise; f32 result.
    public func map(_ f: (Float) -> Float) -> Tensor {
        let x = toF32()
        let out = Tensor.uninitialized(shape)
        let src = x.f32, dst = out.mutableF32
        Parallel.forEach(count, minimumChunk: 16_384) { r in for i in r { dst[i] = f(src[i]) } }
        return out
    }

    /// GELU with the tanh approximation (PyTorch's `approximate="tanh"`).
    /// A plain loop (no per-element closure call) so the compiler vectorises it: it runs on the FFN's widest
    /// activation every block.
    func cpuGeluTanh() -> Tensor {
        let x = toF32()
        let out = Tensor.uninitialized(shape)
        let src = x.f32, dst = out.mutableF32
        Parallel.forEach(count, minimumChunk: 16_384) { r in
            kino_gelu_tanh(src + r.lowerBound, dst + r.lowerBound, r.count)
        }
        return out
    }

    /// GELU with the exact erf form.
    func cpuGelu() -> Tensor {
        map { x in 0.5 * x * (1 + Foundation.erf(x * 0.707_106_781_186_547_6)) }
    }

    /// SiLU: x·sigmoid(x).
    func cpuSilu() -> Tensor {
        map { x in x * FastMath.sigmoid(x) }
    }

    /// Sum of all elements (Double accumulation), for tests and statistics.
    public func sum() -> Double {
        let x = toF32()
        let p = x.f32
        var s = 0.0
        for i in 0..<count { s += Double(p[i]) }
        return s
    }

    /// mean |x| (Double accumulation): the scale step caches compare changes against.
    public func meanAbs() -> Float {
        guard count > 0 else { return 0 }
        let x = toF32()
        let p = x.f32
        var s = 0.0
        for i in 0..<count { s += Double(abs(p[i])) }
        return Float(s / Double(count))
    }

    /// max |self - other| / max |other|: the relative error the parity tests use.
    public func relativeError(to reference: Tensor) -> Float {
        precondition(shape == reference.shape, "relativeError: \(shape) vs \(reference.shape)")
        let a = toF32(), b = reference.toF32()
        var maxDiff: Float = 0, maxRef: Float = 0
        for i in 0..<count {
            maxDiff = Swift.max(maxDiff, abs(a.f32[i] - b.f32[i]))
            maxRef = Swift.max(maxRef, abs(b.f32[i]))
        }
        return maxRef == 0 ? maxDiff : maxDiff / maxRef
    }

    /// max |self - other|.
    public func maxAbsDifference(_ other: Tensor) -> Float {
        precondition(shape == other.shape, "maxAbsDifference: \(shape) vs \(other.shape)")
        let a = toF32(), b = other.toF32()
        var m: Float = 0
        for i in 0..<count { m = Swift.max(m, abs(a.f32[i] - b.f32[i])) }
        return m
    }
}
