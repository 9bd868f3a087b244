/// An n-dimensional array: shape, strides (in elements), an element offset and a dtype over shared storage.
///
/// Tensors are values. Views (`reshaped`, `permuted`, `sliced`, `transposed`) share storage without copying;
/// kernels write only into storage they have just allocated, or into storage that `makeUnique()` proved to be
/// referenced once. Shape errors inside kernels are programming errors and trap with a message (as in MLX);
/// problems with user input (files, configurations) are thrown as `TensorError` before compute starts.
public struct Tensor: @unchecked Sendable {
    public private(set) var storage: TensorStorage
    public let dtype: DType
    public let shape: [Int]
    public let strides: [Int]
    public let offset: Int

    public init(storage: TensorStorage, dtype: DType, shape: [Int], strides: [Int]? = nil, offset: Int = 0) {
        self.storage = storage
        self.dtype = dtype
        self.shape = shape
        self.strides = strides ?? Tensor.contiguousStrides(shape)
        self.offset = offset
    }

    /// A zero-filled tensor.
    public init(zeros shape: [Int], dtype: DType = .f32) {
        let count = shape.reduce(1, *)
        self.init(storage: TensorStorage(zeroedBytes: count * dtype.size), dtype: dtype, shape: shape)
    }

    /// An f32 tensor whose every element must be written by the caller before it is read.
    public static func uninitialized(_ shape: [Int], dtype: DType = .f32) -> Tensor {
        let count = shape.reduce(1, *)
        return Tensor(storage: TensorStorage(uninitializedBytes: count * dtype.size), dtype: dtype, shape: shape)
    }

    /// An f32 tensor with the given values in row-major order, converted to `dtype` for storage.
    public init(shape: [Int], values: [Float], dtype: DType = .f32) {
        precondition(shape.reduce(1, *) == values.count, "Tensor(shape: \(shape)) needs \(shape.reduce(1, *)) values, got \(values.count)")
        let storage = TensorStorage(uninitializedBytes: values.count * dtype.size)
        values.withUnsafeBufferPointer { buffer in
            if let base = buffer.baseAddress {
                HalfConversion.fromFloat(base, count: values.count, dtype: dtype, into: storage.bytes)
            }
        }
        self.init(storage: storage, dtype: dtype, shape: shape)
    }

    /// A tensor filled with one value.
    public init(shape: [Int], repeating value: Float) {
        self = Tensor.uninitialized(shape)
        let p = mutableF32
        for i in 0..<count { p[i] = value }
    }

    public var rank: Int { shape.count }
    public var count: Int { shape.reduce(1, *) }

    public static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = running
            running *= shape[axis]
        }
        return strides
    }

    /// True when the elements are laid out densely in row-major order (size-1 axes may have any stride).
    public var isContiguous: Bool {
        var expected = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) where shape[axis] != 1 {
            if strides[axis] != expected { return false }
            expected *= shape[axis]
        }
        return true
    }

    /// Normalises a possibly negative axis.
    public func axis(_ a: Int) -> Int {
        let resolved = a < 0 ? a + rank : a
        precondition(resolved >= 0 && resolved < rank, "axis \(a) out of range for shape \(shape)")
        return resolved
    }

    // MARK: raw access (f32, contiguous)

    /// Pointer to the first element of a contiguous f32 tensor.
    public var f32: UnsafePointer<Float> {
        precondition(dtype == .f32 && isContiguous, "f32 access needs a contiguous f32 tensor (have \(dtype), strides \(strides) for \(shape)); call .contiguous()/.toF32()")
        return UnsafePointer(storage.bytes.assumingMemoryBound(to: Float.self).advanced(by: offset))
    }

    /// Mutable pointer to a contiguous f32 tensor whose storage this value owns alone (see `makeUnique`).
    public var mutableF32: UnsafeMutablePointer<Float> {
        precondition(dtype == .f32 && isContiguous, "f32 access needs a contiguous f32 tensor")
        return storage.bytes.assumingMemoryBound(to: Float.self).advanced(by: offset)
    }

    /// Raw pointer to the first element (any dtype).
    public var rawPointer: UnsafeRawPointer {
        UnsafeRawPointer(storage.bytes.advanced(by: offset * dtype.size))
    }

    /// Ensures this value is the only user of its storage and is contiguous f32, copying when it is not,
    /// so that in-place kernels cannot change another tensor.
    public mutating func makeUnique() {
        if dtype != .f32 || !isContiguous || storage.isMapped || !isKnownUniquelyReferenced(&storage) {
            self = self.copied()
        }
    }

    /// The elements as a Swift array of Float (row-major), for tests and small tensors.
    public var scalars: [Float] {
        let c = contiguous().toF32()
        return Array(UnsafeBufferPointer(start: c.f32, count: c.count))
    }

    /// The element at a multi-index, converted to Float.
    public subscript(_ index: Int...) -> Float {
        precondition(index.count == rank, "index \(index) for shape \(shape)")
        var linear = offset
        for (axis, i) in index.enumerated() {
            precondition(i >= 0 && i < shape[axis], "index \(index) out of range for \(shape)")
            linear += i * strides[axis]
        }
        let raw = UnsafeRawPointer(storage.bytes)
        switch dtype {
        case .f32: return raw.load(fromByteOffset: linear * 4, as: Float.self)
        case .bf16: return HalfConversion.bf16ToFloat(raw.load(fromByteOffset: linear * 2, as: UInt16.self))
        case .f16: return HalfConversion.f16ToFloat(raw.load(fromByteOffset: linear * 2, as: UInt16.self))
        }
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String { "Tensor(\(dtype), \(shape))" }
}
