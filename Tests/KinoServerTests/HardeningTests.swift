import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import KinoServer
import KinoService
import Testing

/// A prompt is moderated, stored and rendered as the same text: control characters (a NUL that SQLite's C
/// string binding once cut at, so moderation saw the whole prompt and the renderer only its start) are refused
/// with a 400 naming the field, in JSON and in multipart bodies alike.
@Suite("Prompt text")
struct PromptTextTests {
    static let smuggled = "a naked woman dancing in a bedroom\u{0000} next to a statue"

    @Test func controlCharactersAreRefusedInJSONAndMultipart() async throws {
        let app = try await TestApp()
        try await app.run { client in
            for field in ["prompt", "negative_prompt"] {
                var fields: [String: Any] = ["prompt": "a cat"]
                fields[field] = Self.smuggled
                try await client.execute(uri: "/v1/videos", method: .post, headers: jsonHeaders(app.alice), body: body(fields)) { response in
                    let error = try errorBody(response)
                    #expect(response.status == .badRequest)
                    #expect(error["param"] as? String == field && error["code"] as? String == "invalid_characters")
                    #expect((error["message"] as? String)?.contains("U+0000") == true)
                }
            }
            var headers = auth(app.alice)
            headers[.contentType] = "multipart/form-data; boundary=XyZ123"
            try await client.execute(uri: "/v1/videos", method: .post, headers: headers,
                                     body: multipart([("prompt", "a dog\u{1B}[2J barking")])) { response in
                let error = try errorBody(response)
                #expect(response.status == .badRequest && error["param"] as? String == "prompt")
            }
            // Tabs and line breaks are text.
            try await client.execute(uri: "/v1/videos", method: .post, headers: jsonHeaders(app.alice),
                                     body: body(["prompt": "a cat\n\ton a mat\r\n"])) { response in
                let video = try object(response)
                #expect(response.status == .ok && (video["prompt"] as? String)?.contains("a cat\n\ton a mat") == true)
            }
        }
    }

    /// Whatever reaches the store comes back byte for byte (the binding carries the text's length), so a future
    /// path that lets an unusual character through cannot make storage and moderation disagree.
    @Test func theStoreKeepsTextByteForByte() async throws {
        let store = try SQLiteStore.inMemory()
        let text = Self.smuggled + " é 🎬"
        let job = try await store.insert(NewVideoJob(
            id: "video_nul", project: "p", keyID: nil, keySerial: 0, model: "m", engineModel: "m", prompt: text, seconds: 4,
            size: VideoSize(width: 720, height: 1280), settings: GenerationSettings(negativePrompt: text, seed: 1),
            watermark: true, maxAttempts: 1, createdAt: 0))
        #expect(Array(job.prompt.utf8) == Array(text.utf8))
        let read = try #require(try await store.job(id: "video_nul", project: nil))
        #expect(Array(read.prompt.utf8) == Array(text.utf8) && read.settings.negativePrompt == text)
    }
}

/// Bodies over a route's limit are the client's mistake: 413 in OpenAI's error shape, never a 500.
@Suite("Body limits")
struct BodyLimitTests {
    @Test func oversizedBodiesAre413() async throws {
        var small = try await TestApp()
        small.configuration.maxBodyBytes = 64 * 1024
        let app = small
        let admin = try await app.service.keys.create(name: "admin", scopes: [.admin, .moderator, .read])
        try await app.run { client in
            let big = String(repeating: "x", count: 70 * 1024)
            let cases: [(String, HTTPFields)] = [
                ("/studio/session", [.contentType: "application/x-www-form-urlencoded", .origin: "http://localhost"]),
                ("/v1/admin/pause", jsonHeaders(admin)),
                ("/v1/videos", jsonHeaders(app.alice)),
            ]
            for (path, headers) in cases {
                try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(string: "{\"prompt\":\"\(big)\"}")) { response in
                    #expect(response.status.code == 413, "\(path)")
                    let error = try errorBody(response)
                    #expect(error["code"] as? String == "request_too_large" && error["type"] as? String == "invalid_request_error", "\(path): \(error)")
                }
            }
        }
    }
}

/// Login CSRF: the cookie-issuing sign-in accepts only an Origin that names this server exactly.
@Suite("Sign-in origin")
struct SignInOriginTests {
    @Test func onlyThisServersOriginGetsACookie() async throws {
        let app = try await TestApp()
        try await app.run { client in
            let form = ByteBuffer(string: "key=\(app.alice.token)")
            let refused: [String?] = [nil, "null", "http://evil.example", "http://localhost.evil.example", "http://evil.example/?localhost",
                                      "ftp://localhost", "http://localhost:9999"]
            for origin in refused {
                var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
                if let origin { headers[.origin] = origin }
                try await client.execute(uri: "/studio/session", method: .post, headers: headers, body: form) { response in
                    #expect(response.status == .forbidden, "Origin \(origin ?? "missing")")
                    #expect(response.headers[.setCookie] == nil, "Origin \(origin ?? "missing")")
                }
            }
            try await client.execute(uri: "/studio/session", method: .post,
                                     headers: [.contentType: "application/x-www-form-urlencoded", .origin: "http://localhost"],
                                     body: form) { response in
                #expect(response.status == .seeOther && response.headers[.setCookie] != nil)
            }
        }
    }
}

