import Foundation

/// What ffprobe says about a media file's first video stream and its container.
public struct ProbeInfo: Sendable, Equatable {
    /// Container names as ffprobe lists them, e.g. `["mov", "mp4", "m4a", "3gp", "3g2", "mj2"]`.
    public var formatNames: [String]
    /// e.g. `h264`, `png`, `mjpeg`, `webp`, `vp9`.
    public var codecName: String
    /// e.g. `yuv420p`.
    public var pixelFormat: String?
    public var width: Int
    public var height: Int
    /// The stream's average frame rate, when it has one.
    public var frameRate: FrameRate?
    /// Frames in the stream: counted by decoding when `countFrames` was set, else the container's claim.
    public var frameCount: Int?
    /// Duration in seconds (the stream's, else the container's).
    public var durationSeconds: Double?
    public var colorSpace: String?
    public var colorPrimaries: String?
    public var colorTransfer: String?
    public var colorRange: String?
}

/// ffprobe, parsed.
public enum MediaProbe {
    /// Probes `url`. With `countFrames` ffprobe decodes the whole stream to count frames (exact, slower).
    /// Throws `MediaError.toolFailed` when ffprobe cannot read the file, `inputUnsupported` when it has
    /// no video or picture stream, and `inputCorrupt` when that stream's size cannot be read.
    public static func probe(_ url: URL, countFrames: Bool = false, timeoutSeconds: Double = 30) throws -> ProbeInfo {
        var args = ["-v", "error", "-hide_banner", "-of", "json", "-show_format", "-show_streams",
                    "-select_streams", "v:0"]
        if countFrames { args.append("-count_frames") }
        args += ["-i", url.path]
        let output = try ToolRunner.run(.ffprobe, arguments: args, timeoutSeconds: timeoutSeconds,
                                        stdoutLimit: 1 << 20)
        let parsed: ProbeJSON
        do {
            parsed = try JSONDecoder().decode(ProbeJSON.self, from: Data(output.stdout))
        } catch {
            throw MediaError.inputCorrupt(path: url.path, detail: "ffprobe printed output Kino cannot read: \(error)")
        }
        guard let stream = parsed.streams?.first, let codec = stream.codec_name else {
            throw MediaError.inputUnsupported(path: url.path, detail: "no video or picture stream found")
        }
        guard let width = stream.width, let height = stream.height, width > 0, height > 0 else {
            let why = output.stderrTail.isEmpty ? "" : ": \(output.stderrTail)"
            throw MediaError.inputCorrupt(path: url.path, detail: "the \(codec) stream's picture size is unreadable\(why)")
        }
        let rate = parseRate(stream.avg_frame_rate) ?? parseRate(stream.r_frame_rate)
        let frames = Int(stream.nb_read_frames ?? "") ?? Int(stream.nb_frames ?? "")
        let duration = Double(stream.duration ?? "") ?? Double(parsed.format?.duration ?? "")
        return ProbeInfo(
            formatNames: (parsed.format?.format_name ?? "").split(separator: ",").map(String.init),
            codecName: codec, pixelFormat: stream.pix_fmt, width: width, height: height,
            frameRate: rate, frameCount: frames, durationSeconds: duration,
            colorSpace: stream.color_space, colorPrimaries: stream.color_primaries,
            colorTransfer: stream.color_transfer, colorRange: stream.color_range)
    }

    /// Async form of `probe`, run on a dedicated thread.
    public static func probe(_ url: URL, countFrames: Bool = false, timeoutSeconds: Double = 30) async throws -> ProbeInfo {
        try await offPool { try probe(url, countFrames: countFrames, timeoutSeconds: timeoutSeconds) }
    }

    static func parseRate(_ text: String?) -> FrameRate? {
        guard let text else { return nil }
        let parts = text.split(separator: "/")
        guard parts.count == 2, let n = Int(parts[0]), let d = Int(parts[1]), n > 0, d > 0 else { return nil }
        return FrameRate(n, d)
    }
}

/// The slice of ffprobe's JSON that Kino reads (ffprobe writes most numbers as strings).
private struct ProbeJSON: Decodable {
    struct Stream: Decodable {
        var codec_name: String?
        var pix_fmt: String?
        var width: Int?
        var height: Int?
        var avg_frame_rate: String?
        var r_frame_rate: String?
        var nb_frames: String?
        var nb_read_frames: String?
        var duration: String?
        var color_space: String?
        var color_primaries: String?
        var color_transfer: String?
        var color_range: String?
    }
    struct Format: Decodable {
        var format_name: String?
        var duration: String?
    }
    var streams: [Stream]?
    var format: Format?
}
