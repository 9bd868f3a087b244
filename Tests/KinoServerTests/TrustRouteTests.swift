import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KinoServer
import KinoService
import Testing

/// Limits, moderation, pause and review through HTTP, in process.
@Suite("Trust routes")
struct TrustRouteTests {
    static func moderated() throws -> TrustSettings {
        TrustSettings(moderator: Moderator(policy: try Moderator.defaultPolicy(), source: "test"))
    }

    func store(_ app: TestApp) throws -> any TrustStore {
        try #require(app.service.store as? any TrustStore)
    }

    @Test func rateLimitHeadersAnd429() async throws {
        let app = try await TestApp()
        _ = try await store(app).updateKeyLimits(id: app.alice.record.id, ["rate_per_minute": .value(2)])
        try await app.run { client in
            for remaining in ["1", "0"] {
                try await client.execute(uri: "/v1/videos", method: .get, headers: auth(app.alice)) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[HTTPField.Name("x-ratelimit-limit-requests")!] == "2")
                    #expect(response.headers[HTTPField.Name("x-ratelimit-remaining-requests")!] == remaining)
                    #expect(response.headers[HTTPField.Name("x-ratelimit-reset-requests")!]?.hasSuffix("s") == true)
                }
            }
            try await client.execute(uri: "/v1/videos", method: .get, headers: auth(app.alice)) { response in
                #expect(response.status == .tooManyRequests)
                #expect(Int(response.headers[HTTPField.Name("retry-after")!] ?? "") ?? 0 >= 1)
                #expect(response.headers[HTTPField.Name("x-ratelimit-remaining-requests")!] == "0")
                let error = try errorBody(response)
                #expect(error["type"] as? String == "rate_limit_error" && error["code"] as? String == "rate_limit_exceeded")
            }
            // Bob has no limit: no headers, never 429.
            try await client.execute(uri: "/v1/videos", method: .get, headers: auth(app.bob)) { response in
                #expect(response.status == .ok && response.headers[HTTPField.Name("x-ratelimit-limit-requests")!] == nil)
            }
        }
    }

    @Test func moderatedPromptIs400() async throws {
        let app = try await TestApp(trust: try Self.moderated())
        try await app.run { client in
            try await client.execute(uri: "/v1/videos", method: .post, headers: jsonHeaders(app.alice),
                                     body: body(["prompt": "a sch00l sh00ting, students being shot"])) { response in
                #expect(response.status == .badRequest)
                let error = try errorBody(response)
                #expect(error["code"] as? String == "moderation_blocked" && error["param"] as? String == "prompt")
                #expect(error["type"] as? String == "invalid_request_error")
            }
            try await client.execute(uri: "/v1/videos", method: .post, headers: jsonHeaders(app.alice),
                                     body: body(["prompt": "a killer whale at sunset"])) { #expect($0.status == .ok) }
        }
    }

    @Test func pauseAndResumeOverHTTP() async throws {
        let app = try await TestApp()
        let admin = try await app.service.keys.create(name: "admin", scopes: [.admin])
        try await app.run { client in
            try await client.execute(uri: "/v1/admin/pause", method: .post, headers: jsonHeaders(app.alice), body: body(["message": "x"])) {
                #expect($0.status == .forbidden)
            }
            try await client.execute(uri: "/v1/admin/pause", method: .post, headers: jsonHeaders(admin), body: body(["message": "Back at noon"])) {
                let paused = try object($0)["paused"] as? Bool
                #expect($0.status == .ok && paused == true)
            }
            try await client.execute(uri: "/v1/videos", method: .post, headers: jsonHeaders(app.alice), body: body(["prompt": "a cat"])) { response in
                #expect(response.status == .serviceUnavailable)
                let error = try errorBody(response)
                #expect((error["message"] as? String)?.contains("Back at noon") == true && error["code"] as? String == "service_paused")
            }
            try await client.execute(uri: "/v1/videos", method: .get, headers: auth(app.alice)) { #expect($0.status == .ok, "reads still work") }
            try await client.execute(uri: "/v1/admin/resume", method: .post, headers: auth(admin)) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v1/videos", method: .post, headers: jsonHeaders(app.alice), body: body(["prompt": "a cat"])) {
                #expect($0.status == .ok)
            }
        }
    }

    @Test func uploadLimitPerKey() async throws {
        let app = try await TestApp()
        _ = try await store(app).updateKeyLimits(id: app.alice.record.id, ["max_upload_bytes": .value(64)])
        try await app.run { client in
            let big = String(repeating: "a red ball ", count: 20)
            try await client.execute(uri: "/v1/videos", method: .post, headers: jsonHeaders(app.alice), body: body(["prompt": big])) { response in
                let code = try errorBody(response)["code"] as? String
                #expect(response.status.code == 413 && code == "request_too_large")
            }
            try await client.execute(uri: "/v1/videos", method: .post, headers: jsonHeaders(app.bob), body: body(["prompt": big])) { #expect($0.status == .ok) }
        }
    }

    @Test func publishReviewShareAndGallery() async throws {
        let app = try await TestApp(workers: 1)
        let moderator = try await app.service.keys.create(name: "mod", scopes: [.moderator])
        try await app.run { client in
            let id = try await client.execute(uri: "/v1/videos", method: .post, headers: jsonHeaders(app.alice),
                                              body: body(["prompt": "a <b>bold</b> red ball", "size": "1280x720"])) { try object($0)["id"] as? String ?? "" }
            for _ in 0..<400 {
                let status = try await client.execute(uri: "/v1/videos/\(id)", method: .get, headers: auth(app.alice)) { try object($0)["status"] as? String }
                if status == "completed" { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            try await client.execute(uri: "/share/\(id)", method: .get) { #expect($0.status == .notFound, "private until approved") }
            try await client.execute(uri: "/v1/videos/\(id)/publish", method: .post, headers: auth(app.bob)) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/v1/videos/\(id)/publish", method: .post, headers: auth(app.alice)) { response in
                let state = try object(response)["state"] as? String
                #expect(state == "pending")
            }
            try await client.execute(uri: "/v1/review", method: .get, headers: auth(app.alice)) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/v1/review", method: .get, headers: auth(moderator)) { response in
                let data = try object(response)["data"] as? [[String: Any]] ?? []
                #expect(data.map { $0["video_id"] as? String } == [id] && data.first?["prompt"] as? String == "a <b>bold</b> red ball")
            }
            try await client.execute(uri: "/v1/review/\(id)/content", method: .get, headers: auth(moderator)) {
                #expect($0.status == .ok && $0.headers[.contentType] == "video/mp4")
            }
            try await client.execute(uri: "/v1/review/\(id)/approve", method: .post, headers: jsonHeaders(moderator), body: body(["reason": "fine"])) { response in
                let share = try object(response)
                #expect(share["state"] as? String == "approved" && share["share_url"] as? String == "/share/\(id)")
            }
            try await client.execute(uri: "/share/\(id)", method: .get) { response in
                let page = String(buffer: response.body)
                #expect(response.status == .ok && page.contains("<video") && page.contains("a &lt;b&gt;bold&lt;/b&gt; red ball"))
            }
            try await client.execute(uri: "/share/\(id)/video.mp4", method: .get) { #expect($0.status == .ok && $0.headers[.contentType] == "video/mp4") }
            try await client.execute(uri: "/gallery", method: .get) { #expect(String(buffer: $0.body).contains("/share/\(id)")) }
            try await client.execute(uri: "/v1/review/\(id)/reject", method: .post, headers: auth(moderator)) { #expect($0.status == .ok) }
            try await client.execute(uri: "/share/\(id)", method: .get) { #expect($0.status == .notFound, "a rejection withdraws the page") }
            try await client.execute(uri: "/studio/review", method: .get) { #expect(String(buffer: $0.body).contains("review.js")) }
        }
    }
}
