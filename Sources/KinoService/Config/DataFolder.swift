import Foundation

/// The folder that holds Kino's database and outputs: `--data`, else `$KINO_DATA`, else `~/.local/share/kino`.
public struct DataFolder: Sendable {
    public let url: URL

    public init(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let explicit, !explicit.isEmpty {
            url = URL(fileURLWithPath: (explicit as NSString).expandingTildeInPath, isDirectory: true)
        } else if let env = environment["KINO_DATA"], !env.isEmpty {
            url = URL(fileURLWithPath: (env as NSString).expandingTildeInPath, isDirectory: true)
        } else {
            let home = environment["HOME"].map { URL(fileURLWithPath: $0, isDirectory: true) }
                ?? FileManager.default.homeDirectoryForCurrentUser
            url = home.appendingPathComponent(".local/share/kino", isDirectory: true)
        }
    }

    public var databasePath: String { url.appendingPathComponent("kino.sqlite").path }
    public var videosFolder: URL { url.appendingPathComponent("videos", isDirectory: true) }

    /// Creates the folder if needed, then opens (and migrates) the database.
    public func openStore() throws -> SQLiteStore {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw KinoServiceError.storage("Cannot create the data folder \(url.path): \(error.localizedDescription). Pass --data DIR or set KINO_DATA.")
        }
        return try SQLiteStore(path: databasePath)
    }
}
