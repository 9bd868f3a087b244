import Foundation
import KinoTensor

/// Paths of the fixtures under `Tests/Fixtures` (goldens made by Tooling/make_goldens.py; CI only reads them),
/// located from this source file so tests need no bundled resources.
public enum Fixtures {
    public static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()   // KinoTestSupport
        .deletingLastPathComponent()   // Tests
        .appendingPathComponent("Fixtures")
    public static let wan = root.appendingPathComponent("wan")
    public static let tinyPipeline = wan.appendingPathComponent("tiny-pipeline")
    public static let tokenizer = tinyPipeline.appendingPathComponent("tokenizer")
    /// Wan 2.2 TI2V goldens (Tooling/make_ti2v_goldens.py) and their tiny model folder.
    public static let ti2v = root.appendingPathComponent("ti2v")
    public static let tinyTI2V = ti2v.appendingPathComponent("tiny-ti2v")

    public static func json(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: wan.appendingPathComponent(name))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    public static func tensors(_ name: String) throws -> SafeTensorsFile {
        try SafeTensorsFile(path: wan.appendingPathComponent(name).path)
    }

    /// A scratch copy of a fixture folder that a test may break.
    public static func scratchCopy(of folder: URL) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kino-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: folder, to: dir)
        return dir
    }
}
