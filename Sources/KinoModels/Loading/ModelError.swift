import KinoTensor

/// One way a checkpoint can disagree with the model that reads it.
public enum WeightProblem: Sendable, Equatable, CustomStringConvertible {
    /// The model needs `key` but no weight file has it.
    case missing(key: String, expectedShape: [Int])
    /// A weight file has `key` but the model has no such parameter.
    case unexpected(key: String, shape: [Int])
    /// `key` is present with another shape than the configuration implies.
    case wrongShape(key: String, expected: [Int], found: [Int])

    public var key: String {
        switch self {
        case .missing(let key, _), .unexpected(let key, _), .wrongShape(let key, _, _): key
        }
    }

    public var description: String {
        switch self {
        case .missing(let key, let shape): "missing tensor '\(key)' (expected shape \(shape))"
        case .unexpected(let key, let shape): "unexpected tensor '\(key)' (shape \(shape)) that the model does not use"
        case .wrongShape(let key, let expected, let found): "tensor '\(key)' has shape \(found), expected \(expected)"
        }
    }
}

/// Errors from KinoModels: model folders, configurations, weights and inputs. Each names the file and key
/// involved and says what to do about it.
public enum ModelError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A file the model folder must contain is absent.
    case fileNotFound(path: String, hint: String)
    /// A configuration file could not be read, or holds values Kino does not support.
    case invalidConfiguration(path: String, message: String)
    /// The weights in `file` do not match the configuration (every problem found is listed).
    case weightMismatch(file: String, problems: [WeightProblem])
    /// A weight file is unreadable or malformed.
    case unreadableWeights(TensorError)
    /// An input tensor has the wrong shape for the model.
    case invalidInput(String)

    public var description: String {
        switch self {
        case .fileNotFound(let path, let hint):
            return "\(path): file not found. \(hint)"
        case .invalidConfiguration(let path, let message):
            return "\(path): \(message)"
        case .weightMismatch(let file, let problems):
            let shown = problems.prefix(8).map { "  - \($0)" }.joined(separator: "\n")
            let more = problems.count > 8 ? "\n  ... and \(problems.count - 8) more" : ""
            return "\(file): the weights do not match the model configuration (\(problems.count) problem(s)):\n"
                + shown + more
                + "\nCheck that config.json belongs to these weights and that the folder is a diffusers-format export."
        case .unreadableWeights(let error):
            return "\(error) (re-download or re-export the file)"
        case .invalidInput(let message):
            return "invalid input: \(message)"
        }
    }
}
