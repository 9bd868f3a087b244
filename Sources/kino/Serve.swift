import ArgumentParser
import Foundation
import KinoServer
import KinoPipeline
import KinoService
import KinoTensor
import Logging

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the web studio and the /v1/videos API on one port, with in-process workers.",
        discussion: """
            Examples:
              kino serve                                  http://127.0.0.1:8080, data in ~/.local/share/kino
              kino serve --host 0.0.0.0 --port 9000 --data /srv/kino --workers 2
              kino serve --insecure-no-auth               no keys needed (loopback addresses only)
            On first start with no keys it prints an admin key once. Behind a TLS reverse proxy, see docs/serve.md.
            """
    )

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 8080
    @OptionGroup var dataOption: DataOption
    @Option(help: "Model name or model folder to run (default: the bundled kino-tiny).") var model: String?
    @Option(help: "In-process workers (0: only queue; run `kino worker` elsewhere).") var workers = 1
    @Option(help: "Compute threads per worker (default: all cores).") var threads: Int?
    @Option(name: .customLong("model-alias"), help: "Accepted aliases, e.g. sora-2=kino-tiny,sora-2-pro=wan2.1-t2v-1.3b (default: both to the served model).")
    var modelAlias: String?
    @Option(help: "Hours finished videos stay downloadable before their files are deleted.") var retentionHours: Double = 24
    @Flag(help: "Allow requests without an API key. Refused unless --host is a loopback address.") var insecureNoAuth = false
    @Flag(help: "Mark the studio session cookie Secure (set this behind an HTTPS reverse proxy).") var secureCookies = false
    @Option(help: .hidden) var leaseSeconds: Double = 30
    /// TEST AID: serve ffmpeg test patterns instead of generated video (model name `test-pattern`). For the
    /// integration tests of the API, queue and studio only.
    @Flag(help: .hidden) var testPatternRenderer = false
    @Option(help: .hidden) var testPatternStepMs: Int = 250

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        let logger = Logger(label: "kino.serve")
        if insecureNoAuth, !isLoopback(host) {
            throw ValidationError("--insecure-no-auth is allowed only on a loopback address (127.0.0.1, ::1), not on \(host).")
        }
        let folder = DataFolder(explicit: dataOption.data)
        let store = try folder.openStore()
        let renderer: any VideoRenderer
        if testPatternRenderer {
            logger.warning("TEST AID: --test-pattern-renderer serves ffmpeg test patterns, not generated video")
            renderer = TestPatternRenderer(stepDelay: Double(testPatternStepMs) / 1000, threads: threads,
                                           signing: try ClipProvenance.identity(dataFolder: folder.url))
        } else {
            renderer = try EngineRenderer.make(model: model, threads: threads, data: folder.url)
        }
        let aliases = try modelAlias.map(ModelCatalog.parseAliases)
        var configuration = ServiceConfiguration(catalog: ModelCatalog(models: renderer.models, aliases: aliases))
        configuration.retentionSeconds = Int64(retentionHours * 3600)
        configuration.leaseMillis = Int64(leaseSeconds * 1000)
        let trust = try TrustSettings.load(folder: folder.url)
        let service = VideoService(configuration: configuration, store: store, outputs: try OutputStore(root: folder.videosFolder), trust: trust)
        logger.info("trust settings", metadata: [
            "moderation": "\(trust.moderator?.source ?? "off")", "default-limits": "\(trust.defaultLimits.summary)"])
        if !insecureNoAuth, let admin = try service.keys.bootstrapAdminKeyIfNeeded() {
            say("No API keys yet: created an admin key (scopes admin,generate,read,moderator). It is shown only this once:")
            say(admin.token)
        }
        let app = try buildApplication(configuration: KinoServerConfiguration(
            host: host, port: port, service: service, renderer: renderer, workers: workers,
            insecureNoAuth: insecureNoAuth, secureCookies: secureCookies, logger: logger))
        say("Kino is serving on http://\(host):\(port) (data: \(folder.url.path))")
        try await app.runService()
    }
}

/// The generation engine behind `kino serve`: the Wan pipeline for `model` (a name such as `kino-tiny` or a
/// diffusers folder) plus the media stage.
enum EngineRenderer {
    static func make(model: String?, threads: Int?, data: URL) throws -> any VideoRenderer {
        if let threads { Parallel.threads = threads }
        let folder = try ModelLocator(dataDirectory: data).resolve(model)
        let name = model.map { $0.contains("/") ? folder.lastPathComponent : $0 } ?? ModelLocator.defaultModel
        return try PipelineRenderer(folder: folder, name: name, signing: try ClipProvenance.identity(dataFolder: data))
    }
}

/// Writes a line to standard output at once (print is buffered when stdout is a file or pipe, and the admin key
/// must reach a log even if the server is killed).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

struct ServeError: Error, CustomStringConvertible {
    var description: String
}
