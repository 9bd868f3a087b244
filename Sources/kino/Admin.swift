import ArgumentParser
import Foundation
import KinoService

struct Admin: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Pause and resume new jobs (also in a running server: the state is in the database).",
        discussion: """
            Examples:
              kino admin pause --message "Maintenance until 14:00 UTC"   new jobs get 503 with this message
              kino admin resume
              kino admin status
            Running and queued videos finish while paused. Over HTTP: POST /v1/admin/pause|resume (admin scope).
            """,
        subcommands: [AdminPause.self, AdminResume.self, AdminStatus.self]
    )
}

struct AdminPause: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Refuse new jobs with a message (HTTP 503).")
    @OptionGroup var dataOption: DataOption
    @Option(help: "Shown to everyone whose request is refused.") var message: String

    func run() async throws {
        let text = message.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw ValidationError("--message must not be empty; it tells users why and until when.") }
        try await dataOption.openStore().setPause(message: text, by: "cli:\(ProcessInfo.processInfo.userName)", now: Clock.nowMillis())
        print("Paused: new jobs are refused with \"\(text)\". Running and queued jobs finish. Resume with: kino admin resume")
    }
}

struct AdminResume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Accept new jobs again.")
    @OptionGroup var dataOption: DataOption

    func run() async throws {
        try await dataOption.openStore().setPause(message: nil, by: "cli:\(ProcessInfo.processInfo.userName)", now: Clock.nowMillis())
        print("Resumed: new jobs are accepted.")
    }
}

struct AdminStatus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Whether new jobs are paused.")
    @OptionGroup var dataOption: DataOption

    func run() async throws {
        if let pause = try await dataOption.openStore().pauseState() {
            let since = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(pause.since) / 1000))
            print("paused since \(since) by \(pause.by ?? "?"): \(pause.message)")
        } else {
            print("accepting new jobs")
        }
    }
}
