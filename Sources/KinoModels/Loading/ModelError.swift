/// Errors from loading and running models. Each names the file and the key so the user can fix the folder.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    case missingFile(path: String, hint: String)
    case invalidConfig(path: String, message: String)
    case weights(component: String, problems: [String])
    case invalidInput(String)
    case cancelled

    public var description: String {
        switch self {
        case .missingFile(let path, let hint): "missing file \(path): \(hint)"
        case .invalidConfig(let path, let message): "\(path): \(message)"
        case .weights(let component, let problems):
            "\(component): the weights do not match the configuration:\n  - "
                + problems.prefix(20).joined(separator: "\n  - ")
                + (problems.count > 20 ? "\n  - ... and \(problems.count - 20) more" : "")
        case .invalidInput(let message): message
        case .cancelled: "cancelled"
        }
    }
}
