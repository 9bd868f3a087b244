import Foundation
import KinoTensor

/// Hands a model the tensors it asks for, by checkpoint key and expected shape, and checks the whole
/// checkpoint at the end: every key the model asked for must exist with that shape, and no key may be left
/// over. Problems are collected (not thrown one at a time) so one error lists everything that is wrong.
///
/// Weights come back as contiguous f32: an f32 file is used in place through its memory map; f16/bf16 files
/// are converted once here, so kernels never convert the same weight again per call.
final class WeightLoader {
    /// The file named in errors: the safetensors file, or the shard index for sharded checkpoints.
    let file: String
    private enum Source {
        case file(SafeTensorsFile)
        case memory(Tensor)
    }

    private var tensors: [String: Source]
    private var shapes: [String: [Int]]
    private var used: Set<String> = []
    private var readError: TensorError?
    private let recordOnly: Bool
    private(set) var problems: [WeightProblem] = []
    /// Every (key, shape) the model asked for, in order.
    private(set) var requested: [(key: String, shape: [Int])] = []

    /// Opens `<directory>/<baseName>.safetensors`, or the shards listed in `<baseName>.safetensors.index.json`.
    init(directory: String, baseName: String = "diffusion_pytorch_model") throws(ModelError) {
        let single = (directory as NSString).appendingPathComponent("\(baseName).safetensors")
        let index = single + ".index.json"
        let fm = FileManager.default
        var files: [SafeTensorsFile] = []
        do {
            if fm.fileExists(atPath: single) {
                file = single
                files = [try SafeTensorsFile(path: single)]
            } else if fm.fileExists(atPath: index) {
                file = index
                for shard in try WeightLoader.shardNames(index: index) {
                    let path = (directory as NSString).appendingPathComponent(shard)
                    guard fm.fileExists(atPath: path) else {
                        throw ModelError.missingFile(path: path, hint: "\(index) lists this shard; download it next to the index.")
                    }
                    files.append(try SafeTensorsFile(path: path))
                }
            } else {
                throw ModelError.missingFile(
                    path: single, hint: "Expected the weights as \(baseName).safetensors (or a sharded \(baseName).safetensors.index.json) in \(directory).")
            }
        } catch let error as TensorError {
            throw .unreadableWeights(error)
        } catch let error as ModelError {
            throw error
        } catch {
            throw .unreadableWeights(.io(path: directory, message: "\(error)"))
        }
        tensors = [:]
        shapes = [:]
        recordOnly = false
        for f in files {
            for (name, entry) in f.entries {
                shapes[name] = entry.shape
                tensors[name] = .file(f)
            }
        }
    }

    /// Serves tensors held in memory; `name` stands for the file in errors.
    init(tensors dictionary: [String: Tensor], name: String) {
        file = name
        tensors = dictionary.mapValues { Source.memory($0) }
        shapes = dictionary.mapValues(\.shape)
        recordOnly = false
    }

    /// Serves zeros of every requested shape and records the requests (to list a model's checkpoint keys).
    init(recordingFor name: String) {
        file = name
        tensors = [:]
        shapes = [:]
        recordOnly = true
    }

    /// The tensor stored under `key`, as contiguous f32. When it is missing or misshapen the problem is
    /// recorded and zeros of `shape` stand in, so that construction can go on and report every problem.
    func take(_ key: String, shape: [Int]) -> Tensor {
        requested.append((key, shape))
        if recordOnly { return Tensor(zeros: shape) }
        guard let found = shapes[key], let source = tensors[key] else {
            problems.append(.missing(key: key, expectedShape: shape))
            return Tensor(zeros: shape)
        }
        used.insert(key)
        guard found == shape else {
            problems.append(.wrongShape(key: key, expected: shape, found: found))
            return Tensor(zeros: shape)
        }
        switch source {
        case .memory(let tensor):
            return tensor.toF32()
        case .file(let file):
            do {
                return try file.tensor(key).toF32()
            } catch {
                readError = readError ?? error
                return Tensor(zeros: shape)
            }
        }
    }

    /// Throws when any requested key was missing or misshapen, or a stored key was never requested.
    func finish() throws(ModelError) {
        if let readError { throw .unreadableWeights(readError) }
        let leftovers = Set(shapes.keys).subtracting(used).sorted()
        let all = problems + leftovers.map { WeightProblem.unexpected(key: $0, shape: shapes[$0] ?? []) }
        if !all.isEmpty { throw .weightMismatch(file: file, problems: all) }
    }

    private static func shardNames(index: String) throws -> [String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: index))
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let map = root["weight_map"] as? [String: String] else {
            throw ModelError.invalidConfig(path: index, message: "no \"weight_map\" object mapping tensor names to shard files")
        }
        return Set(map.values).sorted()
    }
}