/// Nothing a client sends is silently dropped: unknown fields, objects or arrays where a value belongs, numbers
/// too long to read, repeated fields, cut-short multipart bodies and invalid UTF-8 are 400s naming the problem.
@Suite("Request bodies")
struct RequestBodyTests {
    func expect400(_ client: some TestClientProtocol, _ app: TestApp, json: String? = nil, multipartText: String? = nil,
                   param: String?, code: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        var headers = auth(app.alice)
        let payload: ByteBuffer
        if let json {
            headers[.contentType] = "application/json"
            payload = ByteBuffer(string: json)
        } else {
            headers[.contentType] = "multipart/form-data; boundary=XyZ123"
            payload = ByteBuffer(bytes: Array((multipartText ?? "").utf8))
        }
        try await client.execute(uri: "/v1/videos", method: .post, headers: headers, body: payload) { response in
            let error = try errorBody(response)
            #expect(response.status == .badRequest, "\(error)", sourceLocation: sourceLocation)
            #expect(error["code"] as? String == code, "\(error)", sourceLocation: sourceLocation)
            if let param { #expect(error["param"] as? String == param, "\(error)", sourceLocation: sourceLocation) }
        }
    }

    func part(_ name: String, _ value: String) -> String {
        "--XyZ123\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n"
    }

    @Test func droppedInputIsAnError() async throws {
        let app = try await TestApp()
        try await app.run { client in
            try await expect400(client, app, json: #"{"prompt":"a cat","seconds":["8"]}"#, param: "seconds", code: "invalid_type")
            try await expect400(client, app, json: #"{"prompt":"a cat","size":{"w":1280}}"#, param: "size", code: "invalid_type")
            try await expect400(client, app, json: "{\"prompt\":\"a cat\",\"seed\":\(String(repeating: "9", count: 10_000))}", param: "seed", code: "invalid_type")
            try await expect400(client, app, json: #"{"prompt":"a cat","colour":"red"}"#, param: "colour", code: "unknown_parameter")
            try await expect400(client, app, multipartText: part("prompt", "a cat") + part("input_reference[image_url]", "https://x/y.png") + "--XyZ123--\r\n",
                                param: "input_reference[image_url]", code: "unsupported")
            try await expect400(client, app, multipartText: part("prompt", "a cat") + part("seconds", "8"), param: nil, code: "invalid_body")
            try await expect400(client, app, multipartText: part("prompt", "a cat") + part("seconds", "8") + part("seconds", "4") + "--XyZ123--\r\n",
                                param: "seconds", code: "duplicate_parameter")
            var invalid = Array((part("prompt", "a cat")).utf8)
            invalid += Array("--XyZ123\r\nContent-Disposition: form-data; name=\"negative_prompt\"\r\n\r\n".utf8) + [0xC3, 0x28] + Array("\r\n--XyZ123--\r\n".utf8)
            var headers = auth(app.alice)
            headers[.contentType] = "multipart/form-data; boundary=XyZ123"
            try await client.execute(uri: "/v1/videos", method: .post, headers: headers, body: ByteBuffer(bytes: invalid)) { response in
                let error = try errorBody(response)
                #expect(response.status == .badRequest && error["param"] as? String == "negative_prompt", "\(error)")
            }
        }
    }
}

/// HEAD answers wherever GET does, with GET's status and headers and no body.
@Suite("HEAD")
struct HeadTests {
    @Test func headMirrorsGetWithoutABody() async throws {
        let app = try await TestApp()
        try await app.run { client in
            for path in ["/healthz", "/v1/openapi.yaml", "/", "/gallery"] {
                var getLength: String?
                try await client.execute(uri: path, method: .get) { getLength = $0.headers[.contentLength]; #expect($0.status == .ok, "\(path)") }
                try await client.execute(uri: path, method: .head) { response in
                    #expect(response.status == .ok, "HEAD \(path)")
                    #expect(response.body.readableBytes == 0, "HEAD \(path)")
                    if let getLength { #expect(response.headers[.contentLength] == getLength, "HEAD \(path)") }
                }
            }
            try await client.execute(uri: "/v1/videos", method: .head, headers: auth(app.alice)) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v1/videos", method: .head) { #expect($0.status == .unauthorized) }
        }
    }
}
