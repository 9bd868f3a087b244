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
            """,
        subcommands: [KeysCreate.self, KeysList.self, KeysRevoke.self]
    )
}

struct DataOption: ParsableArguments {
    @Option(name: .long, help: "Data folder (default: $KINO_DATA, else ~/.local/share/kino).")
    var data: String?

    func openStore() throws -> SQLiteStore {
        try DataFolder(explicit: data).openStore()
    }
}

struct KeysCreate: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a key; the key is the last line printed.")

    @OptionGroup var dataOption: DataOption
    @Option(help: "A name for the key (who or what uses it).")
    var name: String
    @Option(help: "Comma-separated: generate, read, admin, moderator, watermark-free.")
    var scopes: String = "generate,read"
    @Option(help: "Share this project with other keys (default: the key gets a project of its own).")
    var project: String?

    func run() throws {
        let service = KeyService(store: try dataOption.openStore())
        let created = try service.create(name: name, scopes: try Scope.parseList(scopes), project: project)
        print("Created key \(created.record.id) (\(created.record.name)) in project \(created.record.project) with scopes \(Scope.format(created.record.scopes)).")
        print("Store it now; it cannot be shown again:")
        print(created.token)
    }
}

struct KeysList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "One key per line, tab-separated: id, name, project, scopes, created, status.")

    @OptionGroup var dataOption: DataOption

    func run() throws {
        let formatter = ISO8601DateFormatter()
        for key in try KeyService(store: try dataOption.openStore()).list() {
            let created = formatter.string(from: Date(timeIntervalSince1970: Double(key.createdAt) / 1000))
            let status = key.isActive ? "active" : "revoked"
            print([key.id, key.name, key.project, Scope.format(key.scopes), created, status].joined(separator: "\t"))
        }
    }
}

struct KeysRevoke: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a key by id.")

    @OptionGroup var dataOption: DataOption
    @Argument(help: "The key id (first column of `kino keys list`).")
    var id: String

    func run() throws {
        try KeyService(store: try dataOption.openStore()).revoke(id: id)
        print("Revoked key \(id).")
    }
}
