import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KinoServer
import KinoService
import KinoTestSupport
import Testing

/// An in-process Kino app on an in-memory store, with two projects' keys.
struct TestApp {
    let service: VideoService
    let alice: CreatedKey
    let bob: CreatedKey
    let reader: CreatedKey
    var configuration: KinoServerConfiguration

    init(workers: Int = 0, insecureNoAuth: Bool = false, trust: TrustSettings = TrustSettings(),
         renderer: TestPatternRenderer = TestPatternRenderer(steps: 2, stepDelay: 0.01),
         configure: (inout ServiceConfiguration) -> Void = { _ in }) async throws {
        let outputs = try OutputStore(root: FileManager.default.temporaryDirectory.appendingPathComponent("kino-app-\(UUID().uuidString)"))
        var config = ServiceConfiguration(catalog: ModelCatalog(models: [TestPatternRenderer.modelName]))
        config.leaseMillis = 3_000
        config.styles = renderer.styles
        configure(&config)
        service = VideoService(configuration: config, store: try SQLiteStore.inMemory(), outputs: outputs, trust: trust, seedSource: { 1234 })
        alice = try await service.keys.create(name: "alice")
        bob = try await service.keys.create(name: "bob")
        reader = try await service.keys.create(name: "reader", scopes: [.read], project: alice.record.project)
        configuration = KinoServerConfiguration(
            service: service, renderer: renderer, workers: workers, insecureNoAuth: insecureNoAuth)
    }

    func run(_ test: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = try buildApplication(configuration: configuration)
        try await app.test(.router, test)
    }

    /// The app on a real socket (localhost, a free port), for tests of connection handling; the test gets the port.
    func runLive(_ test: @escaping @Sendable (any TestClientProtocol, Int) async throws -> Void) async throws {
        let app = try buildApplication(configuration: configuration)
        try await app.test(.live) { client in try await test(client, try #require(client.port)) }
    }
}

func auth(_ key: CreatedKey, _ extra: HTTPFields = [:]) -> HTTPFields {
    var fields = extra
    fields[.authorization] = "Bearer \(key.token)"
    return fields
}

func jsonHeaders(_ key: CreatedKey, _ extra: HTTPFields = [:]) -> HTTPFields {
    var fields = auth(key, extra)
    fields[.contentType] = "application/json"
    return fields
}

func body(_ object: [String: Any]) -> ByteBuffer {
    ByteBuffer(bytes: (try? JSONSerialization.data(withJSONObject: object)) ?? Data())
}

func multipart(_ fields: [(String, String)], file: (name: String, filename: String)? = nil, boundary: String = "XyZ123") -> ByteBuffer {
    var text = ""
    for (name, value) in fields {
        text += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n"
    }
    if let file {
        text += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(file.name)\"; filename=\"\(file.filename)\"\r\nContent-Type: image/png\r\n\r\nPNGDATA\r\n"
    }
    text += "--\(boundary)--\r\n"
    return ByteBuffer(string: text)
}

/// Decodes a response body as a JSON object.
func object(_ response: TestResponse) throws -> [String: Any] {
    (try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]) ?? [:]
}

/// The `error` member of an OpenAI-shaped error body.
func errorBody(_ response: TestResponse) throws -> [String: Any] {
    (try object(response)["error"] as? [String: Any]) ?? [:]
}

extension HTTPField.Name {
    static let requestIDTest = Self("x-request-id")!
    static let processingTest = Self("openai-processing-ms")!
    static let pollAfterTest = Self("openai-poll-after-ms")!
    static let idempotencyTest = Self("Idempotency-Key")!
    static let replayedTest = Self("Idempotent-Replayed")!
}
