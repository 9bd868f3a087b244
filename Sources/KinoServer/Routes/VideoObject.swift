import Foundation
import KinoService

/// The Video object as the OpenAI SDK parses it, plus Kino's optional extras.
struct VideoObject: Encodable {
    struct ErrorDetail: Encodable {
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
    var remix_strength: Double?

    init(_ job: VideoJob) {
        id = job.id
        model = job.model
        status = job.status.rawValue
        progress = job.progress
        created_at = job.createdAt
        completed_at = job.status.isTerminal ? job.completedAt : nil
        expires_at = job.expiresAt
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
        remix_strength = job.remixStrength
    }

    enum CodingKeys: String, CodingKey {
        case id, object, model, status, progress, created_at, completed_at, expires_at, prompt, seconds, size
        case remixed_from_video_id, error, queue_position, seed, negative_prompt, steps, guidance, style, remix_strength
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(object, forKey: .object)
        try c.encode(model, forKey: .model)
        try c.encode(status, forKey: .status)
        try c.encode(progress, forKey: .progress)
        try c.encode(created_at, forKey: .created_at)
        try c.encode(completed_at, forKey: .completed_at)
        try c.encode(expires_at, forKey: .expires_at)
        try c.encode(prompt, forKey: .prompt)
        try c.encode(seconds, forKey: .seconds)
        try c.encode(size, forKey: .size)
        try c.encode(remixed_from_video_id, forKey: .remixed_from_video_id)
        try c.encode(error, forKey: .error)
        try c.encodeIfPresent(queue_position, forKey: .queue_position)
        try c.encode(seed, forKey: .seed)
        try c.encodeIfPresent(negative_prompt, forKey: .negative_prompt)
        try c.encodeIfPresent(steps, forKey: .steps)
        try c.encodeIfPresent(guidance, forKey: .guidance)
        try c.encodeIfPresent(style, forKey: .style)
        try c.encodeIfPresent(remix_strength, forKey: .remix_strength)
    }
}

struct VideoList: Encodable {
    var object = "list"
    var data: [VideoObject]
    var first_id: String?
    var last_id: String?
    var has_more: Bool

    enum CodingKeys: String, CodingKey { case object, data, first_id, last_id, has_more }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(object, forKey: .object)
        try c.encode(data, forKey: .data)
        try c.encode(first_id, forKey: .first_id)
        try c.encode(last_id, forKey: .last_id)
        try c.encode(has_more, forKey: .has_more)
    }
}

struct VideoDeleted: Encodable {
    var id: String
    var object = "video.deleted"
    var deleted = true
}
