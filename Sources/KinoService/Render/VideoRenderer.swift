import Foundation

/// One render request, as the engine sees it: the claimed job (every field the client set) plus what the worker
/// resolved for it (where a remix's source latents are). Built by the worker from a claimed job.
public struct RenderJob: Sendable, Equatable {
    public var job: VideoJob
    /// Remix: the source's clean latents (`latents.safetensors`) and how far to re-noise them (0 keeps the
    /// source, 1 ignores it).
    public var remix: RemixSource?
    /// Image-to-video: the stored input picture the clip starts from.
    public var inputImage: URL?
    /// Extensions and edits: the stored source video (`job.sourceKind` says which; an edit's strength is
    /// `job.remixStrength`, an extension adds `job.chargedSeconds`).
    public var sourceVideo: URL?
    /// A by-id extension's source latents, when the source kept them: its frames as rendered, before its marks,
    /// so the new video's marks are the only ones.
    public var sourceLatents: URL?

    public init(job: VideoJob, remix: RemixSource? = nil, inputImage: URL? = nil, sourceVideo: URL? = nil, sourceLatents: URL? = nil) {
        self.job = job
        self.remix = remix
        self.inputImage = inputImage
        self.sourceVideo = sourceVideo
        self.sourceLatents = sourceLatents
    }

    /// The serials the invisible watermark carries: the key's and this video's (its row number, `seq`). Both are
    /// stored as 64-bit integers; the watermark has room for 32 bits each, so serials past 2^32 - 1 (four billion
    /// keys or videos in one data folder) would wrap.
    public var watermarkSerials: (key: UInt32, video: UInt32) {
        (UInt32(truncatingIfNeeded: job.keySerial), UInt32(truncatingIfNeeded: job.seq))
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

/// An uploaded source video as the renderer read it when the request arrived.
public struct SourceVideoFacts: Sendable, Equatable {
    /// The extension to store it under (`mp4`, `mov`, `webm`).
    public var fileExtension: String
    public var size: VideoSize
    public var seconds: Double
    /// A still of its middle frame (WebP), which a character's clips start from.
    public var still: [UInt8]?

    public init(fileExtension: String, size: VideoSize, seconds: Double, still: [UInt8]? = nil) {
        self.fileExtension = fileExtension
        self.size = size
        self.seconds = seconds
        self.still = still
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

/// The seam between the service and the generation engine (`kino` wires KinoRender's `ClipRenderer` in; the
/// service itself imports no ML or media code).
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
    /// The style presets `render` applies (the API accepts exactly these names).
    var styles: [String] { get }
    /// The recipes of the model's kino.json (`turbo` always), which the API's `recipe` field accepts.
    var recipes: [String] { get }
    /// The step-cache methods the model can run (`cache` field; TeaCache and MagCache need a fitting model).
    var caches: [String] { get }
    /// Whether `render` can start a clip from a picture (`RenderJob.inputImage`, the API's `input_reference`).
    var acceptsImages: Bool { get }

    /// Checks an uploaded picture when the request arrives, so a file the engine cannot read is a 400 then rather
    /// than a failed job later; returns the file extension to store it under (`png`, `jpg`, `webp`). Throws an
    /// error whose description tells the client what is wrong with the file.
    func checkImage(_ bytes: [UInt8]) throws -> String

    /// Whether `render` honours `RenderJob.sourceVideo` (edits; extensions also need `acceptsImages`).
    var acceptsVideos: Bool { get }

    /// Checks an uploaded source video (MP4, MOV or WebM) when the request arrives, like `checkImage`.
    func checkVideo(_ bytes: [UInt8]) throws -> SourceVideoFacts

    /// The words the served model knows, by kind, when its folder declares them (kino.json `vocabulary`).
    var vocabulary: ModelWords? { get }
    /// Whether renders report preview pictures while denoising (the model has a fitted preview map).
    var previews: Bool { get }

    /// The C2PA state of a finished file in words for a public page (`trusted: made by kino-tiny, AI-generated`);
    /// nil when the renderer cannot tell.
    func contentCredentials(of file: URL) -> String?

    func render(
        _ job: RenderJob,
        into outputDirectory: URL,
        progress: @Sendable (RenderProgress) -> Void,
        isCancelled: @Sendable () -> Bool
    ) throws -> RenderResult
}

/// Where a render is: the whole render's fraction (0...1, only grows), the phase in a word the API shows
/// (`encoding_text`, `denoising`, `decoding`, `watermarking`, `encoding_video`, `signing`), and a detail such as
/// `step 3/20`.
public struct RenderProgress: Sendable, Equatable {
    public var fraction: Double
    public var phase: String?
    public var detail: String?
    /// While denoising, now and then: a low-resolution picture of where the clip is going.
    public var preview: RenderPreview?

    public init(_ fraction: Double, phase: String? = nil, detail: String? = nil) {
        self.fraction = fraction
        self.phase = phase
        self.detail = detail
    }

    /// `phase` and `detail` as one column: `denoising: step 3/20`.
    var stored: String? { phase.map { p in detail.map { d in d.isEmpty ? p : "\(p): \(d)" } ?? p } }
}

extension VideoRenderer {
    public var acceptsImages: Bool { false }
    public func checkImage(_ bytes: [UInt8]) throws -> String {
        throw KinoServiceError(.unsupported, "This server's model cannot start from an image.", param: "input_reference", code: "unsupported")
    }
    public var acceptsVideos: Bool { false }
    public func checkVideo(_ bytes: [UInt8]) throws -> SourceVideoFacts {
        throw KinoServiceError(.unsupported, "This server's model cannot start from a video.", param: "video", code: "unsupported")
    }
    public func contentCredentials(of file: URL) -> String? { nil }
    public var vocabulary: ModelWords? { nil }
    public var previews: Bool { false }
    public var recipes: [String] { ["turbo"] }
    public var caches: [String] { ServiceConfiguration.cacheNames }
}

/// A preview picture (PNG, at the latent grid's size) and the denoising step it shows, as a render reports it and
/// the store keeps it.
public struct RenderPreview: Sendable, Equatable {
    public var png: [UInt8]
    public var step: Int
    public var steps: Int

    public init(png: [UInt8], step: Int, steps: Int) {
        self.png = png
        self.step = step
        self.steps = steps
    }
}

/// A model's known words: by kind (objects, colours, motions, ...) for suggestions, and every word its captions use.
public struct ModelWords: Sendable, Equatable {
    public var kinds: [String: [String]]
    public var words: [String]

    public init(kinds: [String: [String]], words: [String]) {
        self.kinds = kinds
        self.words = words
    }
}
