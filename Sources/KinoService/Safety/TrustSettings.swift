import Foundation
import Logging
import Synchronization

/// The data folder's `config.json` (all members optional):
/// ```json
/// { "limits": { "rate_per_minute": 120, "max_concurrent": 4, "clip_seconds_per_day": 600 },
///   "moderation": { "enabled": true, "policy": "moderation.json" } }
/// ```
/// See docs/limits.md and docs/moderation.md.
public struct DataFolderConfig: Codable, Sendable, Equatable {
    public struct Moderation: Codable, Sendable, Equatable {
        public var enabled: Bool?
        /// A policy file, relative to the data folder (default `moderation.json` when it exists).
        public var policy: String?
    }

    public var limits: KeyLimits?
    public var moderation: Moderation?

    public init(limits: KeyLimits? = nil, moderation: Moderation? = nil) {
        self.limits = limits
        self.moderation = moderation
    }

    public static let fileName = "config.json"

    /// Reads `config.json` from `folder`; a missing file is an empty configuration.
    public static func load(folder: URL) throws -> DataFolderConfig {
        let url = folder.appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: url.path) else { return DataFolderConfig() }
        do {
            return try JSONDecoder().decode(DataFolderConfig.self, from: data)
        } catch {
            throw KinoServiceError.invalid(
                "\(url.path) is not a valid Kino configuration: \(error). See docs/limits.md for its format.", param: "config")
        }
    }
}

/// What the service needs for limits and moderation: the default limits and the moderator.
public struct TrustSettings: Sendable {
    public var defaultLimits: KeyLimits
    /// nil: moderation off (tests, or `"moderation": {"enabled": false}`).
    public var moderator: Moderator?

    public init(defaultLimits: KeyLimits = KeyLimits.builtInDefaults, moderator: Moderator? = nil) {
        self.defaultLimits = defaultLimits
        self.moderator = moderator
    }

    /// Settings from a data folder: `config.json` limits over the built-in ones, and the moderation policy file
    /// (`moderation.json`, or the one `config.json` names) else the default policy.
    public static func load(folder: URL, logger: Logger = Logger(label: "kino.trust")) throws -> TrustSettings {
        let config = try DataFolderConfig.load(folder: folder)
        let limits = (config.limits ?? KeyLimits()).effectiveDefaults(over: KeyLimits.builtInDefaults)
        guard config.moderation?.enabled ?? true else { return TrustSettings(defaultLimits: limits, moderator: nil) }
        let name = config.moderation?.policy ?? Moderator.policyFileName
        let url = name.hasPrefix("/") ? URL(fileURLWithPath: name) : folder.appendingPathComponent(name)
        if config.moderation?.policy != nil, !FileManager.default.fileExists(atPath: url.path) {
            throw KinoServiceError.invalid("config.json names the moderation policy \(url.path), which does not exist.", param: "config")
        }
        return TrustSettings(defaultLimits: limits, moderator: try Moderator(policyFile: url, logger: logger))
    }
}

extension KeyLimits {
    /// Config-file defaults over built-in ones (a config value of 0 removes a built-in limit).
    func effectiveDefaults(over builtIn: KeyLimits) -> KeyLimits {
        var result = builtIn
        for field in Self.fields {
            if let value = self[keyPath: field.path] { result[keyPath: field.path] = value > 0 ? value : nil }
        }
        return result
    }
}

/// A moderation verdict.
public struct ModerationDecision: Sendable, Equatable {
    public var allowed: Bool
    public var category: String?
    public var rule: String?
    /// The category's description, for the refusal message.
    public var categoryTitle: String?
}

/// Checks prompts against the policy: the data folder's `moderation.json` when it exists (re-read when the
/// file changes, so edits apply to the next request of a running server), else the built-in default.
public final class Moderator: Sendable {
    public static let policyFileName = "moderation.json"
    let file: URL?
    let logger: Logger
    private let state: Mutex<(policy: ModerationPolicy, modified: Date?, source: String)>

    /// - Parameter policyFile: a policy that replaces the default when the file exists.
    public init(policyFile: URL?, logger: Logger = Logger(label: "kino.moderation")) throws {
        self.file = policyFile
        self.logger = logger
        if let policyFile, let data = FileManager.default.contents(atPath: policyFile.path) {
            let policy = try ModerationPolicy(json: data, source: policyFile.path)
            state = Mutex((policy, Self.modified(policyFile), policyFile.path))
        } else {
            state = Mutex((try Self.defaultPolicy(), nil, "built-in default"))
        }
    }

    /// A moderator with a fixed policy (tests, `kino moderation eval --policy`).
    public init(policy: ModerationPolicy, source: String) {
        self.file = nil
        self.logger = Logger(label: "kino.moderation")
        state = Mutex((policy, nil, source))
    }

    public static func defaultPolicy() throws -> ModerationPolicy {
        try ModerationPolicy(json: Data(DefaultModerationPolicy.json.utf8), source: "built-in default")
    }

    public var source: String { state.withLock { $0.source } }

    public func check(_ prompt: String) -> ModerationDecision {
        let policy = currentPolicy()
        guard let hit = policy.evaluate(prompt) else { return ModerationDecision(allowed: true) }
        return ModerationDecision(allowed: false, category: hit.category, rule: hit.rule,
                                  categoryTitle: policy.file.categories[hit.category])
    }

    /// Reloads the policy file when its modification time changed; a broken edit keeps the last good policy.
    func currentPolicy() -> ModerationPolicy {
        guard let file else { return state.withLock { $0.policy } }
        let modified = Self.modified(file)
        let (policy, known) = state.withLock { ($0.policy, $0.modified) }
        guard modified != known else { return policy }
        do {
            let fresh: ModerationPolicy
            let source: String
            if let data = FileManager.default.contents(atPath: file.path) {
                fresh = try ModerationPolicy(json: data, source: file.path)
                source = file.path
            } else {
                fresh = try Self.defaultPolicy()
                source = "built-in default"
            }
            state.withLock { $0 = (fresh, modified, source) }
            logger.info("moderation policy loaded", metadata: ["source": "\(source)"])
            return fresh
        } catch {
            logger.error("moderation policy \(file.path) not reloaded, keeping the previous one: \(error)")
            state.withLock { $0.modified = modified }
            return policy
        }
    }

    static func modified(_ url: URL) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date
    }
}
