import Foundation

/// Limits on what `MediaDecoder` accepts, so a hostile upload cannot exhaust memory, disk or time.
public struct DecodeLimits: Sendable, Hashable {
    /// Largest file accepted, in bytes.
    public var maxBytes: Int
    /// Largest picture accepted, in pixels (width x height).
    public var maxPixels: Int
    /// Longest side accepted, in pixels.
    public var maxSide: Int
    /// Longest video accepted, in seconds.
    public var maxSeconds: Double
    /// At most this many frames are decoded from a video (the rest are ignored).
    public var maxFrames: Int
    /// Each ffprobe / ffmpeg run is killed after this long.
    public var timeoutSeconds: Double

    public init(maxBytes: Int = 100 << 20, maxPixels: Int = 3840 * 2160, maxSide: Int = 4096,
                maxSeconds: Double = 60, maxFrames: Int = 1440, timeoutSeconds: Double = 120) {
        self.maxBytes = maxBytes
        self.maxPixels = maxPixels
        self.maxSide = maxSide
        self.maxSeconds = maxSeconds
        self.maxFrames = maxFrames
        self.timeoutSeconds = timeoutSeconds
    }
}

/// Decodes inputs for image-to-video, remix and extend into `VideoFrames` (RGB, the file's own size).
///
/// Accepted: PNG, JPEG and (still) WebP images; MP4 / MOV (H.264, HEVC, MPEG-4, AV1) and WebM / Matroska
/// (VP8, VP9, AV1) videos. Checks run cheapest first: the file's byte size, then ffprobe's report (format,
/// codec, dimensions, duration), then a full decode in which any error ffmpeg reports (a truncated or damaged
/// file) rejects the input. Every subprocess has a timeout and a cap on decoded bytes. Rotation metadata is
/// ignored (frames come out as stored). YUV is converted with the matrix the file is tagged with.
/// Blocking: call from a thread that may block, or use the async overloads.
public enum MediaDecoder {
    static let imageCodecs: Set<String> = ["png", "mjpeg", "webp"]
    static let imageFormats: Set<String> = ["png_pipe", "jpeg_pipe", "webp_pipe", "image2"]
    static let videoCodecs: Set<String> = ["h264", "hevc", "mpeg4", "av1", "vp8", "vp9"]
    static let videoFormats: Set<String> = ["mov", "mp4", "matroska", "webm"]

    /// Decodes a PNG, JPEG or WebP picture into a one-frame clip (frame rate 1).
    public static func decodeImage(at url: URL, limits: DecodeLimits = DecodeLimits()) throws -> VideoFrames {
        let info = try inspect(url, limits: limits)
        guard info.formatNames.contains(where: imageFormats.contains), imageCodecs.contains(info.codecName) else {
            throw MediaError.inputUnsupported(
                path: url.path, detail: "found \(info.codecName) in \(info.formatNames.joined(separator: ",")), "
                    + "expected a PNG, JPEG or WebP picture")
        }
        return try decodeFrames(url, info: info, maxFrames: 1, frameRate: 1, limits: limits)
    }

    /// What `checkVideo` learns of a video without keeping its frames.
    public struct VideoCheck: Sendable {
        public var info: ProbeInfo
        public var frameRate: FrameRate
        /// Frames that decoded (at most `limits.maxFrames`).
        public var frameCount: Int
        /// One frame, from `stillAt` of the way through.
        public var still: VideoFrames
        public var durationSeconds: Double { frameRate.seconds(atFrame: frameCount) }
    }

    /// Checks an MP4, MOV or WebM video as `decodeVideo` does (every frame must decode without error) but keeps
    /// only a count of its frames and one frame: memory stays at one frame whatever the video's length, so an
    /// upload can be checked when it arrives without the cost of decoding it for a render.
    public static func checkVideo(at url: URL, stillAt fraction: Double = 0.5, limits: DecodeLimits = DecodeLimits()) throws -> VideoCheck {
        let (info, rate) = try inspectVideo(url, limits: limits)
        let args = [
            "-hide_banner", "-nostdin", "-loglevel", "error", "-xerror", "-noautorotate", "-i", url.path,
            "-map", "0:v:0", "-frames:v", String(limits.maxFrames), "-fps_mode", "passthrough", "-f", "framemd5", "pipe:1",
        ]
        let output: ToolOutput
        do {
            output = try ToolRunner.run(.ffmpeg, arguments: args, timeoutSeconds: limits.timeoutSeconds, stdoutLimit: limits.maxFrames * 256 + 4096)
        } catch MediaError.toolFailed(_, _, let tail) {
            throw MediaError.inputCorrupt(path: url.path, detail: tail)
        }
        guard output.stderrTail.isEmpty else { throw MediaError.inputCorrupt(path: url.path, detail: output.stderrTail) }
        let count = output.stdout.split(separator: UInt8(ascii: "\n")).filter { $0.first != UInt8(ascii: "#") }.count
        guard count > 0 else { throw MediaError.inputCorrupt(path: url.path, detail: "no frame could be decoded") }
        if let claimed = info.frameCount, count < min(claimed, limits.maxFrames) {
            throw MediaError.inputCorrupt(path: url.path, detail: "only \(count) of \(claimed) frames could be decoded (truncated?)")
        }
        let index = min(count - 1, max(0, Int((Double(count) * fraction).rounded(.down))))
        let still = try decodeFrames(url, info: info, maxFrames: 1, frameRate: rate, limits: limits,
                                     select: "select=eq(n\\,\(index))")
        return VideoCheck(info: info, frameRate: rate, frameCount: count, still: still)
    }

