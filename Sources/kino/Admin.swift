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
        subcommands: [AdminPause.self, AdminResume.self, AdminStatus.self, AdminFeedback.self]
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

struct AdminFeedback: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feedback",
        abstract: "Testers' thumbs up/down and notes on their videos, newest first (table, csv or json).",
        discussion: """
            Examples:
              kino admin feedback                              a table: when, video, project, rating, note, prompt
              kino admin feedback --format csv > feedback.csv  every field, for a spreadsheet
              kino admin feedback --format json --limit 1000
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, csv, json }

    @OptionGroup var dataOption: DataOption
    @Option(help: "table, csv or json.") var format: Format = .table
    @Option(help: "How many, newest first.") var limit = 200

    func run() async throws {
        let rows = try await dataOption.openStore().allFeedback(limit: max(1, limit))
        let formatter = ISO8601DateFormatter()
        func fields(_ f: VideoFeedback) -> [String] {
            [formatter.string(from: Date(timeIntervalSince1970: Double(f.updatedAt) / 1000)), f.videoID, f.project,
             f.rating?.rawValue ?? "", f.note ?? "", f.keyID ?? "", f.model, f.prompt]
        }
        let header = ["updated_at", "video_id", "project", "rating", "note", "key_id", "model", "prompt"]
        switch format {
        case .table:
            if rows.isEmpty { print("No feedback yet.") }
            for f in rows { print(fields(f).prefix(5).joined(separator: "\t") + "\t" + f.prompt.prefix(60)) }
        case .csv:
            // RFC 4180: every field quoted, quotes doubled, so notes with commas and line breaks survive.
            print(header.joined(separator: ","))
            for f in rows { print(fields(f).map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }.joined(separator: ",")) }
        case .json:
            let objects = rows.map { Dictionary(uniqueKeysWithValues: zip(header, fields($0))) }
            let data = try JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }
}
