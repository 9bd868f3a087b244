import Foundation
import KinoTensor

/// Paths of the golden fixtures made by Tooling/make_goldens.py (CI only reads them).
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
    static let wan = root.appendingPathComponent("wan")
    static let tinyPipeline = wan.appendingPathComponent("tiny-pipeline")

    static func json(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: wan.appendingPathComponent(name))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    static func tensors(_ name: String) throws -> SafeTensorsFile {
        try SafeTensorsFile(path: wan.appendingPathComponent(name).path)
    }
}
