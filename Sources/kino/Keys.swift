import ArgumentParser
import Foundation
import KinoService

struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, list and revoke API keys (stored hashed in the data folder).",
        discussion: """
            Examples:
              kino keys create --name alice                      key with its own project, scopes generate,read
              kino keys create --name ci --project team --scopes generate,read
              kino keys list                                     id, name, project, scopes, created, status (tab-separated)
              kino keys revoke 0a1b2c3d4e5f                      takes effect on the next request, also in a running server
              kino keys create --name bot --rate-per-minute 30 --max-concurrent 2 --clip-seconds-per-day 600
              kino keys update 0a1b2c3d4e5f --max-queued 5 --rate-per-minute default
            Limits: a number, 'unlimited', or 'default' (follow config.json in the data folder; see docs/limits.md).
            """,
        subcommands: [KeysCreate.self, KeysList.self, KeysUpdate.self, KeysRevoke.self]
    )
}

struct DataOption: ParsableArguments {
    @Option(name: .long, help: "Data folder (default: $KINO_DATA, else ~/.local/share/kino).")
    var data: String?

    func openStore() throws -> SQLiteStore {
        try DataFolder(explicit: data).openStore()
    }
}

struct KeysCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a key; the key is the last line printed.")

    @OptionGroup var dataOption: DataOption
    @Option(help: "A name for the key (who or what uses it).")
    var name: String
    @Option(help: "Comma-separated: generate, read, admin, moderator, watermark-free.")
    var scopes: String = "generate,read"
    @Option(help: "Share this project with other keys (default: the key gets a project of its own).")
    var project: String?
    @OptionGroup var limits: LimitOptions

    func run() async throws {
        let changes = try limits.changes()
        let store = try dataOption.openStore()
        let service = KeyService(store: store)
        let created = try await service.create(name: name, scopes: try Scope.parseList(scopes), project: project)
        if !changes.isEmpty { _ = try await store.updateKeyLimits(id: created.record.id, changes) }
        print("Created key \(created.record.id) (\(created.record.name)) in project \(created.record.project) with scopes \(Scope.format(created.record.scopes)).")
        if !changes.isEmpty { print("Limits: \(try await store.key(id: created.record.id)?.limits.summary ?? "-")") }
        print("Store it now; it cannot be shown again:")
        print(created.token)
    }
}

struct KeysList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "One key per line, tab-separated: id, name, project, scopes, created, status, limits.")

    @OptionGroup var dataOption: DataOption

    func run() async throws {
        let formatter = ISO8601DateFormatter()
        for key in try await KeyService(store: try dataOption.openStore()).list() {
            let created = formatter.string(from: Date(timeIntervalSince1970: Double(key.createdAt) / 1000))
            let status = key.isActive ? "active" : "revoked"
            print([key.id, key.name, key.project, Scope.format(key.scopes), created, status, key.limits.summary].joined(separator: "\t"))
        }
    }
}

struct KeysRevoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a key by id.")

    @OptionGroup var dataOption: DataOption
    @Argument(help: "The key id (first column of `kino keys list`).")
    var id: String

    func run() async throws {
        try await KeyService(store: try dataOption.openStore()).revoke(id: id)
        print("Revoked key \(id).")
    }
}

/// The per-key limit options of `kino keys create` and `kino keys update`.
struct LimitOptions: ParsableArguments {
    @Option(help: "Requests per minute to /v1 (GCRA).") var ratePerMinute: String?
    @Option(help: "Requests allowed at once before the rate applies (default: one minute's worth).") var burst: String?
    @Option(help: "Unfinished (queued or running) videos at once.") var maxConcurrent: String?
    @Option(help: "Seconds of video per rolling 24 hours.") var clipSecondsPerDay: String?
    @Option(help: "Characters per prompt.") var maxPromptChars: String?
    @Option(help: "Bytes per request body (uploads).") var maxUploadBytes: String?
    @Option(help: "Videos waiting in the queue.") var maxQueued: String?

    func changes() throws -> [String: LimitSetting] {
        let given: [(String, String?)] = [
            ("rate_per_minute", ratePerMinute), ("burst", burst), ("max_concurrent", maxConcurrent),
            ("clip_seconds_per_day", clipSecondsPerDay), ("max_prompt_chars", maxPromptChars),
            ("max_upload_bytes", maxUploadBytes), ("max_queued", maxQueued),
        ]
        var result: [String: LimitSetting] = [:]
        for (name, text) in given {
            guard let text else { continue }
            result[name] = try LimitSetting.parse(text, option: name.replacingOccurrences(of: "_", with: "-"))
        }
        return result
    }
}

struct KeysUpdate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update", abstract: "Change a key's limits; a running server applies them to the key's next request.")

    @OptionGroup var dataOption: DataOption
    @Argument(help: "The key id (first column of `kino keys list`).")
    var id: String
    @OptionGroup var limits: LimitOptions

    func run() async throws {
        let changes = try limits.changes()
        guard !changes.isEmpty else {
            throw ValidationError("Nothing to change: give at least one limit option, e.g. --rate-per-minute 60 (see --help).")
        }
        let store = try dataOption.openStore()
        guard try await store.updateKeyLimits(id: id, changes) else {
            throw ValidationError("No API key with id '\(id)'. `kino keys list` shows the ids.")
        }
        print("Updated key \(id). Limits: \(try await store.key(id: id)?.limits.summary ?? "-") (unset ones follow config.json).")
    }
}
