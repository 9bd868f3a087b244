import Foundation
import Synchronization
import Testing
@testable import KinoService

/// A renderer that runs until it is told to stop: it blocks in `render` until `isCancelled()` turns true, then
/// throws `RenderCancelled`, or, with `stubbornFor` set, keeps going that long after the signal and then throws an
/// unrelated error (as a render interrupted half-way through writing a file might).
struct BlockingRenderer: VideoRenderer {
    var models = ["kino-tiny"]
    var supportsRemix = false
    var styles: [String] = []
    var stubbornFor: TimeInterval?
    let started = RenderCount()
    let ended = RenderCount()

    /// Renders begun so far (a class: `Atomic` cannot be copied with the struct).
    final class RenderCount: Sendable {
        let value = Atomic<Int>(0)
        var current: Int { value.load(ordering: .sequentiallyConsistent) }
    }

    struct Interrupted: Error, CustomStringConvertible { var description: String { "ffmpeg: broken pipe" } }

    func render(_ job: RenderJob, into outputDirectory: URL, progress: @Sendable (RenderProgress) -> Void, isCancelled: @Sendable () -> Bool) throws -> RenderResult {
        _ = started.value.add(1, ordering: .sequentiallyConsistent)
        progress(RenderProgress(0.1))
        while !isCancelled() { Thread.sleep(forTimeInterval: 0.01) }
        guard let stubbornFor else { throw RenderCancelled() }
        Thread.sleep(forTimeInterval: stubbornFor)
        _ = ended.value.add(1, ordering: .sequentiallyConsistent)
        throw Interrupted()
    }
}

@Suite("Worker pool shutdown and cancel")
struct WorkerShutdownTests {
    struct Running {
        let service: VideoService
        let principal: Principal
        let pool: WorkerPool
        let job: VideoJob
    }

    /// Starts one worker on one job and waits until the render is under way.
    func startRendering(_ renderer: BlockingRenderer) async throws -> Running {
        let outputs = try OutputStore(root: FileManager.default.temporaryDirectory.appendingPathComponent("kino-ws-\(UUID().uuidString)"))
        let service = VideoService(configuration: ServiceConfiguration(catalog: ModelCatalog(models: ["kino-tiny"])),
                                   store: try SQLiteStore.inMemory(), outputs: outputs)
        let principal = try await service.keys.authenticate(token: try await service.keys.create(name: "k").token)
        let job = try await service.create(RequestFields(values: ["prompt": "a cat"]), principal: principal)
        let pool = WorkerPool(service: service, renderer: renderer, count: 1)
        pool.start()
        for _ in 0..<500 where renderer.started.current == 0 {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(renderer.started.current == 1, "the worker claimed the job")
        return Running(service: service, principal: principal, pool: pool, job: job)
    }

    func waitUntilTerminal(_ running: Running) async throws -> VideoJob {
        var current = try await running.service.video(running.job.id, principal: running.principal)
        for _ in 0..<500 where !current.status.isTerminal {
            try await Task.sleep(for: .milliseconds(10))
            current = try await running.service.video(running.job.id, principal: running.principal)
        }
        return current
    }

    @Test func stoppingThePoolReleasesTheJobWithoutCountingTheAttempt() async throws {
        let running = try await startRendering(BlockingRenderer())
        #expect(await running.pool.stop())
        let job = try await running.service.video(running.job.id, principal: running.principal)
        #expect(job.status == .queued && job.attempt == 0 && job.errorCode == nil)
    }

    @Test func aRenderThatThrowsAnotherErrorWhileStoppingIsReleasedToo() async throws {
        let running = try await startRendering(BlockingRenderer(stubbornFor: 0.3))
        #expect(await running.pool.stop())
        let job = try await running.service.video(running.job.id, principal: running.principal)
        #expect(job.status == .queued && job.attempt == 0)
    }

    @Test func aRenderThatIgnoresTheStopDoesNotHoldTheShutdown() async throws {
        let renderer = BlockingRenderer(stubbornFor: 3)
        let running = try await startRendering(renderer)
        #expect(await running.pool.stop(timeout: .milliseconds(300)) == false)
        // Told apart by order, not by a clock (shared machines stretch times): stop returned while the render ran.
        #expect(renderer.ended.current == 0, "stop returned before the stubborn render ended")
    }

    @Test func aUserCancelFailsTheRunningJobAsCancelled() async throws {
        let running = try await startRendering(BlockingRenderer())
        _ = try await running.service.cancel(running.job.id, principal: running.principal)
        let job = try await waitUntilTerminal(running)
        await running.pool.stop()
        #expect(job.status == .failed && job.errorCode == "cancelled")
    }

    @Test func aUserCancelStaysACancelEvenWhenTheRenderThrowsAnotherError() async throws {
        let running = try await startRendering(BlockingRenderer(stubbornFor: 0.1))
        _ = try await running.service.cancel(running.job.id, principal: running.principal)
        let job = try await waitUntilTerminal(running)
        await running.pool.stop()
        #expect(job.status == .failed && job.errorCode == "cancelled")
    }
}
