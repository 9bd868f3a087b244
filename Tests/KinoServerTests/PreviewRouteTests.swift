import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KinoServer
import KinoService
import KinoTestSupport
import Testing

/// Previews while a video renders: the Video object says which step the latest shows, the picture is served to
/// its owner only while it renders, and `/v1/models` says what the served model can do.
@Suite("Render previews")
struct PreviewRouteTests {
    @Test func aRunningVideoServesItsLatestPreviewToItsOwnerOnly() async throws {
        let app = try await TestApp(workers: 1, renderer: TestPatternRenderer(steps: 6, stepDelay: 0.25))
        try await app.run { client in
            let id = try await client.execute(uri: "/v1/videos", method: .post, headers: jsonHeaders(app.alice), body: body(["prompt": "a red ball"])) {
                try object($0)["id"] as? String ?? ""
            }
            var seen: [String: Any] = [:]
            for _ in 0..<200 {
                seen = try await client.execute(uri: "/v1/videos/\(id)", method: .get, headers: auth(app.alice)) { try object($0) }
                if seen["preview"] != nil || seen["status"] as? String == "completed" { break }
                try await Task.sleep(for: .milliseconds(25))
            }
            let preview = try #require(seen["preview"] as? [String: Any], "a running video names its preview")
            #expect((preview["step"] as? Int ?? 0) >= 1 && preview["url"] as? String == "/v1/videos/\(id)/preview")
            try await client.execute(uri: "/v1/videos/\(id)/preview", method: .get, headers: auth(app.alice)) { response in
                #expect(response.status == .ok && response.headers[.contentType] == "image/png" && response.headers[.cacheControl] == "no-store")
                #expect(Array(response.body.readableBytesView.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
            }
            try await client.execute(uri: "/v1/videos/\(id)/preview", method: .get, headers: auth(app.bob)) { response in
                #expect(response.status == .notFound, "another project's video does not exist for it")
            }
            try await client.execute(uri: "/v1/videos/\(id)/preview?step=2", method: .get, headers: auth(app.alice)) { response in
                #expect(response.status == .badRequest && String(buffer: response.body).contains(#""param":"step""#))
            }
            for _ in 0..<400 {
                let video = try await client.execute(uri: "/v1/videos/\(id)", method: .get, headers: auth(app.alice)) { try object($0) }
                if video["status"] as? String == "completed" {
                    #expect(video["preview"] == nil, "finished videos have their thumbnail instead")
                    break
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            try await client.execute(uri: "/v1/videos/\(id)/preview", method: .get, headers: auth(app.alice)) { response in
                #expect(response.status == .ok, "the last picture stays fetchable for a client that saw it as the render ended")
            }
            let queued = try await client.execute(uri: "/v1/videos", method: .post, headers: jsonHeaders(app.alice), body: body(["prompt": "a blue cube"])) {
                try object($0)["id"] as? String ?? ""
            }
            _ = try await client.execute(uri: "/v1/videos/\(queued)/cancel", method: .post, headers: auth(app.alice)) { _ in }
            try await client.execute(uri: "/v1/videos/\(queued)/preview", method: .get, headers: auth(app.alice)) { response in
                #expect(response.status == .noContent && response.body.readableBytes == 0, "no picture yet is an empty answer")
            }
        }
    }

    @Test func modelsSayWhatTheServedModelCanDo() async throws {
        let app = try await TestApp()
        try await app.run { client in
            let models = try await client.execute(uri: "/v1/models", method: .get, headers: auth(app.alice)) { try object($0) }
            let served = try #require((models["data"] as? [[String: Any]])?.first { $0["id"] as? String == TestPatternRenderer.modelName })
            let capabilities = try #require(served["capabilities"] as? [String: Bool])
            #expect(capabilities == ["image_to_video": false, "extend": false, "edit": false, "remix": true, "previews": true])
            #expect(served["vocabulary"] == nil, "the test pattern declares no words")
        }
    }
}
