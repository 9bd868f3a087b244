import Foundation

/// The lifecycle states a client sees. Cancellation and lost workers end as `failed` with an error code.
public enum VideoStatus: String, Sendable, Codable, CaseIterable {
    case queued
    case inProgress = "in_progress"
    case completed
    case failed

    public var isTerminal: Bool { self == .completed || self == .failed }
}

/// The frame size of a clip, written `WIDTHxHEIGHT` in the API.
public struct VideoSize: Sendable, Hashable, CustomStringConvertible {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    public var description: String { "\(width)x\(height)" }
}

/// Kino's optional generation settings, beyond what the OpenAI API has.
public struct GenerationSettings: Sendable, Equatable {
    public var negativePrompt: String?
    public var seed: UInt32
    public var steps: Int?
    public var guidance: Double?
    public var style: String?
    /// Turbo mode: the model's short schedule plus step caching.
    public var turbo: Bool
    /// Step caching (`easycache`, `teacache:0.08`, `off`, ...); nil: the default (none, or turbo's).
    public var cache: String?
    /// A recipe of the model's kino.json.
    public var recipe: String?

    public init(negativePrompt: String? = nil, seed: UInt32, steps: Int? = nil, guidance: Double? = nil, style: String? = nil,
                turbo: Bool = false, cache: String? = nil, recipe: String? = nil) {
        self.turbo = turbo
        self.cache = cache
        self.recipe = recipe
        self.negativePrompt = negativePrompt
        self.seed = seed
        self.steps = steps
        self.guidance = guidance
        self.style = style
    }
}

/// What a client asked for, as stored: everything needed to insert a new job, built by `VideoService` from a
/// validated request. A stored `VideoJob` carries it unchanged, so its fields are listed once. Times are Unix
/// milliseconds everywhere in the service; the API writes seconds (VideoObject).
public struct NewVideoJob: Sendable, Equatable {
    public var id: String
    public var project: String
    public var keyID: String?
    /// The creating key's serial number (0 without a key), carried into the invisible watermark.
    public var keySerial: Int64
    /// The model name as the client sent it (e.g. `sora-2`), echoed back in the Video object.
    public var model: String
    /// The Kino model that actually runs (e.g. `kino-tiny`).
    public var engineModel: String
    public var prompt: String
    public var seconds: Int
    public var size: VideoSize
    public var settings: GenerationSettings
    public var watermark: Bool
    public var remixOf: String?
    public var remixStrength: Double?
    /// Image-to-video: the file name of the input picture in `OutputStore`'s input folder; extensions and edits:
    /// the source video's, copied there when the request arrived (so deleting the source cannot break the job).
    public var inputFile: String?
    /// Extensions and edits: what the job does with its source video (`inputFile`); `remixStrength` is an edit's
    /// strength.
    public var sourceKind: SourceKind?
    /// The source video's id when the request named one of this project's videos (nil for an upload).
    public var sourceVideoID: String?
    /// The clip-seconds the job counts against the key's daily allowance when that is not `seconds`: an
    /// extension's `seconds` is the joined total, but only the added seconds are generated.
    public var chargedSeconds: Int?
    /// The project's character whose still the clip starts from (its prompt named the character).
    public var characterID: String?
    public var maxAttempts: Int
    /// Unix milliseconds.
    public var createdAt: Int64

    public init(
        id: String, project: String, keyID: String?, keySerial: Int64, model: String, engineModel: String,
        prompt: String, seconds: Int, size: VideoSize, settings: GenerationSettings, watermark: Bool,
        remixOf: String? = nil, remixStrength: Double? = nil, inputFile: String? = nil, sourceKind: SourceKind? = nil,
        sourceVideoID: String? = nil, chargedSeconds: Int? = nil, characterID: String? = nil, maxAttempts: Int, createdAt: Int64
    ) {
        self.id = id
        self.project = project
        self.keyID = keyID
        self.keySerial = keySerial
        self.model = model
        self.engineModel = engineModel
        self.prompt = prompt
        self.seconds = seconds
        self.size = size
        self.settings = settings
        self.watermark = watermark
        self.remixOf = remixOf
        self.remixStrength = remixStrength
        self.inputFile = inputFile
        self.sourceKind = sourceKind
        self.sourceVideoID = sourceVideoID
        self.chargedSeconds = chargedSeconds
        self.characterID = characterID
        self.maxAttempts = maxAttempts
        self.createdAt = createdAt
    }
}

