/// Views (no copies) and the copies that make them contiguous.
extension Tensor {
    /// The same elements with a new shape. One axis may be -1. A view when contiguous, else a copy.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var resolved = newShape
        if let hole = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != hole }.reduce(1) { $0 * $1.element }
            precondition(known > 0 && count % known == 0, "cannot reshape \(shape) to \(newShape)")
            resolved[hole] = count / known
        }
        precondition(resolved.reduce(1, *) == count, "cannot reshape \(shape) (\(count) elements) to \(newShape)")
        let base = isContiguous ? self : contiguous()
        return Tensor(storage: base.storage, dtype: dtype, shape: resolved, offset: base.offset)
    }

    /// Reorders axes without copying: result axis i is input axis `order[i]`.
    public func permuted(_ order: [Int]) -> Tensor {
        precondition(order.count == rank && Set(order) == Set(0..<rank), "bad permutation \(order) for \(shape)")
        return Tensor(storage: storage, dtype: dtype, shape: order.map { shape[$0] }, strides: order.map { strides[$0] }, offset: offset)
    }

    /// Swaps two axes without copying.
    public func transposed(_ a: Int, _ b: Int) -> Tensor {
        var order = Array(0..<rank)
        order.swapAt(axis(a), axis(b))
        return permuted(order)
    }

    /// The elements `range` along `axis`, without copying.
    public func sliced(axis a: Int, _ range: Range<Int>) -> Tensor {
        let ax = axis(a)
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[ax], "slice \(range) out of bounds for axis \(ax) of \(shape)")
        var newShape = shape
        newShape[ax] = range.count
        return Tensor(storage: storage, dtype: dtype, shape: newShape, strides: strides, offset: offset + range.lowerBound * strides[ax])
    }

    /// A size-1 axis inserted at `a`.
    public func unsqueezed(_ a: Int) -> Tensor {
        let ax = a < 0 ? a + rank + 1 : a
        var newShape = shape
        var newStrides = strides
        newShape.insert(1, at: ax)
        newStrides.insert(ax < rank ? strides[ax] * shape[ax] : 1, at: ax)
        return Tensor(storage: storage, dtype: dtype, shape: newShape, strides: newStrides, offset: offset)
    }

    /// Contiguous storage in the same dtype; returns self when already contiguous.
    public func contiguous() -> Tensor {
        isContiguous ? self : copied(to: dtype)
    }

    /// Contiguous f32; returns self when already so.
    public func toF32() -> Tensor {
        dtype == .f32 && isContiguous ? self : copied(to: .f32)
    }

    /// A contiguous copy converted to `dtype` (rounding to nearest even for bf16).
    public func converted(to target: DType) -> Tensor {
        target == dtype && isContiguous ? self : copied(to: target)
    }

    /// A fresh contiguous copy (always copies).
    public func copied(to target: DType? = nil) -> Tensor {
        let out = Tensor.uninitialized(shape, dtype: target ?? dtype)
        StridedCopy.copy(from: self, into: out.storage.bytes, dtype: out.dtype)
        return out
    }

    /// Joins tensors along `axis`; all other axes must agree.
    public static func concatenate(_ parts: [Tensor], axis a: Int) -> Tensor {
        precondition(!parts.isEmpty, "concatenate needs at least one tensor")
        let first = parts[0]
        let ax = first.axis(a)
        var outShape = first.shape
        outShape[ax] = parts.reduce(0) { $0 + $1.shape[ax] }
        for p in parts {
            precondition(p.rank == first.rank && (0..<first.rank).allSatisfy { $0 == ax || p.shape[$0] == first.shape[$0] },
                         "concatenate: \(p.shape) does not match \(first.shape) outside axis \(ax)")
        }
        let out = Tensor.uninitialized(outShape)
        var start = 0
        for p in parts {
            let target = out.sliced(axis: ax, start..<(start + p.shape[ax]))
            StridedCopy.copy(from: p, into: target)
            start += p.shape[ax]
        }
        return out
    }
}

/// Strided gather/scatter with dtype conversion; the engine's one copy loop.
enum StridedCopy {
    /// Copies `source` (any layout) densely into `destination` in row-major order, converting to `dtype`.
    static func copy(from source: Tensor, into destination: UnsafeMutableRawPointer, dtype: DType) {
        let target = Tensor(storage: TensorStorage(borrowing: destination), dtype: dtype, shape: source.shape)
        copy(from: source, into: target)
    }

