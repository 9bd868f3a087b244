import Foundation

/// Everything that can go wrong in the media layer, each with a message a person can act on.
public enum MediaError: Error, Sendable, Equatable, CustomStringConvertible, LocalizedError {
    /// ffmpeg or ffprobe is not installed (or not where `KINO_FFMPEG` / `KINO_FFPROBE` point).
    case toolNotFound(tool: String)
    /// The tool ran and exited with a failure; `stderrTail` is the end of what it printed.
    case toolFailed(tool: String, exitCode: Int32, stderrTail: String)
    /// The tool ran longer than allowed and was killed.
    case toolTimedOut(tool: String, seconds: Double)
    /// The tool printed more output than the caller allowed (a decompression bomb or a wrong limit).
    case toolOutputTooLarge(tool: String, limitBytes: Int)
    /// Frames or arguments handed to the media layer do not fit together (a programming error upstream).
    case invalidArgument(String)
    /// An input file does not exist or cannot be read.
    case inputUnreadable(path: String, reason: String)
    /// An input file has zero bytes.
    case inputEmpty(path: String)
    /// An input file is larger than the byte limit.
    case inputTooLarge(path: String, bytes: Int, limitBytes: Int)
    /// An input picture or video has more pixels (or a longer side) than allowed.
    case inputDimensionsTooLarge(path: String, width: Int, height: Int, limit: String)
    /// An input video is longer than allowed.
    case inputTooLong(path: String, seconds: Double, limitSeconds: Double)
    /// An input is a format or codec Kino does not accept.
    case inputUnsupported(path: String, detail: String)
    /// An input is damaged or truncated and cannot be decoded.
    case inputCorrupt(path: String, detail: String)
    /// Writing an output file failed.
    case outputFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .toolNotFound(let tool):
            let env = tool == "ffprobe" ? "KINO_FFPROBE" : "KINO_FFMPEG"
            return "\(tool) was not found on PATH. Kino uses it to write and read video files. "
                + "Install it with `sudo apt-get install ffmpeg` (Debian/Ubuntu; `brew install ffmpeg` on macOS) "
                + "or run scripts/setup.sh, or set \(env) to the full path of the program."
        case .toolFailed(let tool, let code, let tail):
            let detail = tail.isEmpty ? "(it printed nothing on stderr)" : tail
            return "\(tool) failed with exit status \(code): \(detail)"
        case .toolTimedOut(let tool, let seconds):
            return "\(tool) did not finish within \(Self.format(seconds)) s and was stopped; "
                + "the input may be damaged, or raise the time limit for large files."
        case .toolOutputTooLarge(let tool, let limit):
            return "\(tool) produced more than \(limit) bytes of decoded data, over the limit; "
                + "the input is larger than it claims to be."
        case .invalidArgument(let message):
            return "invalid media argument: \(message)"
        case .inputUnreadable(let path, let reason):
            return "cannot read input \(path): \(reason)"
        case .inputEmpty(let path):
            return "input \(path) is empty (0 bytes); upload the file again."
        case .inputTooLarge(let path, let bytes, let limit):
            return "input \(path) is \(bytes) bytes, over the limit of \(limit) bytes; send a smaller file."
        case .inputDimensionsTooLarge(let path, let w, let h, let limit):
            return "input \(path) is \(w)x\(h) pixels, over the limit (\(limit)); scale it down first."
        case .inputTooLong(let path, let seconds, let limit):
            return "input \(path) lasts \(Self.format(seconds)) s, over the limit of \(Self.format(limit)) s; trim it first."
        case .inputUnsupported(let path, let detail):
            return "input \(path) is not a supported format (\(detail)). "
                + "Kino accepts PNG, JPEG and WebP images and MP4, MOV and WebM videos."
        case .inputCorrupt(let path, let detail):
            return "input \(path) is damaged or truncated and cannot be decoded: \(detail)"
        case .outputFailed(let path, let reason):
            return "cannot write \(path): \(reason)"
        }
    }

    public var errorDescription: String? { description }

    static func format(_ seconds: Double) -> String {
        String(format: "%.3g", seconds)
    }
}
