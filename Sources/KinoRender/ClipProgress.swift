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

    /// The share of the whole render each stage ends at, measured on kino-tiny's default clip (denoising
    /// dominates; decoding and the media stage take most of the rest). Only the percentages users see depend
    /// on it.
    static func overall(_ stage: ClipStage, _ fraction: Double) -> Double {
        let (start, end): (Double, Double) = switch stage {
        case .loadingModel, .encodingPrompt: (0, 0.02)
        case .denoising: (0.02, 0.85)
        case .decoding: (0.85, 0.92)
        case .finishing: (0.92, 0.95)
        case .encodingVideo: (0.95, 0.99)
        case .signing: (0.99, 1)
        }
        return start + (end - start) * min(max(fraction, 0), 1)
    }

    init(_ stage: ClipStage, fraction: Double?, detail: String = "") {
        self.stage = stage
        self.stageFraction = fraction
        self.detail = detail
        self.overall = Self.overall(stage, fraction ?? 0)
    }
}
