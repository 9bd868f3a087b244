import Foundation

/// Model names the API accepts and what they run.
public struct ModelCatalog: Sendable, Equatable {
    /// Models the engine can run.
    public var models: [String]
    /// The model used when a request names none.
    public var defaultModel: String
    /// Other names accepted for compatibility, e.g. `sora-2` -> `kino-tiny`.
    public var aliases: [String: String]

    public init(models: [String], defaultModel: String? = nil, aliases: [String: String]? = nil) {
        self.models = models
        self.defaultModel = defaultModel ?? models.first ?? "kino-tiny"
        let target = self.defaultModel
        var names = aliases ?? ["sora-2": target, "sora-2-pro": target]
        // OpenAI's dated snapshots run whatever their undated name runs here.
        for (base, dates) in Self.datedSnapshots {
            guard let runs = names[base] else { continue }
            for date in dates where names["\(base)-\(date)"] == nil { names["\(base)-\(date)"] = runs }
        }
        self.aliases = names
    }

    /// The dated model ids OpenAI's Videos API published for its undated names.
    public static let datedSnapshots: [(String, [String])] = [("sora-2", ["2025-10-06", "2025-12-08"]), ("sora-2-pro", ["2025-10-06"])]

    /// Maps a requested name to the model to run; throws naming the accepted names.
    public func resolve(_ requested: String?) throws -> (requested: String, engine: String) {
        guard let requested, !requested.isEmpty else { return (defaultModel, defaultModel) }
        if models.contains(requested) { return (requested, requested) }
        if let target = aliases[requested] { return (requested, target) }
        let accepted = (models + aliases.keys.sorted()).joined(separator: ", ")
        throw KinoServiceError.invalid("Unknown model '\(requested)'. This server accepts: \(accepted).", param: "model", code: "model_not_found")
    }

    /// Parses `sora-2=kino-tiny,sora-2-pro=wan2.1-t2v-1.3b`.
    public static func parseAliases(_ text: String) throws -> [String: String] {
        var result: [String: String] = [:]
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw KinoServiceError.invalid("Model alias '\(pair)' should look like sora-2=kino-tiny.", param: "model-alias")
            }
            result[parts[0]] = parts[1]
        }
        return result
    }
}

/// Policy knobs of the service. Defaults follow the OpenAI Videos API where it has one.
public struct ServiceConfiguration: Sendable {
    public var catalog: ModelCatalog
    public var sizes: [VideoSize] = ["720x1280", "1280x720", "1024x1792", "1792x1024"].compactMap(VideoLimits.parseSize)
    public var defaultSize = VideoSize(width: 720, height: 1280)
    public var secondsChoices: [Int] = [4, 8, 12]
    public var defaultSeconds = 4
    public var maxSteps = 200
    public var guidanceRange: ClosedRange<Double> = 0...30
    /// Style presets the API accepts: the served renderer's (`VideoRenderer.styles`), set where the two are paired.
    public var styles: [String] = []
    /// Recipes the API accepts: the served model's (`VideoRenderer.recipes`).
    public var recipes: [String] = ["turbo"]
    /// Every step-cache method the engine knows (`StepCacheMode`), checked here so a typo is a 400, not a failed job.
    public static let cacheNames = ["easycache", "teacache", "magcache", "firstblock"]
    /// Step-cache methods the API accepts: the served model's (`VideoRenderer.caches`).
    public var caches: [String] = ServiceConfiguration.cacheNames
    public var defaultRemixStrength = 0.6
    /// Checks an input picture and names its file extension: the renderer's `checkImage` when its model can start
    /// from an image (set where the two are paired); nil refuses `input_reference` with the models that can.
    public var checkImage: (@Sendable ([UInt8]) throws -> String)?
    /// Checks an uploaded source video (extensions, edits): the renderer's `checkVideo` when it can start from a
    /// video; nil refuses both routes.
    public var checkVideo: (@Sendable ([UInt8]) throws -> SourceVideoFacts)?
    /// The seconds an extension may add (the SDK's 4 to 20).
    public var extensionSecondsChoices: [Int] = [4, 8, 12, 16, 20]
    /// The longest video an extension may produce, source and addition together.
    public var maxExtendedSeconds = 60
    /// The largest source video accepted, in bytes.
    public var maxSourceVideoBytes = 100 << 20
    /// The largest input picture accepted, in bytes.
    public var maxInputBytes = 20 << 20
    /// How long finished assets stay downloadable.
    public var retentionSeconds: Int64 = 24 * 3600
    /// Worker lease length; heartbeats renew it every third of this.
    public var leaseMillis: Int64 = 30_000
    /// Delay before a rescued job may run again, times its attempt number.
    public var rescueBackoffMillis: Int64 = 1_000
    public var maxAttempts = 3
    /// Webhook delivery: private targets, retries, timeout.
    public var webhooks = WebhookSettings()
    /// Fetching `input_reference[image_url]` over http(s) (`--allow-remote-references`); nil: off, such a field
    /// is a 400.
    public var remoteReferences: RemoteReferenceSettings?
    /// Idempotency records are kept this long (Stripe: 24 h).
    public var idempotencyRetentionMillis: Int64 = 24 * 3600 * 1000

    public init(catalog: ModelCatalog) {
        self.catalog = catalog
    }
}
