import Foundation

/// A safetensors file, memory-mapped; tensors are views of the mapping (no copy until compute converts them).
///
/// Layout: u64 little-endian header length N, N bytes of JSON `{name: {dtype, shape, data_offsets: [begin, end]},
/// "__metadata__": {...}}`, then the data region; offsets are relative to the data region. Every entry is
/// validated when the file is opened; problems throw `TensorError.malformedSafetensors` naming the file and tensor.
public struct SafeTensorsFile: Sendable {
    public struct Entry: Sendable, Equatable {
        public let name: String
        /// The dtype as the file names it (F32, BF16, I64, ...).
        public let storedType: String
        /// The compute dtype when Kino can load it as a tensor (F32, F16, BF16); nil for integer/other types.
        public let dtype: DType?
        public let shape: [Int]
        /// Byte range inside the data region.
        public let range: Range<Int>
    }

    public let path: String
    public let entries: [String: Entry]
    public let metadata: [String: String]
    private let mapping: MappedFile

    /// Bytes of the file (the mapping's size).
    public var byteCount: Int { mapping.size }

    /// Drops the file's pages from the resident set (see `MappedFile.releaseResidentPages`).
    public func releaseResidentPages() { mapping.releaseResidentPages() }
    private let dataStart: Int

    /// The largest header the reader accepts (the format's own limit is 100 MB).
    public static let maximumHeaderBytes = 100_000_000

    public init(path: String) throws(TensorError) {
        let mapping = try MappedFile(path: path)
        self.mapping = mapping
        self.path = path
        func fail(_ tensor: String?, _ message: String) -> TensorError {
            .malformedSafetensors(path: path, tensor: tensor, message: message)
        }
        guard mapping.size >= 8 else {
            throw fail(nil, "file is \(mapping.size) bytes, shorter than the 8-byte header length (truncated or not a safetensors file)")
        }
        let headerLength = Int(UInt64(littleEndian: mapping.base.loadUnaligned(as: UInt64.self)).clamped(to: UInt64(Int.max)))
        guard headerLength <= SafeTensors.maxHeader(mapping.size) else {
            throw fail(nil, "header length \(headerLength) runs past the end of the \(mapping.size)-byte file (truncated?)")
        }
        guard headerLength <= SafeTensorsFile.maximumHeaderBytes else {
            throw fail(nil, "header length \(headerLength) exceeds the 100 MB limit")
        }
        let headerData = Data(bytes: mapping.base + 8, count: headerLength)
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: headerData)
        } catch {
            throw fail(nil, "header is not valid JSON (\(error.localizedDescription))")
        }
        guard let root = json as? [String: Any] else { throw fail(nil, "header is not a JSON object") }
        dataStart = 8 + headerLength
        let dataSize = mapping.size - dataStart
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in root {
            if name == "__metadata__" {
                guard let dict = value as? [String: Any] else { throw fail(nil, "__metadata__ is not an object") }
                for (k, v) in dict { metadata[k] = v as? String ?? "\(v)" }
                continue
            }
            guard let info = value as? [String: Any] else { throw fail(name, "entry is not an object") }
            guard let dtypeName = info["dtype"] as? String else { throw fail(name, "missing dtype") }
            guard let elementSize = SafeTensors.elementSizes[dtypeName] else {
                throw fail(name, "unknown dtype \(dtypeName) (safetensors defines \(SafeTensors.elementSizes.keys.sorted().joined(separator: ", ")))")
            }
            let dtype = SafeTensors.dtype(named: dtypeName)
            guard let shapeValues = info["shape"] as? [Any],
                  let shape = Optional(shapeValues.compactMap { ($0 as? NSNumber)?.intValue }), shape.count == shapeValues.count,
                  shape.allSatisfy({ $0 >= 0 }) else {
                throw fail(name, "shape is not a list of non-negative integers")
            }
            guard let offsets = info["data_offsets"] as? [Any], offsets.count == 2,
                  let begin = (offsets[0] as? NSNumber)?.intValue, let end = (offsets[1] as? NSNumber)?.intValue else {
                throw fail(name, "data_offsets must be two integers")
            }
            guard begin >= 0, begin <= end, end <= dataSize else {
                throw fail(name, "data_offsets [\(begin), \(end)] out of range for a \(dataSize)-byte data region")
            }
            let (elements, overflow) = shape.reduce((1, false)) { acc, d in
                let (p, o) = acc.0.multipliedReportingOverflow(by: d)
                return (p, acc.1 || o)
            }
            guard !overflow, elements * elementSize == end - begin else {
                throw fail(name, "shape \(shape) of \(dtypeName) needs \(elements * elementSize) bytes but data_offsets span \(end - begin)")
            }
            entries[name] = Entry(name: name, storedType: dtypeName, dtype: dtype, shape: shape, range: begin..<end)
        }
        let sorted = entries.values.filter { !$0.range.isEmpty }.sorted { $0.range.lowerBound < $1.range.lowerBound }
        for (a, b) in zip(sorted, sorted.dropFirst()) where b.range.lowerBound < a.range.upperBound {
            throw fail(b.name, "data overlaps tensor '\(a.name)' (\(a.range) and \(b.range))")
        }
        self.entries = entries
        self.metadata = metadata
    }

    public var names: [String] { entries.keys.sorted() }

    /// The named tensor as a view of the mapping (no copy).
    public func tensor(_ name: String) throws(TensorError) -> Tensor {
        guard let entry = entries[name] else {
            throw .malformedSafetensors(path: path, tensor: name, message: "no such tensor in the file")
        }
        guard let dtype = entry.dtype else {
            throw .malformedSafetensors(path: path, tensor: name, message: "dtype \(entry.storedType) cannot be used as a float tensor (Kino computes with F32, F16 and BF16)")
        }
        let storage = TensorStorage(mapping: mapping, offset: dataStart + entry.range.lowerBound, byteCount: entry.range.count)
        return Tensor(storage: storage, dtype: dtype, shape: entry.shape)
    }

    /// An integer tensor (I64, I32, I16, I8, U8, BOOL) as Int values, row-major (token ids, masks).
    public func integers(_ name: String) throws(TensorError) -> [Int] {
        guard let entry = entries[name] else {
            throw .malformedSafetensors(path: path, tensor: name, message: "no such tensor in the file")
        }
        let base = UnsafeRawPointer(mapping.base + dataStart + entry.range.lowerBound)
        let n = entry.shape.reduce(1, *)
        switch entry.storedType {
        case "I64": return (0..<n).map { Int(base.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) }
        case "I32": return (0..<n).map { Int(base.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self)) }
        case "I16": return (0..<n).map { Int(base.loadUnaligned(fromByteOffset: $0 * 2, as: Int16.self)) }
        case "I8": return (0..<n).map { Int(base.load(fromByteOffset: $0, as: Int8.self)) }
        case "U8", "BOOL": return (0..<n).map { Int(base.load(fromByteOffset: $0, as: UInt8.self)) }
        default:
            throw .malformedSafetensors(path: path, tensor: name, message: "dtype \(entry.storedType) is not an integer type")
        }
    }
}

