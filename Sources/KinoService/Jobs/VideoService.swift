import Foundation
import Logging
import Synchronization

/// The operations behind `/v1/videos`: authorization by project and scope, validation, and the job store.
/// The HTTP layer only translates; the worker pool uses the same store.
public final class VideoService: Sendable {
    public let configuration: ServiceConfiguration
    public let store: any ServiceStore
    public let outputs: OutputStore
    public let keys: KeyService
    let cancellations = CancellationRegistry()
    let wakeup = WorkSignal()
    let logger: Logger
    /// Limits, pause, moderation and review (TrustService.swift).
    public let trust: TrustService
    /// When this service started (Unix milliseconds): the `created` of the models it lists.
    public let startedAt = Clock.nowMillis()
    private let seedSource: @Sendable () -> UInt32

    /// - Parameter seedSource: draws the seed of a request that sets none (explicit so tests can fix it).
    public init(
        configuration: ServiceConfiguration,
        store: any ServiceStore,
        outputs: OutputStore,
        logger: Logger = Logger(label: "kino.service"),
        trust: TrustSettings = TrustSettings(),
        seedSource: @escaping @Sendable () -> UInt32 = { UInt32.random(in: .min ... .max) }
    ) {
        self.trust = TrustService(store: store, outputs: outputs, settings: trust, logger: logger)
        self.configuration = configuration
        self.store = store
        self.outputs = outputs
        self.keys = KeyService(store: store)
        self.logger = logger
        self.seedSource = seedSource
    }

    public func create(_ fields: RequestFields, principal: Principal, now: Int64 = Clock.nowMillis()) async throws -> VideoJob {
        try principal.require(.generate)
        try await trust.checkNotPaused()
        // A remote picture is fetched last, once the rest is valid and the prompt passed: a refused request makes
        // no outbound request.
        let remote = remoteReference(in: fields)
        var request = try configuration.validateCreate(remote?.others ?? fields, principal: principal)
        try await trust.screenPrompt(request.prompt, principal: principal, route: "create", now: now)
        if let remote, let settings = configuration.remoteReferences {
            var fetched = RequestFields(files: ["input_reference"])
            fetched.uploads["input_reference"] = try await fetchPicture(remote.url, param: remote.param, settings: settings)
            request.inputReference = try configuration.validateInputReference(fetched, param: remote.param)
        }
        var character: String?
        if request.inputReference == nil, let (named, still) = try await namedCharacter(in: request.prompt, principal: principal) {
            request.inputReference = still
            character = named.id
        }
        return try await insert(request, principal: principal, remixOf: nil, strength: nil, route: "create", characterID: character, now: now)
    }

    /// A new video re-generated from `sourceID`'s clean latents with a new prompt (SDEdit-style). Once the latents
    /// are gone (expired, or a model that keeps none) the source is re-encoded from its MP4 instead: an edit at the
    /// same strength, still `remixed_from_video_id`.
    public func remix(sourceID: String, _ fields: RequestFields, principal: Principal, rendererSupportsRemix: Bool, now: Int64 = Clock.nowMillis()) async throws -> VideoJob {
        try principal.require(.generate)
        try await trust.checkNotPaused()
        try configuration.rejectUnsupportedAndReadOnly(fields)
        for name in ["input_reference", "input_reference[image_url]"] where fields.has(name) {
            throw KinoServiceError.invalid("A remix starts from the source video, not a picture; leave '\(name)' out.", param: name)
        }
        let source = try await video(sourceID, principal: principal, scope: .generate)
        let prompt = try configuration.validatePrompt(fields)
        try await trust.screenPrompt(prompt, principal: principal, route: "remix", now: now)
        let strength = try configuration.validateStrength(fields)
        guard rendererSupportsRemix else {
            throw KinoServiceError(.unsupported, "Remix is not supported by the model this server runs.", code: "unsupported")
        }
        let latentsKept = source.hasLatents && FileManager.default.fileExists(atPath: outputs.latents(for: source.id).path)
        guard source.status == .completed, !source.assetsPurged, latentsKept || configuration.checkVideo != nil else {
            throw KinoServiceError.invalid(
                source.status == .completed
                    ? "Video \(source.id) has no stored latents (they expired or the model did not keep them), so it cannot be remixed."
                    : "Video \(source.id) is \(source.status.rawValue); only completed videos can be remixed.",
                param: "video_id", code: "invalid_video_state")
        }
        for name in ["model", "seconds", "size"] where fields.has(name) {
            throw KinoServiceError.invalid("A remix keeps the source's \(name); leave '\(name)' out.", param: name)
        }
        var request = ValidatedVideoRequest(
            prompt: prompt, model: source.model, engineModel: source.engineModel, seconds: source.seconds, size: source.size,
            negativePrompt: nil, seed: source.settings.seed, steps: source.settings.steps, guidance: source.settings.guidance,
            style: source.settings.style, watermark: true)
        try configuration.applyExtras(fields, to: &request, principal: principal)
        if !latentsKept {
            let mp4 = try await resolveSource(RequestFields(values: ["video[id]": source.id]), principal: principal, verb: "remixed")
            request.inputReference = InputReference(bytes: mp4.bytes, fileExtension: mp4.fileExtension)
            return try await insert(request, principal: principal, remixOf: source.id, strength: strength, route: "remix",
                                    source: (.edit, source.id, nil), now: now)
        }
        return try await insert(request, principal: principal, remixOf: source.id, strength: strength, route: "remix", now: now)
    }

