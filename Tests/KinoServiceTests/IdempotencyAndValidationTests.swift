import Foundation
import Testing
@testable import KinoService

@Suite("Idempotency records")
struct IdempotencyStoreTests {
    @Test(arguments: StoreKind.allCases)
    func stripeModel(kind: StoreKind) async throws {
        let store = try kind.make()
        let day: Int64 = 86_400_000
        await #expect(try await store.beginIdempotent(project: "p", key: "k", requestHash: "h1", now: 0, retentionMillis: day) == .proceed)
        await #expect(try await store.beginIdempotent(project: "p", key: "k", requestHash: "h1", now: 1, retentionMillis: day) == .inFlight)
        await #expect(try await store.beginIdempotent(project: "p", key: "k", requestHash: "h2", now: 1, retentionMillis: day) == .mismatch)
        await #expect(try await store.beginIdempotent(project: "q", key: "k", requestHash: "h2", now: 1, retentionMillis: day) == .proceed, "keys are per project")
        try await store.finishIdempotent(project: "p", key: "k", status: 200, body: "{}")
        await #expect(try await store.beginIdempotent(project: "p", key: "k", requestHash: "h1", now: 2, retentionMillis: day) == .replay(status: 200, body: "{}"))
        await #expect(try await store.beginIdempotent(project: "p", key: "k", requestHash: "h1", now: day + 1, retentionMillis: day) == .proceed, "forgotten after 24 h")
        try await store.abandonIdempotent(project: "p", key: "k")
        await #expect(try await store.beginIdempotent(project: "p", key: "k", requestHash: "h3", now: day + 2, retentionMillis: day) == .proceed)
    }

