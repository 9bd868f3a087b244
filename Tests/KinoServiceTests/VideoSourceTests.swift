import Foundation
import Testing
@testable import KinoService

/// `POST /v1/videos/extensions` and `/v1/videos/edits` at the service: a source named by id or uploaded, copied
/// beside the job, the joined length, the seconds an extension counts, and every refusal naming its field.
@Suite("Extensions and edits")
struct VideoSourceTests {
    static let mp4: [UInt8] = Array("MP4! a source video".utf8)

    struct Fixture {
        let service: VideoService
        let alice: Principal
        let bob: Principal

        /// The renderer's checks: an upload starting with "MP4!" is a 640x360 clip of 3.6 s; anything else is refused.
        init(limits: KeyLimits = KeyLimits.builtInDefaults, images: Bool = true, videos: Bool = true) async throws {
            let outputs = try OutputStore(root: FileManager.default.temporaryDirectory.appendingPathComponent("kino-src-\(UUID().uuidString)"))
            var config = ServiceConfiguration(catalog: ModelCatalog(models: ["kino-tiny"]))
            if images { config.checkImage = { _ in "png" } }
            if videos {
                config.checkVideo = { bytes in
                    guard bytes.starts(with: VideoSourceTests.mp4.prefix(4)) else {
                        throw KinoServiceError(.invalidRequest, "The source video cannot be used: no video stream.", code: "invalid_video")
                    }
                    return SourceVideoFacts(fileExtension: "mp4", size: VideoSize(width: 640, height: 360), seconds: 3.6,
                                            still: Array("RIFF still".utf8))
                }
            }
            service = VideoService(configuration: config, store: try SQLiteStore.inMemory(), outputs: outputs,
                                   trust: TrustSettings(defaultLimits: limits), seedSource: { 9 })
            alice = try await service.keys.authenticate(token: try await service.keys.create(name: "alice").token)
            bob = try await service.keys.authenticate(token: try await service.keys.create(name: "bob").token)
        }

        /// A 4 s video of Alice's, rendered (claimed and completed) with an MP4 in its folder.
        func completedVideo(now: Int64 = 0) async throws -> VideoJob {
            let job = try await service.create(RequestFields(values: ["prompt": "a red ball", "seconds": "4", "size": "1280x720"]),
                                               principal: alice, now: now)
            let lease = try #require(try await service.store.claim(worker: "w", leaseMillis: 10_000, now: now + 1))
            #expect(lease.job.id == job.id)
            let file = service.outputs.file(for: job.id, .video)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(Array("MP4! the rendered clip".utf8)).write(to: file)
            try Data(Array("latents".utf8)).write(to: service.outputs.latents(for: job.id))
            try await service.store.complete(lease, JobCompletion(hasLatents: true, completedAt: now + 2, expiresAt: now + 3_600_000))
            return try await service.video(job.id, principal: alice)
        }
    }

    static func byID(_ id: String, _ values: [String: String] = [:]) -> RequestFields {
        RequestFields(values: ["prompt": "the ball rolls on", "video[id]": id].merging(values) { $1 })
    }

    static func upload(_ bytes: [UInt8] = mp4, _ values: [String: String] = [:]) -> RequestFields {
        var fields = RequestFields(values: ["prompt": "the ball rolls on"].merging(values) { $1 })
        fields.files.insert("video")
        fields.uploads["video"] = bytes
        return fields
    }

    func error(_ body: () async throws -> Void) async -> KinoServiceError? {
        do { try await body() } catch let error as KinoServiceError { return error } catch { return nil }
        return nil
    }