    func insert(_ request: ValidatedVideoRequest, principal: Principal, remixOf: String?, strength: Double?, route: String,
                source: (kind: SourceKind, videoID: String?, chargedSeconds: Int?)? = nil, characterID: String? = nil,
                now: Int64) async throws -> VideoJob {
        let job = NewVideoJob(
            id: Self.newVideoID(), project: principal.project, keyID: principal.keyID, keySerial: principal.keySerial,
            model: request.model, engineModel: request.engineModel, prompt: request.prompt, seconds: request.seconds,
            size: request.size,
            settings: GenerationSettings(
                negativePrompt: request.negativePrompt, seed: request.seed ?? seedSource(), steps: request.steps,
                guidance: request.guidance, style: request.style, turbo: request.turbo,
                cache: request.cache, recipe: request.recipe),
            watermark: request.watermark, remixOf: remixOf, remixStrength: strength, sourceKind: source?.kind,
            sourceVideoID: source?.videoID, chargedSeconds: source?.chargedSeconds, characterID: characterID,
            maxAttempts: configuration.maxAttempts, createdAt: now)
        // The picture (or source video) is on disk before the job row exists, so no worker can claim a job without it.
        var withInput = job
        if let input = request.inputReference {
            withInput.inputFile = try outputs.storeInput(input.bytes, videoID: job.id, fileExtension: input.fileExtension)
        }
        // An extension of one of the project's videos starts from its frames as rendered, before its marks.
        if source?.kind == .extension, let sourceID = source?.videoID {
            do {
                _ = try outputs.storeSourceLatents(from: sourceID, videoID: job.id)
            } catch {
                outputs.remove(videoID: job.id)
                throw error
            }
        }
        let stored: VideoJob
        do {
            stored = try await trust.admit(withInput, principal: principal, route: route, now: now)
        } catch {
            if withInput.inputFile != nil { outputs.remove(videoID: job.id) }
            throw error
        }
        wakeup.signal()
        logger.info("queued video", metadata: ["video": "\(stored.id)", "project": "\(stored.project)"])
        return stored
    }

    public func video(_ id: String, principal: Principal, scope: Scope = .read) async throws -> VideoJob {
        try principal.require(scope)
        guard var job = try await store.job(id: id, project: principal.project) else { throw Self.notFound(id) }
        if job.status == .completed { job.share = try await store.shareSummaries(videoIDs: [job.id])[job.id] }
        job.feedback = try await store.feedback(videoIDs: [job.id])[job.id]
        return job
    }

    public func list(principal: Principal, after: String?, limit: Int?, order: String?) async throws -> JobPage {
        try principal.require(.read)
        let limit = limit ?? 20
        guard (1...100).contains(limit) else {
            throw KinoServiceError.invalid("limit must be between 1 and 100, got \(limit).", param: "limit")
        }
        var sortOrder = SortOrder.desc
        if let order {
            guard let parsed = SortOrder(rawValue: order) else {
                throw KinoServiceError.invalid("order must be 'asc' or 'desc', got '\(order)'.", param: "order")
            }
            sortOrder = parsed
        }
        var page = try await store.list(project: principal.project, after: after, limit: limit, order: sortOrder)
        let completed = page.jobs.filter { $0.status == .completed }.map(\.id)
        let shares = try await store.shareSummaries(videoIDs: completed)
        let feedback = try await store.feedback(videoIDs: page.jobs.map(\.id))
        for index in page.jobs.indices {
            page.jobs[index].share = shares[page.jobs[index].id]
            page.jobs[index].feedback = feedback[page.jobs[index].id]
        }
        return page
    }