/// What an extension or edit does with its source video.
public enum SourceKind: String, Sendable, Equatable {
    /// `POST /v1/videos/extensions`: the source's frames, then `chargedSeconds` more generated from its last ones.
    case `extension`
    /// `POST /v1/videos/edits`: the source re-rendered with a new prompt from its own frames re-noised to a strength.
    case edit
}

/// A stored job, as the API and workers read it: the request as inserted (its fields read through, e.g.
/// `job.prompt`) plus its state.
@dynamicMemberLookup
public struct VideoJob: Sendable, Equatable {
    /// The row number, which the invisible watermark carries as the video's serial.
    public var seq: Int64
    public var request: NewVideoJob
    public var status: VideoStatus
    /// 0...100.
    public var progress: Int
    /// While running: what it is doing (`denoising: step 3/20`).
    public var phase: String?
    /// When the current attempt started (Unix milliseconds).
    public var startedAt: Int64?
    /// While running: when the latest preview picture was stored (Unix milliseconds), and the step it shows.
    public var previewAt: Int64?
    public var previewStep: Int?
    public var errorCode: String?
    public var errorMessage: String?
    /// Unix milliseconds.
    public var completedAt: Int64?
    /// Unix milliseconds; the files are deleted after it.
    public var expiresAt: Int64?
    public var attempt: Int
    public var cancelRequested: Bool
    public var hasLatents: Bool
    public var assetsPurged: Bool
    /// 1 = next to run; nil unless queued. Filled in by the store on reads that ask for it.
    public var queuePosition: Int?
    /// Whether the owner asked to publish it, and the moderator's answer (the API's reads fill it in).
    public var share: ShareSummary?
    /// The owner's thumbs up/down and note (the API's reads fill it in).
    public var feedback: VideoFeedback?

    public subscript<T>(dynamicMember field: KeyPath<NewVideoJob, T>) -> T { request[keyPath: field] }
}

/// A video's publish state as its owner sees it.
public struct ShareSummary: Sendable, Equatable {
    public var state: ShareState
    /// The moderator's reason, when decided.
    public var reason: String?
    /// The owner's note with the request.
    public var note: String?
    /// Viewers of the public page may download the MP4.
    public var allowDownload = false
}

/// A worker's hold on a running job. `token` is the fencing token: every write a worker makes is conditional on
/// the row still carrying it, so a worker presumed dead cannot overwrite the next owner's result.
public struct JobLease: Sendable, Equatable {
    public var job: VideoJob
    public var worker: String
    public var token: String
    public var attempt: Int
    public var expiresAt: Int64
}

/// What the worker reports when a render ends well.
public struct JobCompletion: Sendable {
    public var hasLatents: Bool
    public var completedAt: Int64
    public var expiresAt: Int64

    public init(hasLatents: Bool, completedAt: Int64, expiresAt: Int64) {
        self.hasLatents = hasLatents
        self.completedAt = completedAt
        self.expiresAt = expiresAt
    }
}

/// The outcome of asking to cancel or delete a job.
public enum CancelOutcome: Sendable, Equatable {
    /// It was queued and is now failed with `cancelled`.
    case cancelledQueued
    /// It is running; its worker was asked to stop and will fail it with `cancelled`.
    case cancelRequested
    /// It had already finished; nothing changed.
    case alreadyFinished
}

/// A page of jobs plus whether more follow.
public struct JobPage: Sendable {
    public var jobs: [VideoJob]
    public var hasMore: Bool
}

public enum SortOrder: String, Sendable {
    case asc, desc
}
