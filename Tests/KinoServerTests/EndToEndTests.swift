import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KinoServer
import KinoService
import Testing

/// The in-process app with a worker: a job runs through the queue, its files download, remix and SSE work.
@Suite("End to end with a worker")
struct EndToEndTests {
    func waitUntilFinished(_ client: some TestClientProtocol, _ id: String, key: CreatedKey) async throws -> [String: Any] {
        for _ in 0..<400 {
            let video = try await client.execute(uri: "/v1/videos/\(id)", method: .get, headers: auth(key)) { try object($0) }
            if ["completed", "failed"].contains(video["status"] as? String) { return video }
            try await Task.sleep(for: .milliseconds(50))
        }
        return [:]
    }

    @Test func generateDownloadRemixAndStream() async throws {
        let app = try await TestApp(workers: 1)
        try await app.run { client in
            let id = try await client.execute(uri: "/v1/videos", method: .post, headers: jsonHeaders(app.alice), body: body(["prompt": "e2e", "size": "1280x720"])) {
                try object($0)["id"] as? String ?? ""
            }
            let done = try await waitUntilFinished(client, id, key: app.alice)
            #expect(done["status"] as? String == "completed" && done["progress"] as? Int == 100)
            #expect((done["expires_at"] as? Int ?? 0) > (done["completed_at"] as? Int ?? Int.max))
            let magic: [(String, [UInt8], String)] = [("video", Array("ftyp".utf8), "video/mp4"), ("thumbnail", Array("RIFF".utf8), "image/webp"),
                                                      ("spritesheet", [0xFF, 0xD8, 0xFF], "image/jpeg")]
            for (variant, bytes, type) in magic {
                try await client.execute(uri: "/v1/videos/\(id)/content?variant=\(variant)", method: .get, headers: auth(app.alice)) { response in
                    let data = Array(response.body.readableBytesView)
                    #expect(response.status == .ok && response.headers[.contentType] == type)
                    let head = variant == "video" ? Array(data.dropFirst(4).prefix(4)) : Array(data.prefix(bytes.count))
                    #expect(head == bytes, "\(variant) has the right file signature")
                }
            }
            try await client.execute(uri: "/v1/videos/\(id)/content", method: .get, headers: auth(app.alice, [.range: "bytes=0-99"])) { response in
                #expect(response.status == .partialContent && response.body.readableBytes == 100)
                #expect(response.headers[.contentRange]?.hasPrefix("bytes 0-99/") == true && response.headers[.acceptRanges] == "bytes")
            }
            try await client.execute(uri: "/v1/videos/\(id)/content?variant=poster", method: .get, headers: auth(app.alice)) { #expect($0.status == .badRequest) }
            let remixID = try await client.execute(uri: "/v1/videos/\(id)/remix", method: .post, headers: jsonHeaders(app.alice),
                                                   body: body(["prompt": "now blue", "strength": 0.3])) { response in
                let remix = try object(response)
                #expect(remix["remixed_from_video_id"] as? String == id && remix["remix_strength"] as? Double == 0.3)
                #expect(remix["size"] as? String == "1280x720")
                return remix["id"] as? String ?? ""
            }
            try await client.execute(uri: "/v1/videos/\(id)/remix", method: .post, headers: jsonHeaders(app.alice), body: body(["prompt": "x", "strength": 2])) {
                #expect($0.status == .badRequest)
            }
            // SSE: events until the remix finishes; the last one is completed.
            try await client.execute(uri: "/v1/videos/\(remixID)/events", method: .get, headers: auth(app.alice)) { response in
                #expect(response.headers[.contentType] == "text/event-stream")
                let events = String(buffer: response.body).components(separatedBy: "\n\n").filter { $0.hasPrefix("event: video") }
                #expect(events.count >= 2 && events.last?.contains("\"status\":\"completed\"") == true)
            }
            // Delete removes the files too.
            try await client.execute(uri: "/v1/videos/\(id)", method: .delete, headers: auth(app.alice)) { #expect($0.status == .ok) }
            #expect(!FileManager.default.fileExists(atPath: app.service.outputs.file(for: id, .video).path))
        }
    }

    @Test func cancellingARunningVideoStopsTheWorker() async throws {
        let app = try await TestApp(workers: 1)
        try await app.run { client in
            let id = try await client.execute(uri: "/v1/videos", method: .post, headers: jsonHeaders(app.alice), body: body(["prompt": "long", "steps": 200])) {
                try object($0)["id"] as? String ?? ""
            }
            for _ in 0..<100 {
                let status = try await client.execute(uri: "/v1/videos/\(id)", method: .get, headers: auth(app.alice)) { try object($0)["status"] as? String }
                if status == "in_progress" { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            try await client.execute(uri: "/v1/videos/\(id)/cancel", method: .post, headers: auth(app.alice)) { #expect($0.status == .ok) }
            let done = try await waitUntilFinished(client, id, key: app.alice)
            #expect(done["status"] as? String == "failed" && (done["error"] as? [String: Any])?["code"] as? String == "cancelled")
        }
    }
}