    @Test func extensionByIDIsTheJoinedTotalAndCopiesTheSource() async throws {
        let f = try await Fixture()
        let source = try await f.completedVideo()
        let ext = try await f.service.extend(Self.byID(source.id, ["seconds": "8"]), principal: f.alice, now: 10)
        #expect(ext.seconds == 12 && ext.chargedSeconds == 8 && ext.size == source.size && ext.model == source.model)
        #expect(ext.sourceKind == .extension && ext.sourceVideoID == source.id && ext.settings.seed == source.settings.seed)
        let copy = f.service.outputs.input(named: try #require(ext.inputFile))
        #expect(try Data(contentsOf: copy) == Data(contentsOf: f.service.outputs.file(for: source.id, .video)))
        // Its latents come too: the worker decodes the source's frames as rendered, before their marks.
        #expect(try Data(contentsOf: f.service.outputs.sourceLatents(videoID: ext.id)) == Data(Array("latents".utf8)))
        let edit = try await f.service.edit(Self.byID(source.id), principal: f.alice, now: 10)
        #expect(!FileManager.default.fileExists(atPath: f.service.outputs.sourceLatents(videoID: edit.id).path))
        // Deleting the source leaves the queued extension its own copy.
        try await f.service.delete(source.id, principal: f.alice, now: 11)
        #expect(FileManager.default.fileExists(atPath: copy.path))
        #expect(FileManager.default.fileExists(atPath: f.service.outputs.sourceLatents(videoID: ext.id).path))
        let lease = try #require(try await f.service.store.claim(worker: "w", leaseMillis: 10_000, now: 12))
        #expect(lease.job.id == ext.id && lease.job.sourceKind == .extension && lease.job.chargedSeconds == 8)
    }

    @Test func editOfAnUploadKeepsItsSizeAndLength() async throws {
        let f = try await Fixture()
        let edit = try await f.service.edit(Self.upload(Self.mp4, ["strength": "0.5", "seed": "3"]), principal: f.alice, now: 1)
        #expect(edit.size == VideoSize(width: 640, height: 360) && edit.seconds == 4 && edit.remixStrength == 0.5)
        #expect(edit.sourceKind == .edit && edit.sourceVideoID == nil && edit.chargedSeconds == nil && edit.settings.seed == 3)
        #expect(try Data(contentsOf: f.service.outputs.input(named: try #require(edit.inputFile))) == Data(Self.mp4))
        let defaulted = try await f.service.edit(Self.upload(), principal: f.alice, now: 2)
        #expect(defaulted.remixStrength == f.service.configuration.defaultRemixStrength)
    }

    /// Only the added seconds count: a 4 s source and a +4 s extension use 8 of 10 clip-seconds, and the next +4 s
    /// does not fit (it would if the extension had counted its joined 8 s: 4 + 8 = 12 already over).
    @Test func extensionsCountOnlyTheAddedSeconds() async throws {
        let f = try await Fixture(limits: KeyLimits(clipSecondsPerDay: 10))
        let source = try await f.completedVideo(now: Clock.nowMillis())
        let ext = try await f.service.extend(Self.byID(source.id, ["seconds": "4"]), principal: f.alice)
        #expect(ext.seconds == 8)
        let refused = await error { _ = try await f.service.extend(Self.byID(source.id, ["seconds": "4"]), principal: f.alice) }
        #expect(refused?.kind == .rateLimited && refused?.message.contains("used 8 of its 10") == true, "\(String(describing: refused))")
    }

    @Test func refusalsNameTheField() async throws {
        let f = try await Fixture()
        let source = try await f.completedVideo()
        let queued = try await f.service.create(RequestFields(values: ["prompt": "still queued"]), principal: f.alice, now: 5)
        func extend(_ fields: RequestFields) async -> KinoServiceError? { await error { _ = try await f.service.extend(fields, principal: f.alice) } }
        func edit(_ fields: RequestFields, as user: Principal? = nil) async -> KinoServiceError? {
            await error { _ = try await f.service.edit(fields, principal: user ?? f.alice) }
        }
        #expect(await edit(RequestFields(values: ["prompt": "x"]))?.code == "missing_required_parameter")
        #expect(await edit(RequestFields(values: ["prompt": "x", "video": source.id]))?.code == "invalid_type")
        var both = Self.upload()
        both.values["video[id]"] = source.id
        #expect(await edit(both)?.param == "video[id]")
        #expect(await edit(Self.byID(source.id), as: f.bob)?.kind == .notFound, "another project's video is a 404")
        #expect(await edit(Self.byID(queued.id))?.code == "invalid_video_state")
        #expect(await edit(Self.upload(Array("GIF89a".utf8)))?.param == "video")
        #expect(await edit(Self.upload(Array("GIF89a".utf8)))?.code == "invalid_video")
        #expect(await edit(Self.upload([]))?.param == "video")
        #expect(await edit(Self.byID(source.id, ["size": "1280x720"]))?.code == "unknown_parameter")
        #expect(await edit(Self.byID(source.id, ["model": "kino-tiny"]))?.param == "model", "a video named by id keeps its model")
        #expect(await edit(Self.byID(source.id, ["strength": "0"]))?.param == "strength")
        #expect(await edit(Self.byID(source.id, ["seconds": "4"]))?.code == "unknown_parameter", "an edit keeps the length")
        #expect(await extend(Self.byID(source.id))?.param == "seconds")
        #expect(await extend(Self.byID(source.id, ["seconds": "5"]))?.param == "seconds")
        #expect(await extend(Self.byID(source.id, ["seconds": "4", "strength": "0.5"]))?.param == "strength")
        #expect(await extend(Self.byID(source.id, ["seconds": "4", "prompt": ""]))?.param == "prompt")
        #expect(try await f.service.store.list(project: f.alice.project, after: nil, limit: 100, order: .desc).jobs.count == 2,
                "no refused request left a job")
    }