    /// Copies `source` into the (possibly strided) view `target` of f32 or the target's dtype.
    static func copy(from source: Tensor, into target: Tensor) {
        precondition(source.shape == target.shape, "copy: \(source.shape) into \(target.shape)")
        let rank = source.rank
        if source.count == 0 { return }
        if rank == 0 {
            copyRun(source, source.offset, 1, target, target.offset, 1, 1)
            return
        }
        // Merge nothing fancy: iterate all but the last axis, copy runs along the last axis.
        let inner = source.shape[rank - 1]
        let outerShape = Array(source.shape.dropLast())
        let outerCount = outerShape.reduce(1, *)
        let srcInner = source.strides[rank - 1], dstInner = target.strides[rank - 1]
        Parallel.forEach(outerCount, minimumChunk: max(1, 16_384 / max(inner, 1))) { range in
            var index = [Int](repeating: 0, count: max(outerShape.count, 1))
            var remaining = range.lowerBound
            for axis in stride(from: outerShape.count - 1, through: 0, by: -1) {
                index[axis] = remaining % outerShape[axis]
                remaining /= outerShape[axis]
            }
            for _ in range {
                var s = source.offset, d = target.offset
                for axis in 0..<outerShape.count {
                    s += index[axis] * source.strides[axis]
                    d += index[axis] * target.strides[axis]
                }
                copyRun(source, s, srcInner, target, d, dstInner, inner)
                var axis = outerShape.count - 1
                while axis >= 0 {
                    index[axis] += 1
                    if index[axis] < outerShape[axis] { break }
                    index[axis] = 0
                    axis -= 1
                }
            }
        }
    }

    @inline(__always)
    private static func copyRun(_ src: Tensor, _ s: Int, _ ss: Int, _ dst: Tensor, _ d: Int, _ ds: Int, _ n: Int) {
        let sb = UnsafeRawPointer(src.storage.bytes), db = dst.storage.bytes
        switch (src.dtype, dst.dtype) {
        case (.f32, .f32):
            let sp = sb.assumingMemoryBound(to: Float.self) + s, dp = db.assumingMemoryBound(to: Float.self) + d
            if ss == 1 && ds == 1 { dp.update(from: sp, count: n) } else { for i in 0..<n { dp[i * ds] = sp[i * ss] } }
        case (.bf16, .f32):
            let sp = sb.assumingMemoryBound(to: UInt16.self) + s, dp = db.assumingMemoryBound(to: Float.self) + d
            for i in 0..<n { dp[i * ds] = Float(bitPattern: UInt32(sp[i * ss]) << 16) }
        case (.f16, .f32):
            let sp = sb.assumingMemoryBound(to: UInt16.self) + s, dp = db.assumingMemoryBound(to: Float.self) + d
            if ss == 1 && ds == 1 {
                HalfConversion.toFloat(UnsafeRawPointer(sp), dtype: .f16, count: n, into: dp)
            } else {
                for i in 0..<n { dp[i * ds] = HalfConversion.f16ToFloat(sp[i * ss]) }
            }
        case (.f32, .bf16):
            let sp = sb.assumingMemoryBound(to: Float.self) + s, dp = db.assumingMemoryBound(to: UInt16.self) + d
            for i in 0..<n { dp[i * ds] = HalfConversion.floatToBF16(sp[i * ss]) }
        case (.f32, .f16):
            let sp = sb.assumingMemoryBound(to: Float.self) + s, dp = db.assumingMemoryBound(to: Float16.self) + d
            for i in 0..<n { dp[i * ds] = Float16(sp[i * ss]) }
        case (.bf16, .bf16), (.f16, .f16):
            let sp = sb.assumingMemoryBound(to: UInt16.self) + s, dp = db.assumingMemoryBound(to: UInt16.self) + d
            for i in 0..<n { dp[i * ds] = sp[i * ss] }
        case (.bf16, .f16):
            let sp = sb.assumingMemoryBound(to: UInt16.self) + s, dp = db.assumingMemoryBound(to: Float16.self) + d
            for i in 0..<n { dp[i * ds] = Float16(Float(bitPattern: UInt32(sp[i * ss]) << 16)) }
        case (.f16, .bf16):
            let sp = sb.assumingMemoryBound(to: Float16.self) + s, dp = db.assumingMemoryBound(to: UInt16.self) + d
            for i in 0..<n { dp[i * ds] = HalfConversion.floatToBF16(Float(sp[i * ss])) }
        }
    }
}
