import Foundation
import HTTPTypes
import Hummingbird
import KinoService
import Logging
import ServiceLifecycle

/// Everything `buildApplication` needs. The CLI (`kino serve`) and the tests fill it in.
public struct KinoServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var service: VideoService
    /// The engine. `kino serve` passes the real renderer; tests pass a test renderer.
    public var renderer: any VideoRenderer
    /// In-process workers (0: this server only queues; workers run elsewhere).
    public var workers: Int
    /// Allows requests without a key — only when `host` is a loopback address.
    public var insecureNoAuth: Bool
    /// Marks the studio cookie `Secure` (set this behind a TLS reverse proxy).
    public var secureCookies: Bool
    public var maxBodyBytes: Int
    /// A connection that sends nothing (or only part of a request head) for this long is closed.
    public var idleTimeout: Duration
    /// Connections beyond this many open ones get a 503 and are closed.
    public var maxConnections: Int
    public var logger: Logger

    public init(
        host: String = "127.0.0.1", port: Int = 8080, service: VideoService, renderer: any VideoRenderer, workers: Int = 1,
        insecureNoAuth: Bool = false, secureCookies: Bool = false, maxBodyBytes: Int = ServerLimits.maxBodyBytes,
        idleTimeout: Duration = ServerLimits.idleTimeout, maxConnections: Int = ServerLimits.maxConnections,
        logger: Logger = Logger(label: "kino.server")
    ) {
        self.host = host
        self.port = port
        self.service = service
        self.renderer = renderer
        self.workers = workers
        self.insecureNoAuth = insecureNoAuth
        self.secureCookies = secureCookies
        self.maxBodyBytes = maxBodyBytes
        self.idleTimeout = idleTimeout
        self.maxConnections = maxConnections
        self.logger = logger
    }
}

/// The defaults of the server's limits, in one place (`kino serve`'s options and docs/serve.md use them).
public enum ServerLimits {
    /// Largest create/remix body (multipart with an input image included).
    public static let maxBodyBytes = 50 << 20
    public static let idleTimeout = Duration.seconds(60)
    public static let maxConnections = 1024
}

public struct KinoServerError: Error, CustomStringConvertible {
    public var description: String
}

public func isLoopback(_ host: String) -> Bool {
    ["127.0.0.1", "::1", "localhost"].contains(host) || host.hasPrefix("127.")
}

/// Builds the HTTP application: routes, middleware, the worker pool and the rescuer as services that start and
/// stop (gracefully, on SIGINT/SIGTERM) with the server.
public func buildApplication(configuration: KinoServerConfiguration) throws -> some ApplicationProtocol {
    guard !configuration.insecureNoAuth || isLoopback(configuration.host) else {
        throw KinoServerError(description: "--insecure-no-auth is allowed only on a loopback address (127.0.0.1, ::1), not on \(configuration.host). Use API keys instead.")
    }
    let router = try buildRouter(configuration: configuration)
    let workers = WorkerPool(service: configuration.service, renderer: configuration.renderer, count: configuration.workers,
                             logger: configuration.logger)
    return Application(
        responder: HeadResponder(base: router.buildResponder()),
        server: CappedHTTP1Channel.builder(
            idleTimeout: configuration.idleTimeout, maxConnections: configuration.maxConnections, logger: configuration.logger),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "kino"),
        services: [WorkerService(pool: workers), RescuerService(rescuer: Rescuer(service: configuration.service)),
                   WebhookService(dispatcher: WebhookDispatcher(service: configuration.service))],
        logger: configuration.logger)
}

/// The router alone (tests use it through `buildApplication`; exposed for embedding).
public func buildRouter(configuration: KinoServerConfiguration) throws -> Router<KinoRequestContext> {
    let service = configuration.service
    let assets = try ServerAssets.load(configuration: service.configuration)
    let router = Router(context: KinoRequestContext.self)
    router.add(middleware: APIResponseMiddleware(logger: configuration.logger))
    let routeMethods = RouteMethods()
    router.add(middleware: MethodNotAllowedMiddleware(routes: routeMethods))
    router.get("healthz") { _, _ -> Response in
        let counts = try await service.store.counts()
        struct Health: Encodable { var status = "ok"; var queued: Int; var in_progress: Int }
        return json(Health(queued: counts[.queued] ?? 0, in_progress: counts[.inProgress] ?? 0))
    }
    router.get("v1/openapi.yaml") { _, _ -> Response in
        Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: ByteBuffer(string: assets.openAPI)))
    }
    StudioRoutes(keys: service.keys, insecureNoAuth: configuration.insecureNoAuth, secureCookies: configuration.secureCookies, assets: assets)
        .register(on: router)
    ShareRoutes(service: service, renderer: configuration.renderer, assets: assets).register(on: router)
    let api = router.group("v1")
        .add(middleware: AuthMiddleware(keys: service.keys, insecureNoAuth: configuration.insecureNoAuth))
        .add(middleware: RateLimitMiddleware(service: service))
    VideoRoutes(service: service, renderer: configuration.renderer, maxBodyBytes: configuration.maxBodyBytes).register(on: api)
    TrustRoutes(service: service).register(on: api)
    WebhookRoutes(service: service).register(on: api)
    routeMethods.load(router.routes)
    return router
}

/// Runs the worker threads for the life of the application; on graceful shutdown, running renders are stopped
/// and their jobs go back to the queue for the next start.
struct WorkerService: Service {
    let pool: WorkerPool

    func run() async throws {
        pool.start()
        try? await gracefulShutdown()
        await pool.stop()
    }
}

struct RescuerService: Service {
    let rescuer: Rescuer

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await rescuer.run()
        }
    }
}

/// Delivers webhook events from the outbox for the life of the application (every API node runs one; leases keep
/// two from sending the same delivery at once).
struct WebhookService: Service {
    let dispatcher: WebhookDispatcher

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await dispatcher.run()
        }
    }
}
