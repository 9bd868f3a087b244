/// Errors from the tensor layer. Messages name the file, tensor and problem so a user can act on them.
public enum TensorError: Error, CustomStringConvertible, Equatable {
    case shapeMismatch(String)
    case invalidArgument(String)
    case io(path: String, message: String)
    case malformedSafetensors(path: String, tensor: String?, message: String)

    public var description: String {
        switch self {
        case .shapeMismatch(let message): "shape mismatch: \(message)"
        case .invalidArgument(let message): "invalid argument: \(message)"
        case .io(let path, let message): "\(path): \(message)"
        case .malformedSafetensors(let path, let tensor, let message):
            if let tensor { "\(path): tensor '\(tensor)': \(message)" } else { "\(path): \(message)" }
        }
    }
}
