import ArgumentParser
import Foundation
import KinoRender
import KinoServer
import KinoService
import KinoTestSupport

/// `kino serve` with the test-pattern renderer (ffmpeg test patterns, model name `test-pattern`) instead of the
/// engine, for the integration tests of the API, queue and studio that need renders whose timing they control.
/// Built from Tests/ and never shipped; the options mirror `kino serve`'s.
@main
struct KinoTestServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kino-test-server",
                                                    abstract: "TEST AID: `kino serve` with ffmpeg test patterns instead of generated video.")

    @Option var host = "127.0.0.1"
    @Option var port = 8080
    @Option var data: String?
    @Option var workers = 1
    @Option var threads: Int?
    @Option(name: .customLong("model-alias")) var modelAlias: String?
    @Option var retentionHours: Double = 24
    @Option var leaseSeconds: Double = 30
    @Flag var insecureNoAuth = false
    @Flag var secureCookies = false
    @Option var idleTimeout = Double(ServerLimits.idleTimeout.components.seconds)
    @Option var maxConnections = ServerLimits.maxConnections
    @Flag var allowPrivateWebhooks = false
    @Option var webhookRetries: String?
    @Flag var allowRemoteReferences = false
    @Flag var allowPrivateReferences = false
    @Option(help: "Milliseconds each of the pattern's steps takes.") var stepMs = 250

    func run() async throws {
        var settings = ServeSettings(data: DataFolder(explicit: data))
        settings.host = host
        settings.port = port
        settings.workers = workers
        settings.modelAliases = modelAlias
        settings.retentionHours = retentionHours
        settings.leaseSeconds = leaseSeconds
        settings.insecureNoAuth = insecureNoAuth
        settings.secureCookies = secureCookies
        settings.idleTimeoutSeconds = idleTimeout
        settings.maxConnections = maxConnections
        settings.allowPrivateWebhooks = allowPrivateWebhooks
        settings.webhookRetries = webhookRetries
        settings.allowRemoteReferences = allowRemoteReferences
        settings.allowPrivateReferences = allowPrivateReferences
        try await ServerLauncher.run(settings) { folder in
            TestPatternRenderer(stepDelay: Double(stepMs) / 1000, threads: threads,
                                signing: try ClipProvenance.identity(dataFolder: folder.url))
        }
    }
}
