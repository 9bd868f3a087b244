import Foundation

/// The fields an extension or an edit may carry besides their own (`seconds`, `strength`).
let sourceRouteFields: Set<String> = ["prompt", "video", "video[id]", "model", "negative_prompt", "seed", "steps", "guidance",
                                      "style", "turbo", "cache", "recipe", "watermark"]

/// A source video as a request named or uploaded it: its bytes (copied into the job's input file), size and length.
struct ResolvedSource {
    var bytes: [UInt8]
    var fileExtension: String
    var size: VideoSize
    var seconds: Double
    /// A still of an upload's middle frame, when the renderer took one.
    var still: [UInt8]? = nil
    /// The project's video it came from; nil for an upload.
    var job: VideoJob?
}

extension VideoService {
    /// `POST /v1/videos/extensions`: the source's frames followed by `seconds` more, generated from its last frames.
    /// The new video's `seconds` is the joined total; only the added seconds count against the key's allowance.
    public func extend(_ fields: RequestFields, principal: Principal, now: Int64 = Clock.nowMillis()) async throws -> VideoJob {
        try principal.require(.generate)
        try await trust.checkNotPaused()
        try configuration.rejectUnsupportedAndReadOnly(fields, accepted: sourceRouteFields.union(["seconds"]), fileFields: ["video"])
        guard configuration.checkVideo != nil, configuration.checkImage != nil else {
            throw KinoServiceError(.unsupported, "The model this server runs cannot continue a video. Models that can: kino-tiny and "
                                   + "Wan 2.2 TI2V-5B (run `kino serve --model` with one of them).", param: "video", code: "unsupported")
        }
        let prompt = try configuration.validatePrompt(fields)
        guard let text = fields["seconds"] else {
            throw KinoServiceError.invalid("Say how many seconds to add in 'seconds' (\(Self.choices(configuration.extensionSecondsChoices))).",
                                           param: "seconds", code: "missing_required_parameter")
        }
        guard let added = Int(text), configuration.extensionSecondsChoices.contains(added) else {
            throw KinoServiceError.invalid("Invalid seconds '\(text)': the seconds an extension adds are one of "
                                           + "\(Self.choices(configuration.extensionSecondsChoices)).", param: "seconds")
        }
        let source = try await resolveSource(fields, principal: principal, verb: "extended")
        let total = Int(source.seconds.rounded()) + added
        guard total <= configuration.maxExtendedSeconds else {
            throw KinoServiceError.invalid("The source is \(Int(source.seconds.rounded())) s long; adding \(added) s would make \(total) s, "
                                           + "more than the \(configuration.maxExtendedSeconds) s this server makes.", param: "seconds")
        }
        try await trust.screenPrompt(prompt, principal: principal, route: "extensions", now: now)
        var request = try baseRequest(prompt: prompt, source: source, fields: fields, seconds: total, principal: principal)
        request.inputReference = InputReference(bytes: source.bytes, fileExtension: source.fileExtension)
        return try await insert(request, principal: principal, remixOf: nil, strength: nil, route: "extensions",
                                source: (.extension, source.job?.id, added), now: now)
    }

    /// `POST /v1/videos/edits`: the source re-rendered with a new prompt from its own frames re-noised to `strength`
    /// (Kino's field, as remix's; default 0.6). Keeps the source's size and length.
    public func edit(_ fields: RequestFields, principal: Principal, now: Int64 = Clock.nowMillis()) async throws -> VideoJob {
        try principal.require(.generate)
        try await trust.checkNotPaused()
        try configuration.rejectUnsupportedAndReadOnly(fields, accepted: sourceRouteFields.union(["strength"]), fileFields: ["video"])
        let prompt = try configuration.validatePrompt(fields)
        let strength = try configuration.validateStrength(fields)
        guard configuration.checkVideo != nil else {
            throw KinoServiceError(.unsupported, "This server's renderer cannot start from a video; edits need the engine (`kino serve`).",
                                   param: "video", code: "unsupported")
        }
        let source = try await resolveSource(fields, principal: principal, verb: "edited")
        try await trust.screenPrompt(prompt, principal: principal, route: "edits", now: now)
        var request = try baseRequest(prompt: prompt, source: source, fields: fields, seconds: Int(source.seconds.rounded()), principal: principal)
        request.inputReference = InputReference(bytes: source.bytes, fileExtension: source.fileExtension)
        return try await insert(request, principal: principal, remixOf: nil, strength: strength, route: "edits",
                                source: (.edit, source.job?.id, nil), now: now)
    }

