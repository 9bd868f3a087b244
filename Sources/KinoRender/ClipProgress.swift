/// Where a render is, for progress bars and the job's progress percentage.
public enum ClipStage: String, Sendable, Equatable {
    case loadingModel = "loading model"
    case encodingPrompt = "encoding prompt"
    case denoising
    case decoding
    case finishing = "watermarking"
    case encodingVideo = "encoding MP4"
    case signing = "signing"
}

extension ClipStage {
    /// The stage as one word for APIs (`encoding_text`, `denoising`, `encoding_video`, ...).
    public var phase: String {
        switch self {
        case .loadingModel: "loading_model"
        case .encodingPrompt: "encoding_text"
        case .denoising: "denoising"
        case .decoding: "decoding"
        case .finishing: "watermarking"
        case .encodingVideo: "encoding_video"
        case .signing: "signing"
        }
    }
}

/// One progress report: the stage, how far it is (nil when a stage cannot tell), a detail such as `step 3/20`,
/// and the whole render's fraction, which only grows.
public struct ClipProgress: Sendable, Equatable {
    public var stage: ClipStage
    public var stageFraction: Double?
    public var detail: String
    public var overall: Double
    /// While denoising, when the caller asked for previews (`ClipOutputs.previews`) and the model has a fitted
    /// `preview_rgb`: a low-resolution picture of the clip's middle frame as the model now sees it.
    public var preview: ClipPreview?

    static func overall(_ stage: ClipStage, _ fraction: Double) -> Double {
        StageShares.measuredOnTiny.overall(stage, fraction)
    }

    init(_ stage: ClipStage, fraction: Double?, detail: String = "") {
        self.stage = stage
        self.stageFraction = fraction
        self.detail = detail
        self.overall = Self.overall(stage, fraction ?? 0)
    }
}

/// A preview picture: 8-bit RGB at the latent grid's size (the clip's size divided by the VAE's factor).
public struct ClipPreview: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var rgb: [UInt8]
    /// The denoising step it shows, and the step count.
    public var step: Int
    public var steps: Int
}

/// Where each stage ends as a share of a whole render's time, so that a percentage moves as time does. The
/// renderer starts from `measuredOnTiny` and, after each render, keeps the shares it measured for that model,
/// size, length and step count (`ClipRenderer`), so the next render with those settings reports calibrated
/// percentages and a client's "time left" (elapsed × (100 − p) / p) holds.
public struct StageShares: Sendable, Equatable {
    struct End: Sendable, Equatable {
        var stage: ClipStage
        var end: Double
    }

    /// Cumulative end of each stage, in render order; the last is 1.
    var ends: [End]

    init(ends: [(ClipStage, Double)]) {
        self.ends = ends.map { End(stage: $0.0, end: $0.1) }
    }

    static let order: [ClipStage] = [.loadingModel, .encodingPrompt, .denoising, .decoding, .finishing, .encodingVideo, .signing]

    /// Measured on kino-tiny's default clip (denoising dominates; decoding and the media stages take most of the rest).
    public static let measuredOnTiny = StageShares(ends: [(.loadingModel, 0.01), (.encodingPrompt, 0.02), (.denoising, 0.85),
                                                          (.decoding, 0.92), (.finishing, 0.95), (.encodingVideo, 0.99), (.signing, 1)])

    func overall(_ stage: ClipStage, _ fraction: Double) -> Double {
        guard let index = ends.firstIndex(where: { $0.stage == stage }) else { return 0 }
        let start = index == 0 ? 0 : ends[index - 1].end
        return start + (ends[index].end - start) * min(max(fraction, 0), 1)
    }

    /// The shares of a finished render from when each stage started (stages never seen take no time); nil when
    /// the render took no measurable time.
    static func measured(starts: [(ClipStage, ContinuousClock.Instant)], finished: ContinuousClock.Instant) -> StageShares? {
        var seconds: [ClipStage: Double] = [:]
        // Loading a model happens once per process, not per render, so it takes no share.
        for (i, (stage, start)) in starts.enumerated() where stage != .loadingModel {
            let end = i + 1 < starts.count ? starts[i + 1].1 : finished
            let d = end - start
            seconds[stage, default: 0] += Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        }
        let total = seconds.values.reduce(0, +)
        guard total > 0 else { return nil }
        var running = 0.0
        return StageShares(ends: order.map { stage in
            running += (seconds[stage] ?? 0) / total
            return (stage, stage == order.last ? 1 : min(running, 1))
        })
    }
}