    /// Remix re-renders from the source's latents while they last, and from its MP4 after (an edit at the same
    /// strength that still names the source); without either it is refused.
    @Test func remixFallsBackToTheMP4WhenTheLatentsAreGone() async throws {
        let f = try await Fixture()
        let source = try await f.completedVideo()
        let prompt = RequestFields(values: ["prompt": "the same ball, now blue", "strength": "0.4"])
        let fromLatents = try await f.service.remix(sourceID: source.id, prompt, principal: f.alice, rendererSupportsRemix: true, now: 10)
        #expect(fromLatents.remixOf == source.id && fromLatents.sourceKind == nil && fromLatents.inputFile == nil)
        try FileManager.default.removeItem(at: f.service.outputs.latents(for: source.id))
        let fromMP4 = try await f.service.remix(sourceID: source.id, prompt, principal: f.alice, rendererSupportsRemix: true, now: 11)
        #expect(fromMP4.remixOf == source.id && fromMP4.sourceKind == .edit && fromMP4.remixStrength == 0.4 && fromMP4.size == source.size)
        #expect(try Data(contentsOf: f.service.outputs.input(named: try #require(fromMP4.inputFile)))
                == Data(contentsOf: f.service.outputs.file(for: source.id, .video)))
        try FileManager.default.removeItem(at: f.service.outputs.file(for: source.id, .video))
        let gone = await error { _ = try await f.service.remix(sourceID: source.id, prompt, principal: f.alice, rendererSupportsRemix: true) }
        #expect(gone?.code == "video_expired")
        let noVideos = try await Fixture(videos: false)
        let other = try await noVideos.completedVideo()
        try FileManager.default.removeItem(at: noVideos.service.outputs.latents(for: other.id))
        let refused = await error { _ = try await noVideos.service.remix(sourceID: other.id, prompt, principal: noVideos.alice, rendererSupportsRemix: true) }
        #expect(refused?.code == "invalid_video_state")
    }

    /// A character is a project's named reference video; a create whose prompt names it (whole words, any case)
    /// starts from its still, unless the request brings its own picture.
    @Test func charactersConditionTheClipsThatNameThem() async throws {
        let f = try await Fixture()
        var fields = Self.upload()
        fields.values = ["name": "Rosa"]
        let rosa = try await f.service.createCharacter(fields, principal: f.alice, now: 1_000)
        #expect(rosa.id.hasPrefix("char_") && rosa.name == "Rosa" && rosa.project == f.alice.project)
        #expect(try await f.service.character(rosa.id, principal: f.alice) == rosa)
        #expect(await error { _ = try await f.service.character(rosa.id, principal: f.bob) }?.kind == .notFound)
        let named = try await f.service.create(RequestFields(values: ["prompt": "rosa rolls to the right"]), principal: f.alice)
        #expect(named.characterID == rosa.id)
        #expect(try Data(contentsOf: f.service.outputs.input(named: try #require(named.inputFile))) == Data("RIFF still".utf8))
        let other = try await f.service.create(RequestFields(values: ["prompt": "Rosamund rolls"]), principal: f.alice)
        #expect(other.characterID == nil && other.inputFile == nil, "a name inside another word is not the character")
        let bobs = try await f.service.create(RequestFields(values: ["prompt": "rosa rolls"]), principal: f.bob)
        #expect(bobs.characterID == nil, "another project's character")
        let own = try await f.service.create(RequestFields(values: ["prompt": "Rosa rolls", "input_reference": "data:image/png;base64,AAAA"]),
                                             principal: f.alice)
        #expect(own.characterID == nil && own.inputFile != nil, "a picture the request brings wins")
        func refused(_ values: [String: String], upload: Bool = true, service: VideoService? = nil) async -> KinoServiceError? {
            var fields = upload ? Self.upload() : RequestFields()
            fields.values = values
            return await error { _ = try await (service ?? f.service).createCharacter(fields, principal: f.alice) }
        }
        #expect(await refused([:])?.param == "name")
        #expect(await refused(["name": "Rosa"], upload: false)?.param == "video")
        #expect(await refused(["name": "Rosa", "voice": "alto"])?.code == "unknown_parameter")
        #expect(await refused(["name": "--"])?.param == "name")
        let noImages = try await Fixture(images: false)
        #expect(await refused(["name": "Rosa"], service: noImages.service)?.code == "unsupported")
    }

    @Test func serversThatCannotAreClear() async throws {
        let noImages = try await Fixture(images: false)
        let source = try await noImages.completedVideo()
        let refused = await error { _ = try await noImages.service.extend(Self.byID(source.id, ["seconds": "4"]), principal: noImages.alice) }
        #expect(refused?.code == "unsupported" && refused?.message.contains("TI2V-5B") == true)
        _ = try await noImages.service.edit(Self.byID(source.id), principal: noImages.alice)
        let noVideos = try await Fixture(videos: false)
        #expect(await error { _ = try await noVideos.service.edit(Self.upload(), principal: noVideos.alice) }?.code == "unsupported")
    }
}
