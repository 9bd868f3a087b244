import Foundation
import KinoTensor

/// The tensors of one model component (e.g. `transformer/`), from one safetensors file or from shards listed in
/// a `*.safetensors.index.json`, or held in memory. Files are memory-mapped; nothing is read until a kernel
/// touches it. Every model (text encoder, transformer, VAE) loads through this store and a `ParameterReader`.
public struct WeightStore: Sendable {
    public let component: String
    /// What errors name: the single weight file, the shard index, or the in-memory source's name.
    public let source: String
    private let files: [SafeTensorsFile]
    private let location: [String: Int]
    private let memory: [String: Tensor]

    /// Opens `directory`'s weights: the shards named by a `*.safetensors.index.json`, else every `*.safetensors`.
    public init(directory: URL, component: String) throws(ModelError) {
        self.component = component
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: directory.path) else {
            throw ModelError.missingFile(path: directory.path, hint: "the \(component) folder does not exist or cannot be read")
        }
        var paths: [URL]
        if let index = names.first(where: { $0.hasSuffix(".safetensors.index.json") }) {
            let indexURL = directory.appendingPathComponent(index)
            paths = try Self.shards(index: indexURL).map { directory.appendingPathComponent($0) }
            for p in paths where !fm.fileExists(atPath: p.path) {
                throw ModelError.missingFile(path: p.path, hint: "\(index) lists this shard; download it next to the index")
            }
            source = indexURL.path
        } else {
            paths = names.filter { $0.hasSuffix(".safetensors") }.sorted().map { directory.appendingPathComponent($0) }
            source = paths.count == 1 ? paths[0].path : directory.path
        }
        guard !paths.isEmpty else {
            throw ModelError.missingFile(path: directory.appendingPathComponent("diffusion_pytorch_model.safetensors").path,
                                         hint: "no .safetensors weights in \(directory.path) (expected a diffusers-format export)")
        }
        var files: [SafeTensorsFile] = []
        var location: [String: Int] = [:]
        for p in paths {
            let file: SafeTensorsFile
            do { file = try SafeTensorsFile(path: p.path) } catch { throw .unreadableWeights(error) }
            for name in file.names {
                if let other = location[name] {
                    throw ModelError.invalidConfig(path: p.path, message: "tensor '\(name)' also appears in \(files[other].path)")
                }
                location[name] = files.count
            }
            files.append(file)
        }
        self.files = files
        self.location = location
        self.memory = [:]
    }

    /// Tensors held in memory (tests, generated models); `source` stands for the file in errors.
    public init(component: String, tensors: [String: Tensor], source: String = "in-memory weights") {
        self.component = component
        self.source = source
        self.files = []
        self.location = [:]
        self.memory = tensors
    }

    /// The shard file names a diffusers `*.safetensors.index.json` lists.
    static func shards(index: URL) throws(ModelError) -> [String] {
        guard let data = FileManager.default.contents(atPath: index.path),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let map = json["weight_map"] as? [String: String] else {
            throw ModelError.invalidConfig(path: index.path, message: "not a valid index: expected {\"weight_map\": {tensor name: shard file}}")
        }
        return Set(map.values).sorted()
    }

    public var keys: [String] { (Array(location.keys) + Array(memory.keys)).sorted() }

    /// Bytes of the memory-mapped weight files.
    public var mappedBytes: Int { files.reduce(0) { $0 + $1.byteCount } }

    /// Drops the mapped weights from the process's resident set when they are large (a full-size text encoder or
    /// transformer): a model used once per clip then does not hold gigabytes while the next stage runs. The files
    /// stay in the page cache, so the next use faults them back without reading the disk when memory allows.
    /// Small models are left alone (re-faulting would cost more than it frees).
    public func releaseResidentPages(ifLargerThan threshold: Int = WeightStore.releaseThreshold) {
        guard mappedBytes > threshold else { return }
        for file in files { file.releaseResidentPages() }
    }

    /// 1 GB: above every bundled model, below every full-size component.
    public static let releaseThreshold = 1 << 30

    public func shape(_ key: String) -> [Int]? {
        memory[key]?.shape ?? location[key].flatMap { files[$0].entries[key]?.shape }
    }

    public func tensor(_ key: String) throws(ModelError) -> Tensor {
        if let t = memory[key] { return t }
        guard let i = location[key] else {
            throw ModelError.weightMismatch(file: source, problems: [.missing(key: key, expectedShape: [])])
        }
        do { return try files[i].tensor(key) } catch { throw .unreadableWeights(error) }
    }
}

