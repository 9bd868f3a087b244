import Foundation
import KinoTensor

/// The tensors of one model component (e.g. `transformer/`), from one safetensors file or from shards listed in
/// a `*.safetensors.index.json`. Files are memory-mapped; nothing is read until a kernel touches it.
public struct WeightStore: Sendable {
    public let component: String
    private let files: [SafeTensorsFile]
    private let location: [String: Int]

    /// Opens every `*.safetensors` in `directory` (or the shards named by its index file).
    public init(directory: URL, component: String) throws {
        self.component = component
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: directory.path) else {
            throw ModelError.missingFile(path: directory.path, hint: "the \(component) folder does not exist or cannot be read")
        }
        var paths: [String]
        if let index = names.first(where: { $0.hasSuffix(".safetensors.index.json") }) {
            let indexPath = directory.appendingPathComponent(index).path
            guard let data = fm.contents(atPath: indexPath),
                  let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let map = json["weight_map"] as? [String: String] else {
                throw ModelError.invalidConfig(path: indexPath, message: "not a valid index: expected {\"weight_map\": {key: file}}")
            }
            paths = Set(map.values).sorted().map { directory.appendingPathComponent($0).path }
            for p in paths where !fm.fileExists(atPath: p) {
                throw ModelError.missingFile(path: p, hint: "the shard is listed in \(index) but absent")
            }
        } else {
            paths = names.filter { $0.hasSuffix(".safetensors") }.sorted().map { directory.appendingPathComponent($0).path }
        }
        guard !paths.isEmpty else {
            throw ModelError.missingFile(path: directory.appendingPathComponent("diffusion_pytorch_model.safetensors").path,
                                         hint: "no .safetensors weights in \(directory.path)")
        }
        var files: [SafeTensorsFile] = []
        var location: [String: Int] = [:]
        for p in paths {
            let file = try SafeTensorsFile(path: p)
            for name in file.names {
                if let other = location[name] {
                    throw ModelError.invalidConfig(path: p, message: "tensor '\(name)' also appears in \(files[other].path)")
                }
                location[name] = files.count
            }
            files.append(file)
        }
        self.files = files
        self.location = location
    }

    /// An in-memory store (tests, generated models).
    public init(component: String, tensors: [String: Tensor], scratch: URL) throws {
        let path = scratch.appendingPathComponent("\(component)-\(UUID().uuidString).safetensors").path
        try SafeTensors.write(tensors, to: path)
        try self.init(files: [SafeTensorsFile(path: path)], component: component)
    }

    private init(files: [SafeTensorsFile], component: String) throws {
        self.component = component
        self.files = files
        var location: [String: Int] = [:]
        for (i, f) in files.enumerated() { for n in f.names { location[n] = i } }
        self.location = location
    }

    public var keys: [String] { location.keys.sorted() }

    public func entry(_ key: String) -> SafeTensorsFile.Entry? {
        location[key].flatMap { files[$0].entries[key] }
    }

    public func file(of key: String) -> String? { location[key].map { files[$0].path } }

    public func tensor(_ key: String) throws -> Tensor {
        guard let i = location[key] else {
            throw ModelError.weights(component: component, problems: ["missing key '\(key)'"])
        }
        return try files[i].tensor(key)
    }
}

/// Reads a component's parameters by key with the expected shape, collecting every problem (missing keys,
/// wrong shapes) so that one error lists them all; `finish()` also reports keys nobody asked for.
/// Model code names each checkpoint key once, where it builds its layers; forward code never sees keys.
public final class ParameterReader {
    private let store: WeightStore
    private var used: Set<String> = []
    private var problems: [String] = []
    private let prefix: String
    /// Storage dtype to convert weights to at load (nil keeps what is on disk, memory-mapped).
    public let dtype: DType?
    /// LoRA changes merged into matching parameters as they load (root reader only).
    private let patches: WeightPatches?

    public init(_ store: WeightStore, dtype: DType? = nil, patches: WeightPatches? = nil) {
        self.store = store
        self.prefix = ""
        self.dtype = dtype
        self.patches = patches
    }

    private init(parent: ParameterReader, prefix: String) {
        self.store = parent.store
        self.prefix = prefix
        self.dtype = parent.dtype
        self.patches = nil
        self.parentRef = parent
    }

    private var parentRef: ParameterReader?
    private var root: ParameterReader { parentRef?.root ?? self }

    /// A reader whose keys are relative to `name.` .
    public func scope(_ name: String) -> ParameterReader {
        ParameterReader(parent: root, prefix: prefix + name + ".")
    }

    /// The tensor at `key` (relative to this scope), which must have `shape`.
    public func callAsFunction(_ key: String, shape: [Int]) -> Tensor {
        let full = prefix + key
        let r = root
        r.used.insert(full)
        guard let entry = store.entry(full) else {
            r.problems.append("missing key '\(full)' (expected shape \(shape)) in \(store.component)")
            return Tensor(zeros: shape)
        }
        guard entry.shape == shape else {
            r.problems.append("key '\(full)' in \(store.file(of: full) ?? store.component) has shape \(entry.shape), expected \(shape)")
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
            r.problems.append("\(error)")
            return Tensor(zeros: shape)
        }
    }

    /// Throws `ModelError.weights` listing every missing, mis-shaped and unexpected key.
    public func finish(ignoringUnexpected ignored: (String) -> Bool = { _ in false }) throws {
        let r = root
        let unexpected = store.keys.filter { !r.used.contains($0) && !ignored($0) }
        let all = r.problems + (r.patches?.unmatched ?? []) + unexpected.map { "unexpected key '\($0)' in \(store.file(of: $0) ?? store.component)" }
        if !all.isEmpty { throw ModelError.weights(component: store.component, problems: all) }
    }
}
