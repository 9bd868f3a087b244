import Foundation
import KinoModels

/// Finds model folders by name or path.
///
/// A name is looked up, in order, in `$KINO_MODELS`, `<data>/models`, and the `models/` folder shipped with
/// Kino (found beside the executable or in the current directory's checkout). A path is used as it is.
public struct ModelLocator: Sendable {
    public static let defaultModel = "kino-tiny"
    public let searchPaths: [URL]

    public init(dataDirectory: URL? = nil, environment: [String: String] = ProcessInfo.processInfo.environment,
                executable: URL = URL(fileURLWithPath: CommandLine.arguments.first ?? ".")) {
        var paths: [URL] = []
        if let env = environment["KINO_MODELS"], !env.isEmpty {
            paths += env.split(separator: ":").map { URL(fileURLWithPath: String($0)) }
        }
        if let dataDirectory { paths.append(dataDirectory.appendingPathComponent("models")) }
        // The checkout that built this executable: walk up from .build/<config>/kino to a folder holding models/.
        var dir = executable.resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = dir.appendingPathComponent("models")
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent(Self.defaultModel).path) {
                paths.append(candidate)
                break
            }
            dir = dir.deletingLastPathComponent()
        }
        paths.append(URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("models"))
        var seen = Set<String>()
        searchPaths = paths.filter { seen.insert($0.standardizedFileURL.path).inserted }
    }

    /// The folder for `nameOrPath`, or an error listing where Kino looked.
    public func resolve(_ nameOrPath: String?) throws -> URL {
        let name = nameOrPath ?? Self.defaultModel
        let fm = FileManager.default
        if name.contains("/") || name.hasPrefix(".") || fm.fileExists(atPath: name) {
            let url = URL(fileURLWithPath: name)
            guard fm.fileExists(atPath: url.appendingPathComponent("model_index.json").path) else {
                throw ModelError.missingFile(path: url.appendingPathComponent("model_index.json").path,
                                             hint: "\(name) is not a diffusers model folder (model_index.json, transformer/, vae/, text_encoder/, tokenizer/, scheduler/)")
            }
            return url
        }
        for base in searchPaths {
            let url = base.appendingPathComponent(name)
            if fm.fileExists(atPath: url.appendingPathComponent("model_index.json").path) { return url }
        }
        let known = available().map(\.name)
        throw ModelError.missingFile(path: name, hint: "no model named '\(name)' in \(searchPaths.map(\.path).joined(separator: ", "))"
                                     + (known.isEmpty ? "" : "; available: \(known.joined(separator: ", "))")
                                     + ". Pass a diffusers folder path, or put the folder in one of those places.")
    }

    /// Every model folder in the search paths (first occurrence of each name).
    public func available() -> [(name: String, folder: URL, defaults: ModelDefaults?)] {
        var out: [(String, URL, ModelDefaults?)] = []
        var names = Set<String>()
        for base in searchPaths {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: base.path)) ?? []
            for entry in entries.sorted() where !names.contains(entry) {
                let folder = base.appendingPathComponent(entry)
                guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("model_index.json").path) else { continue }
                names.insert(entry)
                out.append((entry, folder, try? ModelDefaults.load(from: folder)))
            }
        }
        return out
    }
}
