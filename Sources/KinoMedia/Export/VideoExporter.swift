import Foundation

/// Everything `VideoExporter` needs to turn generated frames into the files a person receives.
public struct ExportOptions: Sendable, Hashable {
    /// Output size (the API's `size`, e.g. 720x1280). `nil` keeps the generation size.
    public var width: Int?
    public var height: Int?
    public var aspect: AspectPolicy
    /// The visible mark. Set to `nil` only for keys that hold the `watermark-free` scope.
    public var watermark: VisibleWatermark?
    public var encoding: MP4EncodeOptions
    /// Also write the `thumbnail` variant (WebP) here.
    public var thumbnailURL: URL?
    /// Also write the `spritesheet` variant (JPEG grid) here.
    public var spritesheetURL: URL?
    public var spritesheet: SpritesheetOptions

    public init(width: Int? = nil, height: Int? = nil, aspect: AspectPolicy = .cropToFill,
                watermark: VisibleWatermark? = VisibleWatermark(), encoding: MP4EncodeOptions = MP4EncodeOptions(),
                thumbnailURL: URL? = nil, spritesheetURL: URL? = nil,
                spritesheet: SpritesheetOptions = SpritesheetOptions()) {
        self.width = width
        self.height = height
        self.aspect = aspect
        self.watermark = watermark
        self.encoding = encoding
        self.thumbnailURL = thumbnailURL
        self.spritesheetURL = spritesheetURL
        self.spritesheet = spritesheet
    }
}

/// What `VideoExporter.export` wrote.
public struct ExportResult: Sendable, Hashable {
    public var videoURL: URL
    public var thumbnailURL: URL?
    public var spritesheetURL: URL?
    public var width: Int
    public var height: Int
    public var frameCount: Int
    public var frameRate: FrameRate
    public var durationSeconds: Double
}

/// The media stage of the pipeline: resize to the requested size, draw the visible watermark, encode the
/// H.264 MP4, then the thumbnail and spritesheet variants (made from the same watermarked frames).
public enum VideoExporter {
    /// Resize then watermark; the frames that go into every output file. Callers that add another stage
    /// (the invisible watermark) run it on this result and then call `write`.
    public static func prepare(_ frames: VideoFrames, options: ExportOptions) throws -> VideoFrames {
        var out = frames
        if let w = options.width, let h = options.height {
            let even = MP4Encoder.encodedSize(width: w, height: h)
            out = try Resizer.resize(out, width: even.width, height: even.height, policy: options.aspect)
        } else if options.width != nil || options.height != nil {
            throw MediaError.invalidArgument("give both width and height, or neither")
        }
        options.watermark?.apply(to: &out)
        return out
    }

    /// Encodes already prepared frames to `url` and writes the variants asked for; `isCancelled` stops the
    /// encoder (see `MP4Encoder.encode`).
    public static func write(_ prepared: VideoFrames, to url: URL, options: ExportOptions,
                             isCancelled: () -> Bool = { false }) throws -> ExportResult {
        try MP4Encoder.encode(prepared, to: url, options: options.encoding, isCancelled: isCancelled)
        if let thumb = options.thumbnailURL {
            try StillEncoder.writeThumbnail(prepared, to: thumb)
        }
        if let sheet = options.spritesheetURL {
            try StillEncoder.writeSpritesheet(prepared, to: sheet, options: options.spritesheet)
        }
        let size = MP4Encoder.encodedSize(width: prepared.width, height: prepared.height)
        return ExportResult(videoURL: url, thumbnailURL: options.thumbnailURL, spritesheetURL: options.spritesheetURL,
                            width: size.width, height: size.height, frameCount: prepared.frameCount,
                            frameRate: prepared.frameRate, durationSeconds: prepared.durationSeconds)
    }

    /// `prepare` then `write`. Blocking; see the async overload.
    public static func export(_ frames: VideoFrames, to url: URL, options: ExportOptions) throws -> ExportResult {
        try write(try prepare(frames, options: options), to: url, options: options)
    }

    /// Async form of `export`, run on a dedicated thread (never the cooperative pool).
    public static func export(_ frames: VideoFrames, to url: URL, options: ExportOptions) async throws -> ExportResult {
        try await offPool { try export(frames, to: url, options: options) }
    }
}
