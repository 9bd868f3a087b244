import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import KinoServer
import KinoService
import Testing

@Suite("/v1/videos routes")
struct VideoRouteTests {
    @Test func createWithJSONAndMultipartReturnsTheVideoObject() async throws {
        let app = try await TestApp()
        try await app.run { client in
            try await client.execute(uri: "/v1/videos", method: .post, headers: jsonHeaders(app.alice),
                                     body: body(["prompt": "a cat", "seconds": "8", "size": "1280x720", "seed": 7, "style": "noir", "turbo": true,
                                                 "cache": "easycache:0.05", "recipe": "turbo"])) { response in
                #expect(response.status == .ok)
                let video = try object(response)
                #expect(video["object"] as? String == "video" && video["status"] as? String == "queued")
                #expect(video["seconds"] as? String == "8" && video["size"] as? String == "1280x720" && video["progress"] as? Int == 0)
                #expect(video["seed"] as? Int == 7 && video["style"] as? String == "noir" && video["queue_position"] as? Int == 1)
                #expect(video["turbo"] as? Bool == true && video["cache"] as? String == "easycache:0.05"
                        && video["recipe"] as? String == "turbo")
                #expect(video["model"] as? String == "test-pattern")
                #expect((video["id"] as? String)?.hasPrefix("video_") == true)
                #expect(video.keys.contains("completed_at") && video["completed_at"] is NSNull, "null fields are present, as OpenAI sends them")
                #expect(response.headers[.requestIDTest]?.hasPrefix("req_") == true && response.headers[.processingTest] != nil)
            }
            var headers = auth(app.alice)
            headers[.contentType] = "multipart/form-data; boundary=XyZ123"
            try await client.execute(uri: "/v1/videos", method: .post, headers: headers,
                                     body: multipart([("prompt", "a dog"), ("model", "sora-2")])) { response in
                let video = try object(response)
                #expect(response.status == .ok && video["prompt"] as? String == "a dog" && video["model"] as? String == "sora-2")
                #expect(video["queue_position"] as? Int == 2 && video["seed"] as? Int == 1234 && video["size"] as? String == "720x1280")
            }
        }
    }

    /// `{"input_reference": {"image_url": ...}}` and multipart files reach validation as the SDK's forms; other
    /// members or types are errors naming `input_reference[member]`.
    @Test func inputReferenceBodiesKeepWhatTheyCarry() throws {
        let json = try KinoServer.RequestBody.json(Array(#"{"prompt":"x","input_reference":{"image_url":"data:image/png;base64,AAAA"}}"#.utf8))
        #expect(json.values["input_reference[image_url]"] == "data:image/png;base64,AAAA" && !json.objects.contains("input_reference"))
        #expect(throws: KinoServiceError.self) { try KinoServer.RequestBody.json(Array(#"{"input_reference":{"image_url":5}}"#.utf8)) }
        #expect(try KinoServer.RequestBody.json(Array(#"{"size":{"w":1}}"#.utf8)).objects == ["size"], "other objects stay refused by name")
        let form = try Multipart.parse(Array(multipart([("prompt", "x")], file: ("input_reference", "a.png")).readableBytesView), boundary: "XyZ123")
        #expect(form.files == ["input_reference"] && form.uploads["input_reference"] == Array("PNGDATA".utf8))
        // Extensions and edits: {"video": {"id"}} arrives as the SDK's multipart video[id]; other members stay, by name.
        let source = try KinoServer.RequestBody.json(Array(#"{"prompt":"x","video":{"id":"video_1","name":"n"}}"#.utf8))
        #expect(source.values["video[id]"] == "video_1" && source.values["video[name]"] == "n" && source.objects.isEmpty)
        let named = try Multipart.parse(Array(multipart([("prompt", "x"), ("video[id]", "video_1")]).readableBytesView), boundary: "XyZ123")
        #expect(named.values["video[id]"] == "video_1" && named.files.isEmpty)
    }

    @Test func errorsHaveTheOpenAIShape() async throws {
        let app = try await TestApp()
        try await app.run { client in
            func expectError(_ uri: String, _ method: HTTPRequest.Method = .post, headers: HTTPFields, body: ByteBuffer? = nil,
                             status: HTTPResponse.Status, type: String, param: String? = nil, code: String? = nil) async throws {
                try await client.execute(uri: uri, method: method, headers: headers, body: body) { response in
                    #expect(response.status == status, "\(uri)")
                    let error = try errorBody(response)
                    #expect(error["type"] as? String == type && (error["message"] as? String)?.isEmpty == false, "\(uri): \(error)")
                    #expect(error.keys.contains("param") && error.keys.contains("code"))
                    if let param { #expect(error["param"] as? String == param) }
                    if let code { #expect(error["code"] as? String == code) }
                    #expect(response.headers[.requestIDTest] != nil)
                }
            }
            let json = jsonHeaders(app.alice)
            try await expectError("/v1/videos", headers: json, body: body(["prompt": "x", "size": "1x1"]), status: .badRequest, type: "invalid_request_error", param: "size")
            try await expectError("/v1/videos", headers: json, body: body(["prompt": "x", "seconds": "5"]), status: .badRequest, type: "invalid_request_error", param: "seconds")
            try await expectError("/v1/videos", headers: json, body: body(["prompt": ""]), status: .badRequest, type: "invalid_request_error", param: "prompt")
            try await expectError("/v1/videos", headers: json, body: ByteBuffer(string: "{nope"), status: .badRequest, type: "invalid_request_error", code: "invalid_json")
            try await expectError("/v1/videos", headers: json, body: body(["prompt": "x", "input_reference": ["image_url": "http://x"]]),
                                  status: .badRequest, type: "invalid_request_error", param: "input_reference[image_url]", code: "unsupported")
            var form = auth(app.alice)
            form[.contentType] = "multipart/form-data; boundary=XyZ123"
            try await expectError("/v1/videos", headers: form, body: multipart([("prompt", "x")], file: ("input_reference", "a.png")),
                                  status: .badRequest, type: "invalid_request_error", code: "unsupported")
            try await expectError("/v1/videos/extensions", headers: json, body: body(["prompt": "x"]), status: .badRequest, type: "invalid_request_error", code: "unsupported")
            try await expectError("/v1/videos/edits", headers: json, body: body(["prompt": "x"]), status: .badRequest, type: "invalid_request_error", code: "unsupported")
            try await expectError("/v1/videos/extensions", headers: json, body: body(["prompt": "x", "seconds": "4", "video": ["id": "v", "name": "n"]]),
                                  status: .badRequest, type: "invalid_request_error", param: "video[name]", code: "unknown_parameter")
            try await expectError("/v1/videos/edits", headers: form, body: multipart([("prompt", "x"), ("video[id]", "v"), ("size", "1280x720")]),
                                  status: .badRequest, type: "invalid_request_error", param: "size", code: "unknown_parameter")
            try await expectError("/v1/videos/characters", headers: json, body: body(["name": "x"]), status: .badRequest, type: "invalid_request_error", code: "unsupported")
            try await expectError("/v1/videos/characters", headers: json, body: body(["name": "x", "voice": "y"]), status: .badRequest,
                                  type: "invalid_request_error", param: "voice", code: "unknown_parameter")
            try await expectError("/v1/videos/characters/char_nope", .get, headers: auth(app.alice), status: .notFound, type: "not_found_error")
            try await expectError("/v1/videos/video_nope", .get, headers: auth(app.alice), status: .notFound, type: "not_found_error")
            try await expectError("/v1/videos", .get, headers: [:], status: .unauthorized, type: "authentication_error", code: "missing_api_key")
            try await expectError("/v1/videos", .get, headers: [.authorization: "Bearer kino_bad"], status: .unauthorized, type: "authentication_error", code: "invalid_api_key")
            try await expectError("/v1/videos", headers: jsonHeaders(app.reader), body: body(["prompt": "x"]), status: .forbidden, type: "permission_error", code: "insufficient_scope")
            try await expectError("/v1/nothing-here", .get, headers: auth(app.alice), status: .notFound, type: "not_found_error")
        }
    }

    @Test func projectsAreIsolatedAndRevocationIsImmediate() async throws {
        let app = try await TestApp()
        try await app.run { client in
            let id = try await client.execute(uri: "/v1/videos", method: .post, headers: jsonHeaders(app.alice), body: body(["prompt": "mine"])) {
                try object($0)["id"] as? String ?? ""
            }
            for uri in ["/v1/videos/\(id)", "/v1/videos/\(id)/content"] {
                try await client.execute(uri: uri, method: .get, headers: auth(app.bob)) { #expect($0.status == .notFound) }
            }
            try await client.execute(uri: "/v1/videos/\(id)", method: .delete, headers: auth(app.bob)) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/v1/videos/\(id)", method: .get, headers: auth(app.reader)) { response in
                #expect(response.status == .ok, "a read key of the same project sees it")
                #expect(response.headers[.pollAfterTest] != nil)
            }
            try await app.service.keys.revoke(id: app.alice.record.id)
            try await client.execute(uri: "/v1/videos/\(id)", method: .get, headers: auth(app.alice)) { response in
                let hoisted1 = try errorBody(response)["code"] as? String
                #expect(response.status == .unauthorized && hoisted1 == "revoked_api_key")
            }
        }
    }

    @Test func listPaginatesWithCursors() async throws {
        let app = try await TestApp()
        try await app.run { client in
            var ids: [String] = []
            for i in 0..<5 {
                ids.append(try await client.execute(uri: "/v1/videos", method: .post, headers: jsonHeaders(app.alice), body: body(["prompt": "v\(i)"])) {
                    try object($0)["id"] as? String ?? ""
                })
            }
            var seen: [String] = []
            var after: String?
            var pages = 0
            repeat {
                let uri = "/v1/videos?limit=2" + (after.map { "&after=\($0)" } ?? "")
                let page = try await client.execute(uri: uri, method: .get, headers: auth(app.alice)) { try object($0) }
                #expect(page["object"] as? String == "list")
                let data = page["data"] as? [[String: Any]] ?? []
                seen += data.compactMap { $0["id"] as? String }
                #expect(page["first_id"] as? String == data.first?["id"] as? String)
                after = (page["has_more"] as? Bool == true) ? page["last_id"] as? String : nil
                pages += 1
            } while after != nil && pages < 10
            #expect(seen == ids.reversed() && pages == 3)
            let asc = try await client.execute(uri: "/v1/videos?order=asc&limit=100", method: .get, headers: auth(app.alice)) { try object($0) }
            #expect(((asc["data"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String } == ids)
            try await client.execute(uri: "/v1/videos?limit=0", method: .get, headers: auth(app.alice)) { #expect($0.status == .badRequest) }
            try await client.execute(uri: "/v1/videos?order=sideways", method: .get, headers: auth(app.alice)) { #expect($0.status == .badRequest) }
            let other = try await client.execute(uri: "/v1/videos", method: .get, headers: auth(app.bob)) { try object($0) }
            #expect((other["data"] as? [Any])?.isEmpty == true && other["has_more"] as? Bool == false)
        }
    }

    @Test func idempotencyKeyReplaysConflictsAndRejectsReuse() async throws {
        let app = try await TestApp()
        try await app.run { client in
            let headers = jsonHeaders(app.alice, [.idempotencyTest: "key-1"])
            let first = try await client.execute(uri: "/v1/videos", method: .post, headers: headers, body: body(["prompt": "once"])) { try object($0) }
            try await client.execute(uri: "/v1/videos", method: .post, headers: headers, body: body(["prompt": "once"])) { response in
                let replayedID = try object(response)["id"] as? String
                #expect(replayedID == first["id"] as? String)
                #expect(response.headers[.replayedTest] == "true")
            }
            try await client.execute(uri: "/v1/videos", method: .post, headers: headers, body: body(["prompt": "different"])) { response in
                let hoisted1 = try errorBody(response)["code"] as? String
                #expect(response.status == .unprocessableContent && hoisted1 == "idempotency_key_reused")
            }
            // The same key in another project is independent.
            try await client.execute(uri: "/v1/videos", method: .post, headers: jsonHeaders(app.bob, [.idempotencyTest: "key-1"]), body: body(["prompt": "different"])) {
                #expect($0.status == .ok)
            }
            // A first request still running: 409.
            _ = try await app.service.store.beginIdempotent(project: app.alice.record.project, key: "key-2", requestHash: Idempotency.fingerprint(route: "POST /v1/videos", fields: RequestFields(values: ["prompt": "x"])), now: Clock.nowMillis(), retentionMillis: 60_000)
            try await client.execute(uri: "/v1/videos", method: .post, headers: jsonHeaders(app.alice, [.idempotencyTest: "key-2"]), body: body(["prompt": "x"])) {
                #expect($0.status == .conflict)
            }
            // Client errors are stored and replayed too.
            let bad = jsonHeaders(app.alice, [.idempotencyTest: "key-3"])
            try await client.execute(uri: "/v1/videos", method: .post, headers: bad, body: body(["prompt": "x", "size": "2x2"])) { #expect($0.status == .badRequest) }
            try await client.execute(uri: "/v1/videos", method: .post, headers: bad, body: body(["prompt": "x", "size": "2x2"])) { response in
                #expect(response.status == .badRequest && response.headers[.replayedTest] == "true")
            }
            let count = try await app.service.store.list(project: app.alice.record.project, after: nil, limit: 100, order: .asc).jobs.count
            #expect(count == 1)
        }
    }

    @Test func cancelAndDeleteQueuedVideos() async throws {
        let app = try await TestApp()
        try await app.run { client in
            let ids = try await [0, 1].asyncMap { i in
                try await client.execute(uri: "/v1/videos", method: .post, headers: jsonHeaders(app.alice), body: body(["prompt": "c\(i)"])) {
                    try object($0)["id"] as? String ?? ""
                }
            }
            try await client.execute(uri: "/v1/videos/\(ids[0])/cancel", method: .post, headers: auth(app.alice)) { response in
                let video = try object(response)
                #expect(video["status"] as? String == "failed" && (video["error"] as? [String: Any])?["code"] as? String == "cancelled")
            }
            try await client.execute(uri: "/v1/videos/\(ids[1])", method: .delete, headers: auth(app.alice)) { response in
                let deleted = try object(response)
                #expect(deleted["object"] as? String == "video.deleted" && deleted["deleted"] as? Bool == true && deleted["id"] as? String == ids[1])
            }
            try await client.execute(uri: "/v1/videos/\(ids[1])", method: .get, headers: auth(app.alice)) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/v1/videos/\(ids[0])/content", method: .get, headers: auth(app.alice)) { response in
                let hoisted1 = try errorBody(response)["code"] as? String
                #expect(response.status == .badRequest && hoisted1 == "video_not_ready")
            }
        }
    }

    @Test func openAPIDocumentDescribesEveryRoute() async throws {
        let app = try await TestApp()
        try await app.run { client in
            try await client.execute(uri: "/v1/openapi.yaml", method: .get) { response in
                let yaml = String(buffer: response.body)
                #expect(response.status == .ok && yaml.hasPrefix("openapi: 3.1.0"))
                // Every route the server registers is in the document, except the studio's pages, the icon and the OpenAI
                // routes that only ever answer 400 unsupported (offered, they would promise what is refused).
                let refused: Set<String> = []
                let paths = Set(try buildRouter(configuration: app.configuration).routes.map(\.path.description))
                #expect(paths.contains("/v1/videos/{video_id}/content") && paths.count > 20)
                for path in paths.sorted() where path != "/" && !path.hasPrefix("/studio") && !path.hasPrefix("/favicon") {
                    if refused.contains(path) {
                        #expect(!yaml.contains("\n  \(path):\n"), "\(path) is refused by the server but documented")
                    } else {
                        #expect(yaml.contains("\n  \(path):\n"), "\(path) missing")
                    }
                }
            }
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test func byteRanges() {
        #expect(ByteRange.parse("bytes=0-99", size: 1000) == .partial(0...99))
        #expect(ByteRange.parse("bytes=900-", size: 1000) == .partial(900...999))
        #expect(ByteRange.parse("bytes=-100", size: 1000) == .partial(900...999))
        #expect(ByteRange.parse("bytes=990-5000", size: 1000) == .partial(990...999))
        #expect(ByteRange.parse("bytes=1000-", size: 1000) == .unsatisfiable)
        #expect(ByteRange.parse("bytes=999999999-", size: 1000) == .unsatisfiable)
        #expect(ByteRange.parse("bytes=-0", size: 1000) == .unsatisfiable)
        #expect(ByteRange.parse("bytes=5-1", size: 1000) == .whole)
        #expect(ByteRange.parse("bytes=0-1,5-6", size: 1000) == .whole)
        #expect(ByteRange.parse("items=0-1", size: 1000) == .whole)
        #expect(ByteRange.parse(nil, size: 1000) == .whole)
    }

    /// A range past the end of the file is 416 with `Content-Range: bytes */size`, not the whole file.
    @Test func anUnsatisfiableRangeIs416() async throws {
        let app = try await TestApp(workers: 1)
        try await app.run { client in
            var id = ""
            try await client.execute(uri: "/v1/videos", method: .post, headers: jsonHeaders(app.alice),
                                     body: body(["prompt": "a cat", "seconds": "4", "size": "720x1280"])) { response in
                id = try object(response)["id"] as? String ?? ""
            }
            var status = ""
            for _ in 0..<300 where status != "completed" {
                try await Task.sleep(for: .milliseconds(50))
                try await client.execute(uri: "/v1/videos/\(id)", method: .get, headers: auth(app.alice)) { response in
                    status = try object(response)["status"] as? String ?? ""
                }
            }
            #expect(status == "completed")
            try await client.execute(uri: "/v1/videos/\(id)/content", method: .get,
                                     headers: auth(app.alice, [.range: "bytes=999999999-"])) { response in
                #expect(response.status == .rangeNotSatisfiable)
                #expect(response.headers[.contentRange]?.hasPrefix("bytes */") == true)
            }
            try await client.execute(uri: "/v1/videos/\(id)/content", method: .get,
                                     headers: auth(app.alice, [.range: "bytes=0-9"])) { response in
                #expect(response.status == .partialContent && response.body.readableBytes == 10)
            }
        }
    }

    @Test func insecureNoAuthOnlyOnLoopback() async throws {
        let app = try await TestApp()
        var config = app.configuration
        config.insecureNoAuth = true
        config.host = "0.0.0.0"
        #expect(throws: KinoServerError.self) { _ = try buildApplication(configuration: config) }
        config.host = "127.0.0.1"
        _ = try buildApplication(configuration: config)
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
