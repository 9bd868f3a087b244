import Foundation
import Testing
@testable import KinoService

@Suite("Video service")
struct VideoServiceTests {
    func makeService() throws -> VideoService {
        let outputs = try OutputStore(root: FileManager.default.temporaryDirectory.appendingPathComponent("kino-svc-\(UUID().uuidString)"))
        return VideoService(configuration: ServiceConfiguration(catalog: ModelCatalog(models: ["kino-tiny"])),
                            store: try SQLiteStore.inMemory(), outputs: outputs, seedSource: { 99 })
    }

    @Test func expiredAssetsAreDeletedAndReportedAsExpired() async throws {
        let service = try makeService()
        let key = try await service.keys.create(name: "k")
        let principal = try await service.keys.authenticate(token: key.token)
        let job = try await service.create(RequestFields(values: ["prompt": "a cat"]), principal: principal, now: 0)
        #expect(job.settings.seed == 99, "the seed source is used when the request sets none")
        let lease = try await #require(try await service.store.claim(worker: "w", leaseMillis: 10_000, now: 1))
        let folder = try service.outputs.prepare(videoID: job.id)
        for variant in VideoVariant.allCases {
            try Data([1, 2, 3]).write(to: folder.appendingPathComponent(variant.fileName))
        }
        try await service.store.complete(lease, JobCompletion(hasLatents: false, completedAt: 2, expiresAt: 5_000))
        await #expect(try await service.content(job.id, variant: .thumbnail, principal: principal).lastPathComponent == "thumbnail.webp")
        await #expect(service.purgeAssets(now: 4_999) == 0)
        await #expect(service.purgeAssets(now: 5_000) == 1)
        #expect(!FileManager.default.fileExists(atPath: folder.path))
        await #expect(throws: KinoServiceError(.notFound, "The files of video \(job.id) have expired and were deleted. Generate it again.", param: "video_id", code: "video_expired")) {
            try await service.content(job.id, variant: .video, principal: principal)
        }
        await #expect(try await service.video(job.id, principal: principal).expiresAt == 5_000, "the job keeps expires_at (milliseconds)")
    }

    @Test func remixNeedsACompletedSourceWithLatents() async throws {
        let service = try makeService()
        let principal = try await service.keys.authenticate(token: try await service.keys.create(name: "k").token)
        let source = try await service.create(RequestFields(values: ["prompt": "a cat", "size": "1280x720", "seconds": "8"]), principal: principal, now: 0)
        await #expect(throws: KinoServiceError.self) {
            try await service.remix(sourceID: source.id, RequestFields(values: ["prompt": "a dog"]), principal: principal, rendererSupportsRemix: true)
        }
        let lease = try await #require(try await service.store.claim(worker: "w", leaseMillis: 10_000, now: 1))
        try await service.store.complete(lease, JobCompletion(hasLatents: true, completedAt: 2, expiresAt: 1_000_000))
        let latents = service.outputs.latents(for: source.id)
        try FileManager.default.createDirectory(at: latents.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("latents".utf8).write(to: latents)
        await #expect(throws: KinoServiceError.self) {
            try await service.remix(sourceID: source.id, RequestFields(values: ["prompt": "a dog"]), principal: principal, rendererSupportsRemix: false)
        }
        let remix = try await service.remix(sourceID: source.id, RequestFields(values: ["prompt": "a dog", "strength": "0.25"]), principal: principal, rendererSupportsRemix: true)
        #expect(remix.remixOf == source.id && remix.remixStrength == 0.25 && remix.size == source.size && remix.seconds == 8)
        #expect(remix.settings.seed == source.settings.seed)
        let other = try await service.keys.authenticate(token: try await service.keys.create(name: "other").token)
        await #expect(throws: KinoServiceError.self) {
            try await service.remix(sourceID: source.id, RequestFields(values: ["prompt": "x"]), principal: other, rendererSupportsRemix: true)
        }
    }
}