public enum SafeTensors {
    static func maxHeader(_ fileSize: Int) -> Int { fileSize - 8 }

    /// Bytes per element of every dtype the safetensors format defines.
    static let elementSizes: [String: Int] = [
        "F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U64": 8, "U32": 4, "U16": 2,
        "U8": 1, "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1,
    ]

    static func dtype(named name: String) -> DType? {
        switch name {
        case "F32": .f32
        case "F16": .f16
        case "BF16": .bf16
        default: nil
        }
    }

    static func name(of dtype: DType) -> String {
        switch dtype {
        case .f32: "F32"
        case .f16: "F16"
        case .bf16: "BF16"
        }
    }

    /// Writes tensors (in their own dtypes) to `path` atomically, names sorted, data 8-byte aligned.
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to path: String) throws(TensorError) {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            let t = tensors[name]!
            let size = t.count * t.dtype.size
            header[name] = ["dtype": SafeTensors.name(of: t.dtype), "shape": t.shape, "data_offsets": [offset, offset + size]] as [String: Any]
            offset += size
        }
        var headerData: Data
        do {
            headerData = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        } catch {
            throw .io(path: path, message: "cannot encode the safetensors header (\(error.localizedDescription))")
        }
        while (8 + headerData.count) % 8 != 0 { headerData.append(0x20) }
        var file = Data(capacity: 8 + headerData.count + offset)
        withUnsafeBytes(of: UInt64(headerData.count).littleEndian) { file.append(contentsOf: $0) }
        file.append(headerData)
        for name in names {
            let t = tensors[name]!.contiguous()
            file.append(Data(bytes: t.rawPointer, count: t.count * t.dtype.size))
        }
        do {
            try file.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .io(path: path, message: "cannot write (\(error.localizedDescription))")
        }
    }
}

extension UInt64 {
    fileprivate func clamped(to limit: UInt64) -> UInt64 { Swift.min(self, limit) }
}