    /// The request an extension or edit starts from: the source's model (or `model` for an upload), size and seed.
    private func baseRequest(prompt: String, source: ResolvedSource, fields: RequestFields, seconds: Int,
                             principal: Principal) throws -> ValidatedVideoRequest {
        let model: String, engine: String
        if let job = source.job {
            if fields.has("model") {
                throw KinoServiceError.invalid("The result keeps the source video's model (\(job.model)); leave 'model' out.", param: "model")
            }
            (model, engine) = (job.model, job.engineModel)
        } else {
            (model, engine) = try configuration.catalog.resolve(fields["model"])
        }
        var request = ValidatedVideoRequest(
            prompt: prompt, model: model, engineModel: engine, seconds: max(1, seconds), size: source.size,
            negativePrompt: nil, seed: source.job?.settings.seed, steps: nil, guidance: nil, style: nil, watermark: true)
        try configuration.applyExtras(fields, to: &request, principal: principal)
        return request
    }

    /// The source video: an upload (`video` as a multipart file) or one of the caller's completed videos
    /// (`video[id]`, or the JSON `{"video": {"id": ...}}`).
    func resolveSource(_ fields: RequestFields, principal: Principal, verb: String) async throws -> ResolvedSource {
        let uploaded = fields.files.contains("video")
        let id = fields["video[id]"]
        if !uploaded, fields.values["video"] != nil {
            throw KinoServiceError.invalid("'video' is an uploaded file (multipart) or an object {\"id\": \"video_...\"}; to name a video "
                                           + "send video[id] (multipart) or \"video\": {\"id\": ...} (JSON).", param: "video", code: "invalid_type")
        }
        if uploaded, fields.has("video[id]") {
            throw KinoServiceError.invalid("Send one source video: an uploaded file or video[id], not both.", param: "video[id]")
        }
        if uploaded {
            let bytes = fields.uploads["video"] ?? []
            guard !bytes.isEmpty else { throw KinoServiceError.invalid("The uploaded video is empty.", param: "video") }
            guard bytes.count <= configuration.maxSourceVideoBytes else {
                throw KinoServiceError.invalid("The uploaded video has \(bytes.count) bytes; the limit is \(configuration.maxSourceVideoBytes).", param: "video")
            }
            guard let checkVideo = configuration.checkVideo else {
                throw KinoServiceError(.unsupported, "This server cannot read uploaded videos.", param: "video", code: "unsupported")
            }
            let facts: SourceVideoFacts
            do {
                // Decoding a video takes seconds and memory: on a thread of its own, not the cooperative pool.
                facts = try await onOwnThread(named: "kino-check-video") { try checkVideo(bytes) }
            } catch let error as KinoServiceError {
                throw KinoServiceError(error.kind, error.message, param: "video", code: error.code)
            }
            return ResolvedSource(bytes: bytes, fileExtension: facts.fileExtension, size: facts.size, seconds: facts.seconds,
                                  still: facts.still, job: nil)
        }
        guard let id else {
            throw KinoServiceError.invalid("Name the video to be \(verb) with video[id] (JSON: \"video\": {\"id\": \"video_...\"}) or upload it as 'video'.",
                                           param: "video", code: "missing_required_parameter")
        }
        let job = try await video(id, principal: principal, scope: .generate)
        guard job.status == .completed else {
            throw KinoServiceError.invalid("Video \(id) is \(job.status.rawValue); only completed videos can be \(verb).",
                                           param: "video[id]", code: "invalid_video_state")
        }
        let file = outputs.file(for: id, .video)
        guard !job.assetsPurged, let data = FileManager.default.contents(atPath: file.path) else {
            throw KinoServiceError(.notFound, "The files of video \(id) have expired and were deleted, so it cannot be \(verb)."
                                   + (verb == "remixed" ? "" : " Upload the MP4 as 'video' instead."), param: "video[id]", code: "video_expired")
        }
        return ResolvedSource(bytes: [UInt8](data), fileExtension: "mp4", size: job.size, seconds: Double(job.seconds), job: job)
    }

    static func choices(_ values: [Int]) -> String { values.map { "'\($0)'" }.joined(separator: ", ") }
}