    @Test func concurrentFirstUsesGiveOneProceed() async throws {
        let path = temporaryDatabasePath()
        let stores = [try SQLiteStore(path: path), try SQLiteStore(path: path)]
        let results = try await withThrowingTaskGroup(of: IdempotencyBegin.self) { group in
            for i in 0..<16 {
                group.addTask { try await stores[i % 2].beginIdempotent(project: "p", key: "same", requestHash: "h", now: 0, retentionMillis: 1_000) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.filter { $0 == .proceed }.count == 1 && results.filter { $0 == .inFlight }.count == 15)
    }
}

@Suite("Request validation")
struct ValidationTests {
    let config = ServiceConfiguration(catalog: ModelCatalog(models: ["kino-tiny"]))
    let user = Principal(keyID: "k", keyName: "k", keySerial: 1, project: "p", scopes: [.generate, .read])

    func error(_ fields: [String: String], files: Set<String> = []) -> KinoServiceError? {
        do {
            _ = try config.validateCreate(RequestFields(values: fields, files: files), principal: user)
            return nil
        } catch {
            return error as? KinoServiceError
        }
    }

    @Test func defaultsAndAliases() throws {
        let plain = try config.validateCreate(RequestFields(values: ["prompt": "a cat"]), principal: user)
        #expect(plain.model == "kino-tiny" && plain.seconds == 4 && plain.size == VideoSize(width: 720, height: 1280) && plain.watermark)
        let alias = try config.validateCreate(RequestFields(values: ["prompt": "a cat", "model": "sora-2-pro"]), principal: user)
        #expect(alias.model == "sora-2-pro" && alias.engineModel == "kino-tiny")
        let custom = ModelCatalog(models: ["a", "b"], aliases: try ModelCatalog.parseAliases("sora-2=b"))
        #expect(try custom.resolve("sora-2") == ("sora-2", "b"))
        #expect(throws: KinoServiceError.self) { try custom.resolve("sora-2-pro") }
        // OpenAI's dated snapshots run what their undated names run, and echo the name sent.
        let dated = try config.validateCreate(RequestFields(values: ["prompt": "a cat", "model": "sora-2-pro-2025-10-06"]), principal: user)
        #expect(dated.model == "sora-2-pro-2025-10-06" && dated.engineModel == "kino-tiny")
        #expect(try custom.resolve("sora-2-2025-12-08") == ("sora-2-2025-12-08", "b"))
        #expect(throws: KinoServiceError.self) { try custom.resolve("sora-2-pro-2025-10-06") }
        #expect(throws: KinoServiceError.self) { try config.catalog.resolve("sora-2-1999-01-01") }
    }

    @Test func rejectsBadValuesNamingTheParameter() {
        #expect(error(["prompt": ""])?.param == "prompt")
        #expect(error(["prompt": String(repeating: "a", count: 32_001)])?.param == "prompt")
        // "नी" is one Swift Character but two code points; the schema's maxLength counts code points.
        let devanagari = String(repeating: "नी", count: 16_001)
        #expect(devanagari.count == 16_001 && VideoLimits.length(devanagari) == 32_002)
        #expect(error(["prompt": devanagari])?.code == "string_above_max_length")
        #expect(error(["prompt": String(repeating: "नी", count: 16_000)]) == nil)
        // The limit is on the prompt as sent: trailing blank lines do not hide a prompt that is too long.
        #expect(error(["prompt": String(repeating: "a", count: 31_990) + String(repeating: "\n", count: 20)])?.code == "string_above_max_length")
        #expect(error(["prompt": "x", "size": "1x1"])?.param == "size")
        #expect(error(["prompt": "x", "seconds": ""])?.code == "invalid_value", "an empty seconds is not the default")
        #expect(error(["prompt": "x", "seed": " "])?.param == "seed")
        #expect(error(["prompt": "x", "seconds": "5"])?.param == "seconds")
        #expect(error(["prompt": "x", "model": "gpt-9"])?.param == "model")
        #expect(error(["prompt": "x", "seed": "-1"])?.param == "seed")
        #expect(error(["prompt": "x", "steps": "0"])?.param == "steps")
        #expect(error(["prompt": "x", "guidance": "nan"])?.param == "guidance")
        #expect(error(["prompt": "x", "style": "vaporwave"])?.param == "style")
        #expect(error(["prompt": "x", "status": "completed"])?.code == "unknown_parameter", "clients cannot set status")
        #expect(error(["prompt": "x", "watermark": "false"])?.kind == .permissionDenied)
        #expect(error(["prompt": "x", "turbo": "fast"])?.param == "turbo")
        #expect(error(["prompt": "x", "turbo": "true"]) == nil)
        // Step caching: a name the engine knows, an optional plain-decimal threshold, or off; anything else is a 400
        // at once rather than a job that fails later.
        for good in ["easycache", "easycache:0.05", "teacache:0.08", "magcache:1", "firstblock", "off"] {
            #expect(error(["prompt": "x", "cache": good]) == nil, "\(good)")
        }
        for bad in ["fastcache", "EasyCache", "easycache:", "easycache:-1", "easycache:1e-3", "easycache:0.05:1", "off:1"] {
            #expect(error(["prompt": "x", "cache": bad])?.param == "cache", "\(bad)")
        }
        // A cache the served model cannot run is refused at create time, not left to fail in the queue.
        var limited = config
        limited.caches = ["easycache", "firstblock"]
        let refused = Result { try limited.validateCreate(RequestFields(values: ["prompt": "x", "cache": "teacache:0.08"]), principal: user) }
        #expect(throws: KinoServiceError.self) { try refused.get() }
        #expect((try? limited.validateCreate(RequestFields(values: ["prompt": "x", "cache": "off"]), principal: user)) != nil)
        // Recipes: only the served model's (the test configuration has turbo alone).
        #expect(error(["prompt": "x", "recipe": "turbo"]) == nil)
        #expect(error(["prompt": "x", "recipe": "fast"])?.param == "recipe")
    }

    @Test func unsupportedFieldsSayUnsupported() {
        // A picture for a server whose model cannot start from one: refused, naming the models that can.
        let reference = error(["prompt": "x"], files: ["input_reference"])
        #expect(reference?.kind == .unsupported && reference?.code == "unsupported" && reference?.param == "input_reference")
        #expect(reference?.message.contains("kino-tiny") == true)
        #expect(error(["prompt": "x", "n": "2"])?.code == "unsupported")
        #expect(error(["prompt": "x", "n": "1"]) == nil)
    }

    @Test func dataFolderResolution() {
        #expect(DataFolder(explicit: "/a", environment: ["KINO_DATA": "/b", "HOME": "/h"]).url.path == "/a")
        #expect(DataFolder(explicit: nil, environment: ["KINO_DATA": "/b", "HOME": "/h"]).url.path == "/b")
        #expect(DataFolder(explicit: nil, environment: ["HOME": "/h"]).url.path == "/h/.local/share/kino")
    }
}
