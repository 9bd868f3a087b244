import Foundation
import KinoService
import Logging

/// What `kino serve` (and the test server) start with, after their options are parsed.
public struct ServeSettings: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var data: DataFolder
    public var workers = 1
    /// `alias=model,...` as given on the command line (nil: every OpenAI model name maps to the served model).
    public var modelAliases: String?
    public var retentionHours: Double = 24
    public var leaseSeconds: Double = 30
    public var insecureNoAuth = false
    public var secureCookies = false
    /// Seconds a connection may stay silent (or stop halfway through a request head) before it is closed.
    public var idleTimeoutSeconds = Double(ServerLimits.idleTimeout.components.seconds)
    public var maxConnections = ServerLimits.maxConnections
    /// Webhook endpoints may be plain http:// and on private or loopback addresses.
    public var allowPrivateWebhooks = false
    /// Waits between webhook retries, `5s,5m,30m,2h` (nil: Standard Webhooks' schedule, about a day).
    public var webhookRetries: String?
    /// Fetch `input_reference` image URLs (public addresses only unless `allowPrivateReferences`).
    public var allowRemoteReferences = false
    public var allowPrivateReferences = false

    public init(data: DataFolder) {
        self.data = data
    }
}

/// Starts the server around a renderer the caller builds (the real engine in `kino serve`, the test pattern in
/// the test server): logging, the data folder's store and trust settings, the first admin key, then the HTTP
/// application until SIGINT/SIGTERM.
public enum ServerLauncher {
    public static func run(_ settings: ServeSettings, renderer makeRenderer: (DataFolder) throws -> any VideoRenderer) async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        let logger = Logger(label: "kino.serve")
        guard settings.idleTimeoutSeconds > 0, settings.idleTimeoutSeconds.isFinite, settings.maxConnections > 0 else {
            throw KinoServerError(description: "--idle-timeout and --max-connections must be positive (got \(settings.idleTimeoutSeconds) and \(settings.maxConnections)).")
        }
        if settings.insecureNoAuth, !isLoopback(settings.host) {
            throw KinoServerError(description: "--insecure-no-auth is allowed only on a loopback address (127.0.0.1, ::1), not on \(settings.host).")
        }
        let folder = settings.data
        let store = try folder.openStore()
        let renderer = try makeRenderer(folder)
        let aliases = try settings.modelAliases.map(ModelCatalog.parseAliases)
        var configuration = ServiceConfiguration(catalog: ModelCatalog(models: renderer.models, aliases: aliases))
        configuration.styles = renderer.styles
        configuration.recipes = renderer.recipes
        configuration.caches = renderer.caches
        if renderer.acceptsImages {
            let check = renderer
            configuration.checkImage = { try check.checkImage($0) }
        }
        if renderer.acceptsVideos {
            let check = renderer
            configuration.checkVideo = { try check.checkVideo($0) }
        }
        configuration.webhooks.allowPrivate = settings.allowPrivateWebhooks
        if let retries = settings.webhookRetries { configuration.webhooks.retrySchedule = try WebhookSettings.parseSchedule(retries) }
        if settings.allowRemoteReferences || settings.allowPrivateReferences {
            var remote = RemoteReferenceSettings(maxBytes: configuration.maxInputBytes)
            remote.allowPrivate = settings.allowPrivateReferences
            configuration.remoteReferences = remote
        }
        configuration.retentionSeconds = Int64(settings.retentionHours * 3600)
        configuration.leaseMillis = Int64(settings.leaseSeconds * 1000)
        let trust = try TrustSettings.load(folder: folder.url)
        let service = VideoService(configuration: configuration, store: store, outputs: try OutputStore(root: folder.videosFolder), trust: trust)
        logger.info("trust settings", metadata: [
            "moderation": "\(trust.moderator?.source ?? "off")", "default-limits": "\(trust.defaultLimits.summary)"])
        if !settings.insecureNoAuth, let admin = try await service.keys.bootstrapAdminKeyIfNeeded() {
            say("No API keys yet: created an admin key (scopes admin,generate,read,moderator). It is shown only this once:")
            say(admin.token)
        }
        let app = try buildApplication(configuration: KinoServerConfiguration(
            host: settings.host, port: settings.port, service: service, renderer: renderer, workers: settings.workers,
            insecureNoAuth: settings.insecureNoAuth, secureCookies: settings.secureCookies,
            idleTimeout: .milliseconds(Int64(settings.idleTimeoutSeconds * 1000)), maxConnections: settings.maxConnections, logger: logger))
        say("Kino is serving on http://\(settings.host):\(settings.port) (data: \(folder.url.path))")
        try await app.runService()
    }

    /// Writes a line to standard output at once (print is buffered when stdout is a file or pipe, and the admin
    /// key must reach a log even if the server is killed).
    static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
