import Foundation
import Testing
@testable import KinoService

/// `input_reference` on create: every form the SDK sends, checked when the request arrives, stored before the job
/// is queued, handed to the worker, and removed with the video. Remote URLs and file ids are refused by name.
@Suite("input_reference")
struct InputReferenceTests {
    static let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3]
    static var dataURL: String { "data:image/png;base64," + Data(png).base64EncodedString() }

    /// A service whose renderer check accepts anything starting with PNG's signature.
    func makeService(acceptsImages: Bool = true) throws -> VideoService {
        let outputs = try OutputStore(root: FileManager.default.temporaryDirectory.appendingPathComponent("kino-ref-\(UUID().uuidString)"))
        var config = ServiceConfiguration(catalog: ModelCatalog(models: ["kino-tiny"]))
        if acceptsImages {
            config.checkImage = { bytes in
                guard bytes.starts(with: Self.png.prefix(8)) else {
                    throw KinoServiceError(.invalidRequest, "The input picture cannot be used: not a picture.", code: "invalid_image")
                }
                return "png"
            }
        }
        return VideoService(configuration: config, store: try SQLiteStore.inMemory(), outputs: outputs, seedSource: { 5 })
    }

    func principal(_ service: VideoService) async throws -> Principal {
        try await service.keys.authenticate(token: try await service.keys.create(name: "k").token)
    }

    @Test(arguments: ["upload", "dataURL", "imageURL"])
    func everyFormIsStoredAndReachesTheWorker(form: String) async throws {
        let service = try makeService()
        let user = try await principal(service)
        var fields = RequestFields(values: ["prompt": "a ball rolls"])
        switch form {
        case "upload":
            fields.files.insert("input_reference")
            fields.uploads["input_reference"] = Self.png
        case "dataURL": fields.values["input_reference"] = Self.dataURL
        default: fields.values["input_reference[image_url]"] = Self.dataURL
        }
        let job = try await service.create(fields, principal: user, now: 0)
        let name = try #require(job.inputFile)
        #expect(try Data(contentsOf: service.outputs.input(named: name)) == Data(Self.png))
        let lease = try #require(try await service.store.claim(worker: "w", leaseMillis: 10_000, now: 1))
        #expect(lease.job.inputFile == name, "the stored row keeps the file name")
        // A queued video deleted: its picture goes with it.
        let queued = try await service.create(fields, principal: user, now: 2)
        let queuedFile = service.outputs.input(named: try #require(queued.inputFile))
        #expect(FileManager.default.fileExists(atPath: queuedFile.path))
        try await service.delete(queued.id, principal: user, now: 3)
        #expect(!FileManager.default.fileExists(atPath: queuedFile.path), "deleting the video removes its picture")
    }

    @Test func badReferencesAre400sNamingTheField() async throws {
        let service = try makeService()
        let user = try await principal(service)
        func refused(_ values: [String: String], upload: [UInt8]? = nil) async -> KinoServiceError? {
            var fields = RequestFields(values: ["prompt": "x"].merging(values) { $1 })
            if let upload {
                fields.files.insert("input_reference")
                fields.uploads["input_reference"] = upload
            }
            do {
                _ = try await service.create(fields, principal: user)
                return nil
            } catch {
                return error as? KinoServiceError
            }
        }
        let remote = await refused(["input_reference[image_url]": "https://example.com/a.png"])
        #expect(remote?.param == "input_reference[image_url]" && remote?.code == "unsupported" && remote?.message.contains("data: URL") == true)
        #expect(await refused(["input_reference": "http://example.com/a.png"])?.param == "input_reference")
        #expect(await refused(["input_reference[file_id]": "file_123"])?.param == "input_reference[file_id]")
        #expect(await refused(["input_reference": "data:image/png,raw"])?.message.contains("base64") == true)
        #expect(await refused(["input_reference": "a picture"])?.param == "input_reference")
        let corrupt = await refused([:], upload: Array("GIF89a".utf8))
        #expect(corrupt?.param == "input_reference" && corrupt?.code == "invalid_image")
        #expect(await refused([:], upload: [])?.message.contains("empty") == true)
        let twice = await refused(["input_reference[image_url]": Self.dataURL], upload: Self.png)
        #expect(twice?.param == "input_reference[image_url]" && twice?.message.contains("one input_reference") == true)
        do {
            _ = try await service.remix(sourceID: "video_x", RequestFields(values: ["prompt": "y", "input_reference": Self.dataURL]),
                                        principal: user, rendererSupportsRemix: true)
            Issue.record("a remix with input_reference should be refused")
        } catch let error as KinoServiceError {
            #expect(error.param == "input_reference", "\(error)")
        }
    }

    @Test func aModelWithoutImagesNamesTheModelsThatCan() async throws {
        let service = try makeService(acceptsImages: false)
        let user = try await principal(service)
        var fields = RequestFields(values: ["prompt": "x", "input_reference": Self.dataURL])
        await #expect(throws: KinoServiceError.self) { try await service.create(fields, principal: user) }
        do {
            _ = try await service.create(fields, principal: user)
        } catch let error as KinoServiceError {
            #expect(error.kind == .unsupported && error.param == "input_reference" && error.message.contains("kino-tiny"))
        }
        fields.values["input_reference"] = nil
        #expect(try await service.create(fields, principal: user).inputFile == nil, "text-only still works")
    }
}
