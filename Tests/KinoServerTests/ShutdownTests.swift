import Foundation
import Hummingbird
import HummingbirdTesting
import KinoServer
import KinoService
import Logging
import ServiceLifecycle
import Synchronization
import Testing

@Suite("Graceful shutdown")
struct ShutdownTests {
    /// Opens an SSE stream on a queued video (no workers, so it would never end by itself) as a service of a
    /// ServiceGroup, then shuts the group down: the stream must end with a `reconnect` event.
    @Test func eventStreamsEndOnShutdown() async throws {
        let app = try await TestApp(workers: 0)
        let principal = try await app.service.keys.authenticate(token: app.alice.token)
        let job = try await app.service.create(RequestFields(values: ["prompt": "a cat"]), principal: principal)
        let received = Received()
        let client = StreamClient(app: app, path: "/v1/videos/\(job.id)/events", received: received)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: client, successTerminationBehavior: .gracefullyShutdownGroup)],
            logger: Logger(label: "kino.test")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await Task.sleep(for: .milliseconds(800))
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        let text = try #require(received.text.withLock { $0 })
        #expect(text.contains("event: video"))
        #expect(text.hasSuffix("retry: 2000\nevent: reconnect\ndata: {\"reason\":\"the server is shutting down\"}\n\n"))
    }
}

final class Received: Sendable {
    let text = Mutex<String?>(nil)
}

/// Reads one SSE stream to its end inside a service, so the request sees the group's graceful shutdown.
private struct StreamClient: Service {
    let app: TestApp
    let path: String
    let received: Received

    func run() async throws {
        let app = self.app
        let path = self.path
        let received = self.received
        try await app.run { client in
            try await client.execute(uri: path, method: .get, headers: auth(app.alice)) { response in
                received.text.withLock { $0 = String(buffer: response.body) }
            }
        }
    }
}
