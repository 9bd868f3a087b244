import Foundation
import KinoService

/// The Video object as the OpenAI SDK parses it, plus Kino's optional extras.
struct VideoObject {
    struct ErrorDetail {
        var code: String
        var message: String
    }

    var id: String
    var object = "video"
    var model: String
    var status: String
    var progress: Int
    var created_at: Int64
    var completed_at: Int64?
    var expires_at: Int64?
    var prompt: String
    var seconds: String
    var size: String
    var remixed_from_video_id: String?
    var error: ErrorDetail?
    // Kino's extras.
    var queue_position: Int?
    var seed: UInt32
    var negative_prompt: String?
    var steps: Int?
    var guidance: Double?
    var style: String?
    var turbo = false
    var cache: String?
    var recipe: String?
    var remix_strength: Double?
    var source_kind: String?
    var source_video_id: String?
    var character_id: String?
    var share: ShareSummary?
    var phase: String?
    var started_at: Int64?
    var preview: (step: Int, url: String)?
    var feedback: VideoFeedback?

    init(_ job: VideoJob) {
        id = job.id
        model = job.model
        status = job.status.rawValue
        progress = job.progress
        // The API speaks Unix seconds; the service keeps milliseconds.
        created_at = job.createdAt / 1000
        completed_at = job.status.isTerminal ? job.completedAt.map { $0 / 1000 } : nil
        expires_at = job.expiresAt.map { $0 / 1000 }
        prompt = job.prompt
        seconds = String(job.seconds)
        size = job.size.description
        remixed_from_video_id = job.remixOf
        if job.status == .failed {
            error = ErrorDetail(code: job.errorCode ?? "generation_failed", message: job.errorMessage ?? "The video failed.")
        }
        queue_position = job.status == .queued ? job.queuePosition : nil
        seed = job.settings.seed
        negative_prompt = job.settings.negativePrompt
        steps = job.settings.steps
        guidance = job.settings.guidance
        style = job.settings.style
        turbo = job.settings.turbo
        cache = job.settings.cache
        recipe = job.settings.recipe
        remix_strength = job.remixStrength
        // A remix re-encoded from its source's MP4 is still a remix to the client.
        if job.remixOf == nil {
            source_kind = job.sourceKind?.rawValue
            source_video_id = job.sourceVideoID
        }
        character_id = job.characterID
        share = job.share
        feedback = job.feedback
        if job.status == .inProgress {
            phase = job.phase
            started_at = job.startedAt.map { $0 / 1000 }
            if job.previewAt != nil, let step = job.previewStep { preview = (step, "/v1/videos/\(job.id)/preview") }
        }
    }

    /// Writes the object; fields OpenAI defines are always present (null when empty), Kino's extras only when set.
    func write(to w: inout JSONWriter) {
        w.beginObject()
        w.field("id", id)
        w.field("object", object)
        w.field("model", model)
        w.field("status", status)
        w.field("progress", progress)
        w.field("created_at", created_at)
        w.field("completed_at", completed_at)
        w.field("expires_at", expires_at)
        w.field("prompt", prompt)
        w.field("seconds", seconds)
        w.field("size", size)
        w.field("remixed_from_video_id", remixed_from_video_id)
        w.key("error")
        if let error {
            w.beginObject()
            w.field("code", error.code)
            w.field("message", error.message)
            w.endObject()
        } else {
            w.nullValue()
        }
        if let queue_position { w.field("queue_position", queue_position) }
        w.field("seed", Int64(seed))
        if let negative_prompt { w.field("negative_prompt", negative_prompt) }
        if let steps { w.field("steps", steps) }
        if let guidance { w.field("guidance", guidance) }
        if let style { w.field("style", style) }
        if turbo { w.field("turbo", true) }
        if let cache { w.field("cache", cache) }
        if let recipe { w.field("recipe", recipe) }
        if let remix_strength { w.field("remix_strength", remix_strength) }
        if let source_kind { w.field("source_kind", source_kind) }
        if let source_video_id { w.field("source_video_id", source_video_id) }
        if let character_id { w.field("character_id", character_id) }
        if let phase { w.field("phase", phase) }
        if let started_at { w.field("started_at", started_at) }
        if let preview {
            w.key("preview")
            w.beginObject()
            w.field("step", preview.step)
            w.field("url", preview.url)
            w.endObject()
        }
        if let share {
            w.key("share")
            w.beginObject()
            w.field("state", share.state.rawValue)
            if let reason = share.reason { w.field("reason", reason) }
            if let note = share.note { w.field("note", note) }
            if share.allowDownload { w.field("allow_download", true) }
            if share.state == .approved { w.field("url", "/share/\(id)") }
            w.endObject()
        }
        if let feedback {
            w.key("feedback")
            w.beginObject()
            w.field("rating", feedback.rating?.rawValue)
            w.field("note", feedback.note)
            w.endObject()
        }
        w.endObject()
    }

    var jsonData: Data {
        var writer = JSONWriter()
        write(to: &writer)
        return writer.data
    }
}

struct VideoList {
    var data: [VideoObject]
    var hasMore: Bool

    var jsonData: Data {
        var w = JSONWriter()
        w.beginObject()
        w.field("object", "list")
        w.beginArray("data")
        for video in data {
            w.element()
            video.write(to: &w)
        }
        w.endArray()
        w.field("first_id", data.first?.id)
        w.field("last_id", data.last?.id)
        w.field("has_more", hasMore)
        w.endObject()
        return w.data
    }
}

struct VideoDeleted: Encodable {
    var id: String
    var object = "video.deleted"
    var deleted = true
}
