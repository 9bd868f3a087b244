import Foundation

/// Limits on what one API key may use. In a key, nil means "the data folder's default"; in the defaults, nil means
/// no limit. 0 means no limit in both (so a key can be exempted from a default).
public struct KeyLimits: Codable, Sendable, Equatable {
    /// Requests per minute to /v1, enforced with GCRA (a token bucket kept as one timestamp per key).
    public var ratePerMinute: Int?
    /// Requests that may arrive at once before the rate applies (default: one minute's worth, `ratePerMinute`).
    public var burst: Int?
    /// Unfinished (queued or running) videos at once.
    public var maxConcurrent: Int?
    /// Seconds of video created in the last 24 hours (failed and cancelled videos do not count).
    public var clipSecondsPerDay: Int?
    /// Characters in a prompt.
    public var maxPromptChars: Int?
    /// Bytes in one request body (uploads included).
    public var maxUploadBytes: Int?
    /// Videos waiting in the queue (not yet running).
    public var maxQueued: Int?

    public init(ratePerMinute: Int? = nil, burst: Int? = nil, maxConcurrent: Int? = nil, clipSecondsPerDay: Int? = nil,
                maxPromptChars: Int? = nil, maxUploadBytes: Int? = nil, maxQueued: Int? = nil) {
        self.ratePerMinute = ratePerMinute
        self.burst = burst
        self.maxConcurrent = maxConcurrent
        self.clipSecondsPerDay = clipSecondsPerDay
        self.maxPromptChars = maxPromptChars
        self.maxUploadBytes = maxUploadBytes
        self.maxQueued = maxQueued
    }

    enum CodingKeys: String, CodingKey {
        case ratePerMinute = "rate_per_minute"
        case burst
        case maxConcurrent = "max_concurrent"
        case clipSecondsPerDay = "clip_seconds_per_day"
        case maxPromptChars = "max_prompt_chars"
        case maxUploadBytes = "max_upload_bytes"
        case maxQueued = "max_queued"
    }

    /// The names used by `kino keys` options and the config file, with key paths, for listing and updating.
    public static var fields: [(name: String, path: WritableKeyPath<KeyLimits, Int?>)] {
        [
            ("rate_per_minute", \.ratePerMinute), ("burst", \.burst), ("max_concurrent", \.maxConcurrent),
            ("clip_seconds_per_day", \.clipSecondsPerDay), ("max_prompt_chars", \.maxPromptChars),
            ("max_upload_bytes", \.maxUploadBytes), ("max_queued", \.maxQueued),
        ]
    }

    /// These limits where set, else `defaults`; 0 becomes nil (no limit).
    public func effective(over defaults: KeyLimits) -> KeyLimits {
        var result = KeyLimits()
        for field in Self.fields {
            let value = self[keyPath: field.path] ?? defaults[keyPath: field.path]
            result[keyPath: field.path] = (value ?? 0) > 0 ? value : nil
        }
        return result
    }

    /// `rate_per_minute=10,max_queued=5`, or "-" when nothing is set.
    public var summary: String {
        let parts = Self.fields.compactMap { field in self[keyPath: field.path].map { "\(field.name)=\($0)" } }
        return parts.isEmpty ? "-" : parts.joined(separator: ",")
    }

    /// Built-in defaults when the data folder has no config.json: generous enough for one person's studio and
    /// the benchmarks, strict where a single request could hurt (prompt size, body size, queue flooding).
    public static let builtInDefaults = KeyLimits(maxPromptChars: VideoLimits.maximumPromptLength, maxUploadBytes: 50 << 20, maxQueued: 100)
}

/// A `kino keys create/update` limit value: a number, "unlimited" (0) or "default" (nil: follow config.json).
public enum LimitSetting: Sendable, Equatable {
    case value(Int)
    case inherit

    public static func parse(_ text: String, option: String) throws -> LimitSetting {
        switch text.lowercased() {
        case "default", "inherit": return .inherit
        case "unlimited", "none": return .value(0)
        default:
            guard let value = Int(text), value >= 0 else {
                throw KinoServiceError.invalid(
                    "--\(option) must be a whole number >= 0, 'unlimited' or 'default', got '\(text)'.", param: option)
            }
            return .value(value)
        }
    }

    public var stored: Int? {
        switch self {
        case .value(let v): v
        case .inherit: nil
        }
    }
}
