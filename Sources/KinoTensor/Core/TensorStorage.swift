#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A block of bytes that tensors view. Either owned heap memory (64-byte aligned) or a region of a
/// memory-mapped file that stays mapped while any tensor refers to it.
///
/// Storage is shared by views; a tensor writes into it only while it holds the only reference
/// (see `Tensor.makeUnique()`), which keeps tensors value types.
public final class TensorStorage: @unchecked Sendable {
    public let bytes: UnsafeMutableRawPointer
    public let byteCount: Int
    private let owner: Owner

    enum Owner {
        case heap
        case mapping(MappedFile)
        case borrowed
    }

    /// Wraps memory owned elsewhere for the duration of one call; never freed here.
    init(borrowing pointer: UnsafeMutableRawPointer) {
        self.bytes = pointer
        self.byteCount = 0
        self.owner = .borrowed
    }

    /// Allocates `byteCount` zeroed bytes.
    public init(zeroedBytes byteCount: Int) {
        let size = max(byteCount, 1)
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
        pointer.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        self.bytes = pointer
        self.byteCount = byteCount
        self.owner = .heap
    }

    /// Allocates `byteCount` bytes without clearing them (every byte must be written before it is read).
    public init(uninitializedBytes byteCount: Int) {
        self.bytes = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: 64)
        self.byteCount = byteCount
        self.owner = .heap
    }

    /// A view of `byteCount` bytes at `offset` inside a mapped file.
    init(mapping: MappedFile, offset: Int, byteCount: Int) {
        self.bytes = mapping.base.advanced(by: offset)
        self.byteCount = byteCount
        self.owner = .mapping(mapping)
    }

    public var isMapped: Bool {
        if case .mapping = owner { return true }
        return false
    }

    deinit {
        if case .heap = owner { bytes.deallocate() }
    }
}

/// A read-only, private memory mapping of a whole file. Unmapped when the last storage using it goes away.
public final class MappedFile: @unchecked Sendable {
    public let path: String
    public let base: UnsafeMutableRawPointer
    public let size: Int

    public init(path: String) throws(TensorError) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw .io(path: path, message: "cannot open (\(String(cString: strerror(errno))))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw .io(path: path, message: "cannot stat (\(String(cString: strerror(errno))))")
        }
        let size = Int(info.st_size)
        self.path = path
        self.size = size
        if size == 0 {
            self.base = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 64)
            return
        }
        // MAP_PRIVATE + PROT_WRITE would allow copy-on-write; weights are read-only, so PROT_READ.
        guard let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
            throw .io(path: path, message: "cannot memory-map (\(String(cString: strerror(errno))))")
        }
        self.base = mapped
    }

    /// Drops this mapping's pages from the process's resident set. The file stays in the page cache, so the
    /// next access faults pages back in cheaply; nothing is lost (the mapping is read-only).
    public func releaseResidentPages() {
        guard size > 0 else { return }
        _ = madvise(base, size, MADV_DONTNEED)
    }

    deinit {
        if size == 0 {
            base.deallocate()
        } else {
            munmap(base, size)
        }
    }
}
