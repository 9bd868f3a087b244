import Foundation
import KinoMedia

/// One render request, as the engine sees it. Built by the worker from a claimed job.
public struct RenderJob: Sendable, Equatable {
    public var videoID: String
    /// The Kino model to run (after alias mapping), e.g. `kino-tiny`.
    public var model: String
    public var prompt: String
    public var negativePrompt: String?
    public var width: Int
    public var height: Int
    public var seconds: Int
    public var seed: UInt32
    /// nil: the model's default.
    public var steps: Int?
    /// nil: the model's default.
    public var guidance: Double?
    public var style: String?
    /// Turbo mode (the model's short schedule plus step caching).
    public var turbo = false
    /// Remix: the source's clean latents (`latents.safetensors`) and how far to re-noise them (0 keeps the
    /// source, 1 ignores it).
    public var remix: RemixSource?
    /// false only for keys with the `watermark-free` scope.
    public var watermark: Bool
    /// Serial of the key that asked (0 = none), for the invisible watermark (issue 8).
    public var keySerial: Int64
    /// Serial of this video (the job's row number), for the invisible watermark (issue 8).
    public var videoSerial: Int64

    public init(
        videoID: String, model: String, prompt: String, negativePrompt: String?, width: Int, height: Int, seconds: Int,
        seed: UInt32, steps: Int?, guidance: Double?, style: String?, remix: RemixSource?, watermark: Bool,
        keySerial: Int64, videoSerial: Int64
    ) {
        self.videoID = videoID
        self.model = model
        self.prompt = prompt
        self.negativePrompt = negativePrompt
        self.width = width
        self.height = height
        self.seconds = seconds
        self.seed = seed
        self.steps = steps
        self.guidance = guidance
        self.style = style
        self.remix = remix
        self.watermark = watermark
        self.keySerial = keySerial
        self.videoSerial = videoSerial
    }
}

extension RenderJob {
    /// The invisible watermark's payload: the key's serial and the video's serial (its row number, `seq`).
    /// Both are stored as 64-bit integers; the watermark has room for 32 bits each, so serials past 2^32 - 1
    /// (four billion keys or videos in one data folder) would wrap.
    public var watermarkPayload: WatermarkPayload {
        WatermarkPayload(keySerial: UInt32(truncatingIfNeeded: keySerial),
                         videoSerial: UInt32(truncatingIfNeeded: videoSerial))
    }
}

public struct RemixSource: Sendable, Equatable {
    public var videoID: String
    public var latentsFile: URL
    public var strength: Double

    public init(videoID: String, latentsFile: URL, strength: Double) {
        self.videoID = videoID
        self.latentsFile = latentsFile
        self.strength = strength
    }
}

/// What a finished render left in its output folder.
public struct RenderResult: Sendable, Equatable {
    /// Whether `latents.safetensors` was written (needed to remix this video later).
    public var wroteLatents: Bool

    public init(wroteLatents: Bool) {
        self.wroteLatents = wroteLatents
    }
}

/// Thrown by a renderer when `isCancelled()` turned true.
public struct RenderCancelled: Error, Sendable {
    public init() {}
}

/// The file names a renderer writes into its output folder.
public enum RenderOutput {
    public static let video = "video.mp4"
    public static let thumbnail = "thumbnail.webp"
    public static let spritesheet = "spritesheet.jpg"
    public static let latents = "latents.safetensors"
}

/// The seam between the service and the generation engine (KinoPipeline + KinoMedia).
///
/// `render` is called on a dedicated worker thread, never on Swift's cooperative pool, and may block for minutes.
/// It writes `video.mp4`, `thumbnail.webp` and `spritesheet.jpg` (and `latents.safetensors` when the model can
/// remix) into `outputDirectory`, which exists and is empty. It calls `progress` with values in 0...1 as it goes
/// and checks `isCancelled` between steps, throwing `RenderCancelled` when it returns true. Any other error fails
/// the job with its description as the message (so write messages a user can act on).
public protocol VideoRenderer: Sendable {
    /// The model names this renderer can run (`kino-tiny`, `wan2.1-t2v-1.3b`, ...).
    var models: [String] { get }
    /// Whether `render` honours `RenderJob.remix`.
    var supportsRemix: Bool { get }

    func render(
        _ job: RenderJob,
        into outputDirectory: URL,
        progress: @Sendable (Double) -> Void,
        isCancelled: @Sendable () -> Bool
    ) throws -> RenderResult
}
