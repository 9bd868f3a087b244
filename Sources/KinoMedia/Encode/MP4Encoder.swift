import Foundation

/// Settings for `MP4Encoder`.
public struct MP4EncodeOptions: Sendable, Hashable {
    /// x264 constant rate factor: 0 = lossless, 51 = worst; 18 is visually near-transparent.
    public var crf: Int
    /// x264 preset (speed / size trade-off): `ultrafast` ... `veryslow`.
    public var preset: String
    /// Kill ffmpeg if it runs longer than this.
    public var timeoutSeconds: Double

    public static let defaultCRF = 18

    public init(crf: Int = MP4EncodeOptions.defaultCRF, preset: String = "medium", timeoutSeconds: Double = 600) {
        self.crf = crf
        self.preset = preset
        self.timeoutSeconds = timeoutSeconds
    }
}

/// Writes `VideoFrames` as an H.264 MP4 with Debian's ffmpeg (libx264).
///
/// The file is H.264 (High profile), yuv420p, limited range, converted from RGB with the BT.709 matrix and
/// tagged BT.709 (colour space, primaries and transfer), with the `moov` box first (`+faststart`) so browsers
/// can start playing before the download ends. It holds exactly `frames.frameCount` frames at exactly
/// `frames.frameRate`, so it lasts frames / fps. There is no audio track.
///
/// Raw `rgb24` frames are streamed into ffmpeg's stdin from a dedicated thread; no image files are written.
/// yuv420p needs even sides: an odd width or height loses its last column or row (see `encodedSize`).
public enum MP4Encoder {
    /// The size the MP4 will have for frames of `width x height` (odd sides rounded down to even).
    public static func encodedSize(width: Int, height: Int) -> (width: Int, height: Int) {
        (max(2, width & ~1), max(2, height & ~1))
    }

    /// Encodes `frames` to `url` (overwriting it). Blocks until ffmpeg finishes: call it from a thread that
    /// may block, or use the async overload. Throws `MediaError.toolNotFound` without ffmpeg and
    /// `MediaError.toolFailed` (with ffmpeg's stderr) when it fails, and `CancellationError` (ffmpeg stopped
    /// within 0.1 s) once `isCancelled` returns true.
    public static func encode(_ frames: VideoFrames, to url: URL, options: MP4EncodeOptions = MP4EncodeOptions(),
                              isCancelled: () -> Bool = { false }) throws {
        guard frames.frameCount > 0 else { throw MediaError.invalidArgument("cannot encode a clip with no frames") }
        guard frames.width >= 2, frames.height >= 2 else {
            throw MediaError.invalidArgument("H.264 needs frames of at least 2x2, got \(frames.width)x\(frames.height)")
        }
        guard (0...51).contains(options.crf) else {
            throw MediaError.invalidArgument("CRF must be in 0...51, got \(options.crf)")
        }
        let presets = ["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"]
        guard presets.contains(options.preset) else {
            throw MediaError.invalidArgument("unknown x264 preset \(options.preset); use one of \(presets)")
        }
        let (w, h) = encodedSize(width: frames.width, height: frames.height)
        var filters = [String]()
        if w != frames.width || h != frames.height { filters.append("crop=\(w):\(h):0:0") }
        // RGB -> Y'CbCr with the BT.709 matrix into limited range; the tags below say the same thing.
        filters.append("scale=out_color_matrix=bt709:out_range=tv:flags=accurate_rnd+full_chroma_int")
        filters.append("format=yuv420p")
        let args = [
            "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "\(frames.width)x\(frames.height)",
            "-framerate", frames.frameRate.ffmpegValue, "-i", "pipe:0",
            "-an", "-vf", filters.joined(separator: ","),
            "-c:v", "libx264", "-preset", options.preset, "-crf", String(options.crf),
            "-profile:v", "high", "-pix_fmt", "yuv420p",
            "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv",
            "-frames:v", String(frames.frameCount), "-fps_mode", "passthrough",
            "-movflags", "+faststart", "-f", "mp4", url.path,
        ]
        _ = try ToolRunner.run(.ffmpeg, arguments: args, timeoutSeconds: options.timeoutSeconds, isCancelled: isCancelled) { write in
            frames.pixels.withUnsafeBytes { all in
                let frameBytes = frames.frameByteCount
                for f in 0..<frames.frameCount {
                    let slice = UnsafeRawBufferPointer(rebasing: all[f * frameBytes..<(f + 1) * frameBytes])
                    if !write(slice) { return }  // ffmpeg stopped reading; its stderr says why
                }
            }
        }
    }

    /// Async form of `encode`: runs on a dedicated thread, never on the cooperative pool.
    public static func encode(_ frames: VideoFrames, to url: URL,
                              options: MP4EncodeOptions = MP4EncodeOptions()) async throws {
        try await offPool { try encode(frames, to: url, options: options) }
    }
}