    /// Cancels a queued or running video; finished videos are returned unchanged.
    public func cancel(_ id: String, principal: Principal, now: Int64 = Clock.nowMillis()) async throws -> VideoJob {
        try principal.require(.generate)
        guard let outcome = try await store.cancel(id: id, project: principal.project, now: now) else { throw Self.notFound(id) }
        if outcome == .cancelRequested { cancellations.request(id) }
        return try await video(id, principal: principal, scope: .generate)
    }

    /// Deletes a video (cancelling it first if it is queued or running) and removes its files.
    public func delete(_ id: String, principal: Principal, now: Int64 = Clock.nowMillis()) async throws {
        try principal.require(.generate)
        guard let job = try await store.job(id: id, project: principal.project) else { throw Self.notFound(id) }
        guard try await store.markDeleted(id: id, project: principal.project, now: now) else { throw Self.notFound(id) }
        if job.status == .inProgress { cancellations.request(id) }
        await purgeAssets(now: now)
    }

    /// The file of a finished video's asset.
    public func content(_ id: String, variant: VideoVariant, principal: Principal) async throws -> URL {
        let job = try await video(id, principal: principal)
        guard job.status == .completed else {
            throw KinoServiceError.invalid(
                "Video \(id) is \(job.status.rawValue); its content is available once it is completed.", param: "video_id", code: "video_not_ready")
        }
        let file = outputs.file(for: id, variant)
        guard !job.assetsPurged, FileManager.default.fileExists(atPath: file.path) else {
            throw KinoServiceError(.notFound, "The files of video \(id) have expired and were deleted. Generate it again.", param: "video_id", code: "video_expired")
        }
        return file
    }

    /// A video's latest preview picture, nil while there is none (no step finished yet, or the model has no fitted
    /// preview map). The last one stays after the render until the files go, so a client that saw a step as the
    /// render ended still gets it.
    public func preview(_ id: String, principal: Principal) async throws -> RenderPreview? {
        _ = try await video(id, principal: principal)
        return try await store.preview(videoID: id)
    }

    /// Removes the files of expired and deleted videos. Called by the rescuer loop.
    @discardableResult
    public func purgeAssets(now: Int64 = Clock.nowMillis()) async -> Int {
        do {
            let ids = try await store.purgeableAssets(now: now)
            for id in ids { outputs.remove(videoID: id) }
            if !ids.isEmpty { logger.info("removed expired assets", metadata: ["count": "\(ids.count)"]) }
            return ids.count
        } catch {
            logger.error("could not purge expired assets: \(error)")
            return 0
        }
    }

    /// How long a poller should wait before asking again, in milliseconds.
    public func pollAfterMillis(for job: VideoJob) -> Int {
        switch job.status {
        case .queued: min(5_000, 1_000 + 500 * max(0, (job.queuePosition ?? 1) - 1))
        case .inProgress: 1_000
        case .completed, .failed: 1_000
        }
    }

    static func notFound(_ id: String) -> KinoServiceError {
        KinoServiceError(.notFound, "No video found with id '\(id)'.", param: "video_id", code: "video_not_found")
    }

    static func newVideoID() -> String {
        var generator = SystemRandomNumberGenerator()
        return "video_" + hexString((0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }
}

/// Ids of running jobs whose cancellation was asked for in this process (seen by workers at once; other
/// processes see `cancel_requested` at their next heartbeat).
final class CancellationRegistry: Sendable {
    private let ids = Mutex<Set<String>>([])

    func request(_ id: String) { ids.withLock { _ = $0.insert(id) } }
    func isRequested(_ id: String) -> Bool { ids.withLock { $0.contains(id) } }
    func clear(_ id: String) { ids.withLock { _ = $0.remove(id) } }
}

/// Wakes idle workers when a job is queued, so they need not poll the database often.
final class WorkSignal: Sendable {
    private let generation = Atomic<Int>(0)

    func signal() {
        generation.add(1, ordering: .sequentiallyConsistent)
    }

    /// Waits until signalled or until `timeout` passes (a cheap in-memory check every 50 ms, no database query).
    func wait(timeout: Duration) async {
        let start = generation.load(ordering: .sequentiallyConsistent)
        let deadline = ContinuousClock.now + timeout
        while generation.load(ordering: .sequentiallyConsistent) == start, ContinuousClock.now < deadline {
            do { try await Task.sleep(for: .milliseconds(50)) } catch { return }
        }
    }
}