/// Reads a component's parameters by key with the expected shape, collecting every problem (missing keys,
/// wrong shapes, LoRA keys that fit nothing) so that one error lists them all; `finish()` also reports keys
/// nobody asked for. Model code names each checkpoint key once, where it builds its layers; forward code never
/// sees keys.
public final class ParameterReader {
    private let store: WeightStore
    private var used: Set<String> = []
    private var problems: [WeightProblem] = []
    private var readError: ModelError?
    private let prefix: String
    /// Storage dtype to convert weights to at load (nil keeps what is on disk, memory-mapped).
    public let dtype: DType?
    /// LoRA changes merged into matching parameters as they load (root reader only).
    private let patches: WeightPatches?
    /// Records every (key, shape) asked for and serves zeros, without a store (to list a model's keys).
    private let recordOnly: Bool
    /// Every (key, shape) the model asked for, in order (root reader).
    public private(set) var requested: [(key: String, shape: [Int])] = []

    public init(_ store: WeightStore, dtype: DType? = nil, patches: WeightPatches? = nil) {
        self.store = store
        self.prefix = ""
        self.dtype = dtype
        self.patches = patches
        self.recordOnly = false
    }

    /// A reader that loads nothing: it serves zeros of every requested shape and keeps the list of requests.
    public init(recordingShapesOf component: String) {
        self.store = WeightStore(component: component, tensors: [:])
        self.prefix = ""
        self.dtype = nil
        self.patches = nil
        self.recordOnly = true
    }

    private init(parent: ParameterReader, prefix: String) {
        self.store = parent.store
        self.prefix = prefix
        self.dtype = parent.dtype
        self.patches = nil
        self.recordOnly = parent.recordOnly
        self.parentRef = parent
    }

    private var parentRef: ParameterReader?
    private var root: ParameterReader { parentRef?.root ?? self }

    /// A reader whose keys are relative to `name.` .
    public func scope(_ name: String) -> ParameterReader {
        ParameterReader(parent: root, prefix: prefix + name + ".")
    }

    /// The tensor at `key` (relative to this scope), which must have `shape`. When it is missing or misshapen
    /// the problem is recorded and zeros stand in, so construction goes on and `finish` reports everything.
    public func callAsFunction(_ key: String, shape: [Int]) -> Tensor {
        let full = prefix + key
        let r = root
        r.requested.append((full, shape))
        if recordOnly { return Tensor(zeros: shape) }
        r.used.insert(full)
        guard let found = store.shape(full) else {
            r.problems.append(.missing(key: full, expectedShape: shape))
            return Tensor(zeros: shape)
        }
        guard found == shape else {
            r.problems.append(.wrongShape(key: full, expected: shape, found: found))
            return Tensor(zeros: shape)
        }
        do {
            let t = try store.tensor(full)
            if let patched = try r.patches?.patched(full, t) {
                let target = r.dtype ?? t.dtype
                return target == .f32 ? patched : patched.converted(to: target)
            }
            if let dtype = r.dtype, t.dtype != dtype { return t.converted(to: dtype) }
            return t
        } catch {
            r.readError = r.readError ?? (error as? ModelError) ?? .invalidInput("\(error)")
            return Tensor(zeros: shape)
        }
    }

    /// Throws `ModelError.weightMismatch` listing every missing, mis-shaped and unexpected key (and LoRA keys
    /// that matched no parameter), or the first read error.
    public func finish(ignoringUnexpected ignored: (String) -> Bool = { _ in false }) throws(ModelError) {
        let r = root
        if let readError = r.readError { throw readError }
        let unexpected = store.keys.filter { !r.used.contains($0) && !ignored($0) }
        let all = r.problems + (r.patches?.unmatched ?? []).map(WeightProblem.adapter)
            + unexpected.map { WeightProblem.unexpected(key: $0, shape: store.shape($0) ?? []) }
        if !all.isEmpty { throw .weightMismatch(file: store.source, problems: all) }
    }
}
