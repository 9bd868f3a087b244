/// Element types a tensor can be stored in. Compute happens in f32.
public enum DType: String, Sendable, CaseIterable, Codable {
    case f32, f16, bf16

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .f32: 4
        case .f16, .bf16: 2
        }
    }
}
