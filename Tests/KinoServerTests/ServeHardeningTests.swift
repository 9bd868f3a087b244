import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import KinoServer
import KinoService
import KinoTestSupport
import Testing

/// A route that exists but not with the method sent answers 405 with `Allow` (GET implying HEAD) in OpenAI's
/// error shape; a path no route has stays 404.
@Suite("Methods")
struct MethodTests {
    @Test func knownRoutesAnswer405WithAllow() async throws {
        let app = try await TestApp()
        let cases: [(String, HTTPRequest.Method, String)] = [
            ("/v1/videos", .options, "GET, HEAD, POST"),
            ("/v1/videos", .trace, "GET, HEAD, POST"),
            ("/v1/videos", .put, "GET, HEAD, POST"),
            ("/v1/videos/video_123", .patch, "DELETE, GET, HEAD"),
            ("/v1/videos/video_123/content", .post, "GET, HEAD"),
            ("/v1/videos/characters", .get, "POST"),
            ("/healthz", .options, "GET, HEAD"),
            ("/studio/session", .delete, "GET, HEAD, POST"),
            ("/v1/admin/pause", .delete, "GET, HEAD, POST"),
        ]
        try await app.run { client in
            for (path, method, allow) in cases {
                try await client.execute(uri: path, method: method, headers: auth(app.alice)) { response in
                    #expect(response.status == .methodNotAllowed, "\(method) \(path)")
                    #expect(response.headers[.allow] == allow, "\(method) \(path)")
                    let error = try errorBody(response)
                    #expect(error["code"] as? String == "method_not_allowed" && error["type"] as? String == "invalid_request_error", "\(error)")
                    #expect(error.keys.sorted() == ["code", "message", "param", "type"], "\(error)")
                    #expect(response.headers[.requestIDTest] != nil)
                }
            }
            for (path, method) in [("/v1/nothing-here", HTTPRequest.Method.options), ("/v1/videos/a/b/c", .trace), ("/nope", .get)] {
                try await client.execute(uri: path, method: method) { response in
                    #expect(response.status == .notFound, "\(method) \(path)")
                    #expect(response.headers[.allow] == nil)
                }
            }
            // A handler's own 404 (a video that does not exist) is not turned into a 405.
            try await client.execute(uri: "/v1/videos/video_nope", method: .get, headers: auth(app.alice)) { #expect($0.status == .notFound) }
        }
    }
}

/// `{"prompt":"a","prompt":"b"}` means different things to different readers; it is refused, naming the key,
/// at any depth and however the key is escaped.
@Suite("Duplicate JSON keys")
struct DuplicateJSONKeyTests {
    @Test func repeatedKeysAre400() async throws {
        let app = try await TestApp()
        try await app.run { client in
            let bodies: [(String, String)] = [
                (#"{"prompt":"a cat","prompt":"a dog"}"#, "prompt"),
                (#"{"prompt":"a cat","seconds":"4","pr\u006fmpt":"a dog"}"#, "prompt"),
                (#"{"prompt":"a cat","metadata":{"x":1,"x":2}}"#, "x"),
                (#"{"prompt":"a cat","seed":1,"seed":null}"#, "seed"),
            ]
            for (json, key) in bodies {
                try await client.execute(uri: "/v1/videos", method: .post, headers: jsonHeaders(app.alice), body: ByteBuffer(string: json)) { response in
                    let error = try errorBody(response)
                    #expect(response.status == .badRequest, "\(json)")
                    #expect(error["code"] as? String == "duplicate_parameter" && error["param"] as? String == key, "\(json): \(error)")
                }
            }
        }
    }

    /// JSON values keep their type: a null, a number where text belongs or text where a number or boolean
    /// belongs is a 400 naming the field, never converted or dropped; the right types are accepted.
    @Test func jsonTypesAreChecked() async throws {
        let app = try await TestApp()
        try await app.run { client in
            let bodies: [(String, String?)] = [
                (#"{"prompt":"a cat","turbo":null}"#, "turbo"),
                (#"{"prompt":"a cat","seconds":8}"#, "seconds"),
                (#"{"prompt":"a cat","turbo":"true"}"#, "turbo"),
                (#"{"prompt":"a cat","seed":"7"}"#, "seed"),
                (#"{"prompt":"a cat","seed":true}"#, "seed"),
                (#"{"prompt":1}"#, "prompt"),
                (#"{"prompt":"a cat","seed":1,"steps":0.5e1,"guidance":1,"turbo":false,"seconds":"4"}"#, nil),
            ]
            for (json, param) in bodies {
                try await client.execute(uri: "/v1/videos", method: .post, headers: jsonHeaders(app.alice), body: ByteBuffer(string: json)) { response in
                    if let param {
                        let error = try errorBody(response)
                        #expect(response.status == .badRequest, "\(json)")
                        #expect(error["code"] as? String == "invalid_type" && error["param"] as? String == param, "\(json): \(error)")
                    } else {
                        #expect(response.status == .ok, "\(json): \(String(buffer: response.body))")
                    }
                }
            }
        }
        #expect(throws: KinoServiceError.self) { try KinoServer.RequestBody.json(Array(#"{"reason":true}"#.utf8)) }
        #expect(try KinoServer.RequestBody.json(Array(#"{"reason":"blurry"}"#.utf8)).values["reason"] == "blurry")
    }

    @Test func theScannerKeepsObjectsApart() {
        #expect(JSONDuplicateKeys.firstDuplicate(in: Array(#"{"a":{"b":1},"b":{"a":2},"c":[{"a":1},{"a":2}]}"#.utf8)) == nil)
        #expect(JSONDuplicateKeys.firstDuplicate(in: Array(#"{"a":"\"a\":","a":1}"#.utf8)) == "a")
        #expect(JSONDuplicateKeys.firstDuplicate(in: Array(#"{"\ud83c\udfac":1,"🎬":2}"#.utf8)) == "🎬")
        #expect(JSONDuplicateKeys.firstDuplicate(in: Array(#"["a","a"]"#.utf8)) == nil)
    }
}

/// A failed job's error shows the client a code and a generic message; the path goes to the server's log.
@Suite("Storage errors")
struct StorageErrorTests {
    @Test func theClientSeesNoServerPath() async throws {
        var app = try await TestApp(workers: 1)
        let log = LogCapture()
        app.configuration.logger = log.logger()
        let root = app.service.outputs.root
        try FileManager.default.removeItem(at: root)
        try Data("not a folder".utf8).write(to: root)
        let running = app
        try await running.run { client in
            var id = ""
            try await client.execute(uri: "/v1/videos", method: .post, headers: jsonHeaders(running.alice), body: body(["prompt": "a cat"])) {
                id = try object($0)["id"] as? String ?? ""
            }
            var video: [String: Any] = [:]
            for _ in 0..<300 {
                try await client.execute(uri: "/v1/videos/\(id)", method: .get, headers: auth(running.alice)) { video = try object($0) }
                if video["status"] as? String == "failed" { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            let error = try #require(video["error"] as? [String: Any], "\(video)")
            #expect(error["code"] as? String == "storage_error", "\(error)")
            let message = try #require(error["message"] as? String)
            #expect(!message.contains("/") && !message.contains(root.path), "\(message)")
        }
        #expect(log.messages.contains { $0.contains(root.path) }, "\(log.messages)")
    }
}
