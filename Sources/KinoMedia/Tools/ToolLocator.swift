import Foundation

/// The external programs the media layer runs.
public enum MediaTool: String, Sendable, CaseIterable {
    case ffmpeg
    case ffprobe

    /// Environment variable that overrides the PATH search with a full path.
    public var environmentOverride: String {
        switch self {
        case .ffmpeg: "KINO_FFMPEG"
        case .ffprobe: "KINO_FFPROBE"
        }
    }

    /// Where the program is: `KINO_FFMPEG` / `KINO_FFPROBE` if set, else the first match on `PATH`.
    /// Throws `MediaError.toolNotFound` (whose message says how to install it) when there is none.
    public func locate(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> URL {
        let fm = FileManager.default
        if let override = environment[environmentOverride], !override.isEmpty {
            guard fm.isExecutableFile(atPath: override) else { throw MediaError.toolNotFound(tool: rawValue) }
            return URL(fileURLWithPath: override)
        }
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") where !dir.isEmpty {
            let candidate = String(dir) + "/" + rawValue
            if fm.isExecutableFile(atPath: candidate) { return URL(fileURLWithPath: candidate) }
        }
        throw MediaError.toolNotFound(tool: rawValue)
    }
}
