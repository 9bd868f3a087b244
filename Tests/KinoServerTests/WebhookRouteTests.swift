import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KinoServer
import KinoService
import NIOCore
import Testing

/// `/v1/webhook_endpoints`: the SDK's shapes, and no field silently ignored in JSON, multipart or form bodies.
@Suite("Webhook routes")
struct WebhookRouteTests {
    static let hook = "http://127.0.0.1:9/hook"

    func app() async throws -> TestApp {
        try await TestApp { $0.webhooks.allowPrivate = true }
    }

    @Test func createRetrieveListAndDelete() async throws {
        let app = try await app()
        try await app.run { client in
            var id = ""
            try await client.execute(uri: "/v1/webhook_endpoints", method: .post, headers: jsonHeaders(app.alice),
                                     body: body(["name": "ci", "url": Self.hook, "event_types": ["video.completed", "video.cancelled"]])) { response in
                let endpoint = try object(response)
                #expect(response.status == .ok, "\(endpoint)")
                #expect(endpoint["object"] as? String == "webhook_endpoint" && endpoint["event_types"] as? [String] == ["video.completed", "video.cancelled"])
                let secret = try #require(endpoint["signing_secret"] as? String)
                #expect(secret.hasPrefix("whsec_") && (endpoint["signing_secret_hint"] as? String)?.hasSuffix(String(secret.suffix(4))) == true)
                id = try #require(endpoint["id"] as? String)
            }
            try await client.execute(uri: "/v1/webhook_endpoints/\(id)", method: .get, headers: auth(app.alice)) { response in
                let endpoint = try object(response)
                #expect(response.status == .ok && endpoint["signing_secret"] == nil, "the secret is shown only on create and rotation")
            }
            try await client.execute(uri: "/v1/webhook_endpoints/\(id)", method: .get, headers: auth(app.bob)) { response in
                #expect(response.status == .notFound, "another project's endpoint")
            }
            try await client.execute(uri: "/v1/webhook_endpoints?limit=10", method: .get, headers: auth(app.reader)) { response in
                let page = try object(response)
                #expect((page["data"] as? [[String: Any]])?.count == 1 && page["has_more"] as? Bool == false)
            }
            try await client.execute(uri: "/v1/webhook_endpoints", method: .post, headers: jsonHeaders(app.reader),
                                     body: body(["name": "x", "url": Self.hook, "event_types": ["video.completed"]])) { response in
                #expect(response.status == .forbidden, "a read-only key cannot add endpoints")
            }
            try await client.execute(uri: "/v1/webhook_endpoints/\(id)/test", method: .post, headers: jsonHeaders(app.alice),
                                     body: body(["event_type": "video.completed"])) { response in
                let error = try errorBody(response)
                #expect(response.status == .badRequest && error["code"] as? String == "webhook_unreachable", "\(error)")
            }
            try await client.execute(uri: "/v1/webhook_endpoints/\(id)", method: .delete, headers: auth(app.alice)) { response in
                let deleted = try object(response)
                #expect(deleted["deleted"] as? Bool == true)
            }
            try await client.execute(uri: "/v1/webhook_endpoints/\(id)", method: .get, headers: auth(app.alice)) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    /// Each body type a client may use, with something the route does not take: a 400 naming it.
    @Test func nothingIsIgnoredInAnyBodyType() async throws {
        let app = try await app()
        try await app.run { client in
            func expect400(_ uri: String, _ contentType: String, _ payload: ByteBuffer, param: String, code: String,
                           sourceLocation: SourceLocation = #_sourceLocation) async throws {
                var headers = auth(app.alice)
                headers[.contentType] = contentType
                try await client.execute(uri: uri, method: .post, headers: headers, body: payload) { response in
                    let error = try errorBody(response)
                    #expect(response.status == .badRequest, "\(error)", sourceLocation: sourceLocation)
                    #expect(error["param"] as? String == param && error["code"] as? String == code, "\(error)", sourceLocation: sourceLocation)
                }
            }
            let uri = "/v1/webhook_endpoints"
            try await expect400(uri, "application/json", body(["name": "a", "url": Self.hook, "event_types": ["video.completed"], "secret": "mine"]),
                                param: "secret", code: "unknown_parameter")
            try await expect400(uri, "application/json", body(["name": "a", "url": Self.hook, "event_types": [["type": "video.completed"]]]),
                                param: "event_types", code: "invalid_type")
            try await expect400(uri, "application/json", body(["name": "a", "url": Self.hook, "event_types": ["batch.completed"]]),
                                param: "event_types", code: "invalid_value")
            try await expect400(uri, "application/json", body(["name": "a", "url": Self.hook]), param: "event_types", code: "missing_required_parameter")
            try await expect400(uri, "multipart/form-data; boundary=XyZ123",
                                multipart([("name", "a"), ("url", Self.hook), ("event_types", "video.completed"), ("metadata[team]", "x")]),
                                param: "metadata[team]", code: "unknown_parameter")
            try await expect400(uri, "application/x-www-form-urlencoded",
                                ByteBuffer(string: "name=a&url=\(Self.hook)&event_types=video.completed&enabled=true"),
                                param: "enabled", code: "unknown_parameter")
            try await expect400(uri, "application/json", body(["name": "a", "url": "ftp://example.com/x", "event_types": ["video.completed"]]),
                                param: "url", code: "invalid_value")
            // A form lists events comma-separated, as `kino webhooks create --events` does.
            var headers = auth(app.alice)
            headers[.contentType] = "application/x-www-form-urlencoded"
            try await client.execute(uri: uri, method: .post, headers: headers,
                                     body: ByteBuffer(string: "name=a&url=\(Self.hook)&event_types=video.completed,video.failed")) { response in
                let endpoint = try object(response)
                #expect(endpoint["event_types"] as? [String] == ["video.completed", "video.failed"])
            }
            try await client.execute(uri: "/v1/webhook_endpoints?order=asc", method: .get, headers: auth(app.alice)) { response in
                let error = try errorBody(response)
                #expect(response.status == .badRequest && error["param"] as? String == "order")
            }
            try await expect400("/v1/webhook_endpoints/whep_none/rotate_secret", "application/json",
                                body(["keep_old_secret_active_for_24_hours": "yes"]), param: "keep_old_secret_active_for_24_hours", code: "invalid_type")
        }
    }

    /// Without `--allow-private-webhooks` loopback, private and plain-http targets are refused when the endpoint is made.
    @Test func privateTargetsNeedTheOperatorsFlag() async throws {
        let app = try await TestApp()
        try await app.run { client in
            for url in [Self.hook, "https://10.0.0.7/hook", "https://[fd00::1]/hook", "https://169.254.169.254/latest"] {
                try await client.execute(uri: "/v1/webhook_endpoints", method: .post, headers: jsonHeaders(app.alice),
                                         body: body(["name": "a", "url": url, "event_types": ["video.completed"]])) { response in
                    let error = try errorBody(response)
                    #expect(response.status == .badRequest && error["param"] as? String == "url", "\(url): \(error)")
                    #expect((error["message"] as? String)?.contains("--allow-private-webhooks") == true, "\(url): \(error)")
                }
            }
        }
    }
}
