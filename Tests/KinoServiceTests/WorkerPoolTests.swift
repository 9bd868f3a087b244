import Foundation
import Logging
import Testing
@testable import KinoService

/// A renderer whose outcome the test picks.
struct ScriptedRenderer: VideoRenderer {
    var models = ["kino-tiny"]
    var supportsRemix = false
    var styles: [String] = []
    var failure: String?

    struct Failure: Error, CustomStringConvertible { var description: String }

    func render(_ job: RenderJob, into outputDirectory: URL, progress: @Sendable (RenderProgress) -> Void, isCancelled: @Sendable () -> Bool) throws -> RenderResult {
        progress(RenderProgress(0.5, phase: "denoising", detail: "step 1/2"))
        if let failure { throw Failure(description: failure) }
        for name in [RenderOutput.video, RenderOutput.thumbnail, RenderOutput.spritesheet] {
            try Data(name.utf8).write(to: outputDirectory.appendingPathComponent(name))
        }
        return RenderResult(wroteLatents: false)
    }
}

/// Creates one job and runs a one-worker pool until the job ends (or about `polls` × 20 ms pass).
func runOneJob(outputs: OutputStore, renderer: ScriptedRenderer, logger: Logger = Logger(label: "kino.worker"),
               polls: Int = 400) async throws -> VideoJob {
    let service = VideoService(configuration: ServiceConfiguration(catalog: ModelCatalog(models: ["kino-tiny"])),
                               store: try SQLiteStore.inMemory(), outputs: outputs)
    let principal = try await service.keys.authenticate(token: try service.keys.create(name: "k").token)
    let job = try await service.create(RequestFields(values: ["prompt": "a cat"]), principal: principal)
    let pool = WorkerPool(service: service, renderer: renderer, count: 1, logger: logger)
    pool.start()
    var current = job
    for _ in 0..<polls where !current.status.isTerminal {
        try await Task.sleep(for: .milliseconds(20))
        current = try await service.video(job.id, principal: principal)
    }
    await pool.stop()
    return current
}

@Suite("Worker pool")
struct WorkerPoolTests {
    func run(renderer: ScriptedRenderer) async throws -> VideoJob {
        let outputs = try OutputStore(root: FileManager.default.temporaryDirectory.appendingPathComponent("kino-wp-\(UUID().uuidString)"))
        return try await runOneJob(outputs: outputs, renderer: renderer)
    }

    @Test func renderErrorsFailTheJobWithTheirMessage() async throws {
        let job = try await run(renderer: ScriptedRenderer(failure: "The model folder lacks vae/ — download it again."))
        #expect(job.status == .failed && job.errorCode == "generation_failed")
        #expect(job.errorMessage == "The model folder lacks vae/ — download it again.")
    }

    @Test func successfulRendersComplete() async throws {
        let job = try await run(renderer: ScriptedRenderer())
        #expect(job.status == .completed && job.progress == 100 && job.expiresAt != nil && !job.hasLatents)
    }
}