    /// Decodes an MP4, MOV or WebM video, at its own frame rate, up to `limits.maxFrames` frames.
    public static func decodeVideo(at url: URL, limits: DecodeLimits = DecodeLimits()) throws -> VideoFrames {
        let (info, rate) = try inspectVideo(url, limits: limits)
        let frames = try decodeFrames(url, info: info, maxFrames: limits.maxFrames, frameRate: rate, limits: limits)
        if let claimed = info.frameCount, frames.frameCount < min(claimed, limits.maxFrames) {
            throw MediaError.inputCorrupt(
                path: url.path, detail: "only \(frames.frameCount) of \(claimed) frames could be decoded (truncated?)")
        }
        return frames
    }

    /// ffprobe's checks for a video: container and codec, a duration within the limit, a frame rate.
    static func inspectVideo(_ url: URL, limits: DecodeLimits) throws -> (ProbeInfo, FrameRate) {
        let info = try inspect(url, limits: limits)
        guard info.formatNames.contains(where: videoFormats.contains), videoCodecs.contains(info.codecName) else {
            throw MediaError.inputUnsupported(
                path: url.path, detail: "found \(info.codecName) in \(info.formatNames.joined(separator: ",")), "
                    + "expected an MP4, MOV or WebM video")
        }
        guard let seconds = info.durationSeconds, seconds.isFinite else {
            throw MediaError.inputCorrupt(path: url.path, detail: "the file does not say how long it is")
        }
        guard seconds <= limits.maxSeconds else {
            throw MediaError.inputTooLong(path: url.path, seconds: seconds, limitSeconds: limits.maxSeconds)
        }
        guard let rate = info.frameRate else {
            throw MediaError.inputCorrupt(path: url.path, detail: "the video stream has no frame rate")
        }
        return (info, rate)
    }

    /// Async forms, run on a dedicated thread.
    public static func decodeImage(at url: URL, limits: DecodeLimits = DecodeLimits()) async throws -> VideoFrames {
        try await offPool { try decodeImage(at: url, limits: limits) }
    }

    public static func decodeVideo(at url: URL, limits: DecodeLimits = DecodeLimits()) async throws -> VideoFrames {
        try await offPool { try decodeVideo(at: url, limits: limits) }
    }

    /// Byte-size checks, then ffprobe and the dimension checks.
    static func inspect(_ url: URL, limits: DecodeLimits) throws -> ProbeInfo {
        let path = url.path
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            throw MediaError.inputUnreadable(path: path, reason: "the file does not exist or cannot be opened")
        }
        guard (attributes[.type] as? FileAttributeType) == .typeRegular else {
            throw MediaError.inputUnreadable(path: path, reason: "not a regular file")
        }
        let bytes = (attributes[.size] as? NSNumber)?.intValue ?? 0
        guard bytes > 0 else { throw MediaError.inputEmpty(path: path) }
        guard bytes <= limits.maxBytes else {
            throw MediaError.inputTooLarge(path: path, bytes: bytes, limitBytes: limits.maxBytes)
        }
        let info: ProbeInfo
        do {
            info = try MediaProbe.probe(url, timeoutSeconds: limits.timeoutSeconds)
        } catch MediaError.toolFailed(_, _, let tail) {
            throw MediaError.inputCorrupt(path: path, detail: "ffprobe cannot read it: \(tail)")
        }
        guard info.width <= limits.maxSide, info.height <= limits.maxSide,
              info.width * info.height <= limits.maxPixels else {
            throw MediaError.inputDimensionsTooLarge(
                path: path, width: info.width, height: info.height,
                limit: "at most \(limits.maxPixels) pixels and \(limits.maxSide) per side")
        }
        return info
    }

    /// Decodes up to `maxFrames` frames to rgb24; any error ffmpeg reports rejects the file.
    /// `select`: a filter placed before the conversion (e.g. one frame by number).
    static func decodeFrames(_ url: URL, info: ProbeInfo, maxFrames: Int, frameRate: FrameRate,
                             limits: DecodeLimits, select: String? = nil) throws -> VideoFrames {
        let frameBytes = info.width * info.height * 3
        let filter = (select.map { [$0] } ?? []) + ["scale=flags=accurate_rnd+full_chroma_int"]
        let args = [
            "-hide_banner", "-nostdin", "-loglevel", "error", "-xerror", "-noautorotate", "-i", url.path,
            "-map", "0:v:0", "-frames:v", String(maxFrames), "-fps_mode", "passthrough",
            "-vf", filter.joined(separator: ","), "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1",
        ]
        let output: ToolOutput
        do {
            output = try ToolRunner.run(.ffmpeg, arguments: args, timeoutSeconds: limits.timeoutSeconds,
                                        stdoutLimit: maxFrames * frameBytes)
        } catch MediaError.toolFailed(_, _, let tail) {
            throw MediaError.inputCorrupt(path: url.path, detail: tail)
        } catch MediaError.toolOutputTooLarge {
            throw MediaError.inputCorrupt(path: url.path, detail: "it decodes to more pixels than its header says")
        }
        guard output.stderrTail.isEmpty else {
            throw MediaError.inputCorrupt(path: url.path, detail: output.stderrTail)
        }
        guard !output.stdout.isEmpty, output.stdout.count % frameBytes == 0 else {
            throw MediaError.inputCorrupt(
                path: url.path, detail: "decoded \(output.stdout.count) bytes, not whole \(info.width)x\(info.height) frames")
        }
        return try VideoFrames(width: info.width, height: info.height, frameRate: frameRate, pixels: output.stdout)
    }
}
