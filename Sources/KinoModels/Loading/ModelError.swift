import KinoTensor

/// Errors from loading and running models. Each names the file and the key so the user can fix the folder.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    case missingFile(path: String, hint: String)
    case invalidConfig(path: String, message: String)
    case invalidInput(String)
    /// The weights in `file` do not match the configuration (every problem found is listed).
    case weightMismatch(file: String, problems: [WeightProblem])
    /// A weight file is unreadable or malformed.
    case unreadableWeights(TensorError)

    public var description: String {
        switch self {
        case .missingFile(let path, let hint): "missing file \(path): \(hint)"
        case .invalidConfig(let path, let message): "\(path): \(message)"
        case .invalidInput(let message): message
        case .weightMismatch(let file, let problems):
            "\(file): the weights do not match the model configuration (\(problems.count) problem(s)):\n"
                + problems.prefix(20).map { "  - \($0)" }.joined(separator: "\n")
                + (problems.count > 20 ? "\n  ... and \(problems.count - 20) more" : "")
                + "\nCheck that config.json belongs to these weights and that the folder is a diffusers-format export."
        case .unreadableWeights(let error): "\(error) (re-download or re-export the file)"
        }
    }
}


/// One way a checkpoint can disagree with the model that reads it.
public enum WeightProblem: Sendable, Equatable, CustomStringConvertible {
    /// The model needs `key` but no weight file has it.
    case missing(key: String, expectedShape: [Int])
    /// A weight file has `key` but the model has no such parameter.
    case unexpected(key: String, shape: [Int])
    /// `key` is present with another shape than the configuration implies.
    case wrongShape(key: String, expected: [Int], found: [Int])
    /// A LoRA that does not fit the model (a key it has no parameter for, a change of the wrong shape, half a
    /// pair); the message names the file and key.
    case adapter(String)

    public var key: String {
        switch self {
        case .missing(let key, _), .unexpected(let key, _), .wrongShape(let key, _, _): key
        case .adapter(let message): message
        }
    }

    public var description: String {
        switch self {
        case .missing(let key, let shape): "missing tensor '\(key)' (expected shape \(shape))"
        case .unexpected(let key, let shape): "unexpected tensor '\(key)' (shape \(shape)) that the model does not use"
        case .wrongShape(let key, let expected, let found): "tensor '\(key)' has shape \(found), expected \(expected)"
        case .adapter(let message): message
        }
    }
}

/// Errors from KinoModels: model folders, configurations, weights and inputs. Each names the file and key
