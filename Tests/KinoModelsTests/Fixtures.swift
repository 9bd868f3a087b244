import Foundation
import KinoTensor

/// Paths of the golden fixtures made by Tooling/make_goldens.py (CI only reads them).
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
    static let wan = root.appendingPathComponent("wan")
    static let tinyPipeline = wan.appendingPathComponent("tiny-pipeline")

    static func tensors(_ name: String) throws -> SafeTensorsFile {
        try SafeTensorsFile(path: wan.appendingPathComponent(name).path)
    }

    /// A scratch copy of a fixture folder that a test may break.
    static func scratchCopy(of folder: URL) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kino-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: folder, to: dir)
        return dir
    }
}
