/// The API as OpenAPI 3.1, served at `/v1/openapi.yaml`. Kept beside the routes; `OpenAPITests` checks that every
/// route the router has is described here.
enum OpenAPIDocument {
    static let yaml = #"""
    openapi: 3.1.0
    info:
      title: Kino Videos API
      version: "1.0"
      description: >
        OpenAI's Videos API (/v1/videos) served by Kino, plus optional Kino extras (seed, negative_prompt, steps,
        guidance, style, queue_position, cancel, events). Errors use {"error": {message, type, param, code}}.
        Every response carries x-request-id and openai-processing-ms. Keys with a rate limit get x-ratelimit-limit-requests,
        x-ratelimit-remaining-requests and x-ratelimit-reset-requests; over a limit the answer is 429 with retry-after.
        A prompt refused by moderation is a 400 with code moderation_blocked and param prompt; while the operator has
        paused new jobs, creating one is a 503 carrying the operator's message.
    servers:
      - url: /
    security:
      - bearer: []
    components:
      securitySchemes:
        bearer:
          type: http
          scheme: bearer
          description: A Kino API key (kino_...), created with `kino keys create`.
      parameters:
        VideoID:
          name: video_id
          in: path
          required: true
          schema: { type: string }
        IdempotencyKey:
          name: Idempotency-Key
          in: header
          required: false
          description: Replays the first result for 24 hours; 409 while the first request runs; 422 if reused with a different body.
          schema: { type: string, maxLength: 255 }
      schemas:
        CreateVideo:
          type: object
          required: [prompt]
          properties:
            prompt: { type: string, minLength: 1, maxLength: 32000 }
            model: { type: string, description: "A Kino model name or an alias such as sora-2 / sora-2-pro." }
            seconds: { type: string, enum: ["4", "8", "12"], default: "4" }
            size: { type: string, enum: ["720x1280", "1280x720", "1024x1792", "1792x1024"], default: "720x1280" }
            input_reference: { description: "Not supported yet: answered with 400, code unsupported." }
            negative_prompt: { type: string }
            seed: { type: integer, minimum: 0, maximum: 4294967295 }
            steps: { type: integer, minimum: 1, maximum: 200 }
            guidance: { type: number, minimum: 0, maximum: 30 }
            style: { type: string, enum: [plain, pixel-art, line-sketch, noir, neon] }
            turbo: { type: boolean, default: false, description: "Kino: the model's short schedule plus step caching (kino-tiny: about 1.6x faster, close to the default clip)." }
            watermark: { type: boolean, description: "false needs the watermark-free scope." }
        RemixVideo:
          type: object
          required: [prompt]
          properties:
            prompt: { type: string, minLength: 1, maxLength: 32000 }
            strength: { type: number, exclusiveMinimum: 0, maximum: 1, default: 0.6 }
            negative_prompt: { type: string }
            seed: { type: integer, minimum: 0, maximum: 4294967295 }
            steps: { type: integer, minimum: 1, maximum: 200 }
            guidance: { type: number, minimum: 0, maximum: 30 }
            style: { type: string }
            turbo: { type: boolean }
        Video:
          type: object
          required: [id, object, model, status, progress, created_at, prompt, seconds, size]
          properties:
            id: { type: string }
            object: { type: string, const: video }
            model: { type: string }
            status: { type: string, enum: [queued, in_progress, completed, failed] }
            progress: { type: integer, minimum: 0, maximum: 100 }
            created_at: { type: integer }
            completed_at: { type: [integer, "null"] }
            expires_at: { type: [integer, "null"] }
            prompt: { type: string }
            seconds: { type: string }
            size: { type: string }
            remixed_from_video_id: { type: [string, "null"] }
            error:
              oneOf:
                - type: "null"
                - type: object
                  properties: { code: { type: string }, message: { type: string } }
            queue_position: { type: integer, description: "Kino: 1 = next to run; only while queued." }
            seed: { type: integer }
            negative_prompt: { type: string }
            steps: { type: integer }
            guidance: { type: number }
            style: { type: string }
            turbo: { type: boolean }
            remix_strength: { type: number }
        VideoList:
          type: object
          properties:
            object: { type: string, const: list }
            data: { type: array, items: { $ref: "#/components/schemas/Video" } }
            first_id: { type: [string, "null"] }
            last_id: { type: [string, "null"] }
            has_more: { type: boolean }
        Error:
          type: object
          properties:
            error:
              type: object
              properties:
                message: { type: string }
                type: { type: string, enum: [invalid_request_error, authentication_error, permission_error, not_found_error, rate_limit_error, server_error] }
                param: { type: [string, "null"] }
                code: { type: [string, "null"] }
        Share:
          type: object
          description: "Kino: a request to publish a video (review before sharing)."
          properties:
            object: { type: string, const: video.share }
            video_id: { type: string }
            state: { type: string, enum: [pending, approved, rejected] }
            requested_at: { type: integer }
            decided_at: { type: [integer, "null"] }
            reason: { type: [string, "null"] }
            share_url: { type: [string, "null"], description: "The public page, once approved." }
            project: { type: string, description: "Review routes only." }
            prompt: { type: string, description: "Review routes only." }
            seconds: { type: string }
            size: { type: string }
            model: { type: string }
        Pause:
          type: object
          properties:
            object: { type: string, const: service.pause }
            paused: { type: boolean }
            message: { type: [string, "null"] }
            since: { type: [integer, "null"] }
        Decision:
          type: object
          properties:
            reason: { type: string, maxLength: 2000 }
      responses:
        Error:
          description: An error in OpenAI's shape.
          content:
            application/json:
              schema: { $ref: "#/components/schemas/Error" }
        RateLimited:
          description: Over a per-key limit (code rate_limit_exceeded, quota_exceeded, concurrency_limit_exceeded or queue_full).
          headers:
            retry-after: { schema: { type: integer }, description: Seconds to wait. }
            x-ratelimit-limit-requests: { schema: { type: integer } }
            x-ratelimit-remaining-requests: { schema: { type: integer } }
            x-ratelimit-reset-requests: { schema: { type: string }, description: "e.g. 1s, 12ms" }
          content:
            application/json:
              schema: { $ref: "#/components/schemas/Error" }
        Paused:
          description: New jobs are paused by the operator (code service_paused); the message says why.
          content:
            application/json:
              schema: { $ref: "#/components/schemas/Error" }
    paths:
      /healthz:
        get:
          security: []
          summary: Liveness and queue size.
          responses:
            "200": { description: OK }
      /v1/openapi.yaml:
        get:
          security: []
          summary: This document.
          responses:
            "200": { description: OK }
      /v1/videos:
        post:
          summary: Create a video (multipart/form-data or JSON).
          parameters: [{ $ref: "#/components/parameters/IdempotencyKey" }]
          requestBody:
            required: true
            content:
              multipart/form-data:
                schema: { $ref: "#/components/schemas/CreateVideo" }
              application/json:
                schema: { $ref: "#/components/schemas/CreateVideo" }
          responses:
            "200":
              description: The queued video.
              content: { application/json: { schema: { $ref: "#/components/schemas/Video" } } }
            "400": { $ref: "#/components/responses/Error" }
            "401": { $ref: "#/components/responses/Error" }
            "403": { $ref: "#/components/responses/Error" }
            "409": { $ref: "#/components/responses/Error" }
            "413": { $ref: "#/components/responses/Error" }
            "422": { $ref: "#/components/responses/Error" }
            "429": { $ref: "#/components/responses/RateLimited" }
            "503": { $ref: "#/components/responses/Paused" }
        get:
          summary: List the project's videos, newest first by default.
          parameters:
            - { name: after, in: query, schema: { type: string } }
            - { name: limit, in: query, schema: { type: integer, minimum: 1, maximum: 100, default: 20 } }
            - { name: order, in: query, schema: { type: string, enum: [asc, desc], default: desc } }
          responses:
            "200":
              description: A page of videos.
              content: { application/json: { schema: { $ref: "#/components/schemas/VideoList" } } }
            "400": { $ref: "#/components/responses/Error" }
      /v1/videos/{video_id}:
        parameters: [{ $ref: "#/components/parameters/VideoID" }]
        get:
          summary: Retrieve a video. The openai-poll-after-ms header says when to ask again.
          responses:
            "200":
              description: The video.
              content: { application/json: { schema: { $ref: "#/components/schemas/Video" } } }
            "404": { $ref: "#/components/responses/Error" }
        delete:
          summary: Delete a video, cancelling it first if it is queued or running.
          responses:
            "200":
              description: Deleted.
              content:
                application/json:
                  schema:
                    type: object
                    properties: { id: { type: string }, object: { const: video.deleted }, deleted: { type: boolean } }
            "404": { $ref: "#/components/responses/Error" }
      /v1/videos/{video_id}/content:
        parameters: [{ $ref: "#/components/parameters/VideoID" }]
        get:
          summary: Download the MP4, the WebP thumbnail or the JPEG spritesheet.
          parameters:
            - { name: variant, in: query, schema: { type: string, enum: [video, thumbnail, spritesheet], default: video } }
            - { name: download, in: query, schema: { type: string, enum: ["1"] }, description: "Kino: Content-Disposition attachment." }
            - { name: Range, in: header, schema: { type: string }, description: "One byte range, e.g. bytes=0-1023." }
          responses:
            "200":
              description: The file.
              content:
                video/mp4: {}
                image/webp: {}
                image/jpeg: {}
            "206":
              description: The requested byte range (Content-Range says which).
              content:
                video/mp4: {}
                image/webp: {}
                image/jpeg: {}
            "400": { $ref: "#/components/responses/Error" }
            "404": { $ref: "#/components/responses/Error" }
      /v1/videos/{video_id}/remix:
        parameters: [{ $ref: "#/components/parameters/VideoID" }, { $ref: "#/components/parameters/IdempotencyKey" }]
        post:
          summary: Re-generate a completed video from its stored latents with a new prompt (SDEdit-style).
          requestBody:
            required: true
            content:
              application/json: { schema: { $ref: "#/components/schemas/RemixVideo" } }
              multipart/form-data: { schema: { $ref: "#/components/schemas/RemixVideo" } }
          responses:
            "200":
              description: The new video, with remixed_from_video_id.
              content: { application/json: { schema: { $ref: "#/components/schemas/Video" } } }
            "400": { $ref: "#/components/responses/Error" }
            "404": { $ref: "#/components/responses/Error" }
            "429": { $ref: "#/components/responses/RateLimited" }
            "503": { $ref: "#/components/responses/Paused" }
      /v1/videos/{video_id}/cancel:
        parameters: [{ $ref: "#/components/parameters/VideoID" }]
        post:
          summary: "Kino: cancel a queued or running video (it ends failed with error.code cancelled)."
          responses:
            "200":
              description: The video.
              content: { application/json: { schema: { $ref: "#/components/schemas/Video" } } }
            "404": { $ref: "#/components/responses/Error" }
      /v1/videos/{video_id}/events:
        parameters: [{ $ref: "#/components/parameters/VideoID" }]
        get:
          summary: "Kino: server-sent events; each `video` event carries the Video object, until it is completed or failed."
          responses:
            "200":
              description: An event stream.
              content: { text/event-stream: {} }
            "404": { $ref: "#/components/responses/Error" }
      /v1/videos/extensions:
        post:
          summary: Not supported yet (400, code unsupported).
          responses: { "400": { $ref: "#/components/responses/Error" } }
      /v1/videos/edits:
        post:
          summary: Not supported yet (400, code unsupported).
          responses: { "400": { $ref: "#/components/responses/Error" } }
      /v1/videos/characters:
        post:
          summary: Not supported yet (400, code unsupported).
          responses: { "400": { $ref: "#/components/responses/Error" } }
      /v1/videos/characters/{character_id}:
        parameters: [{ name: character_id, in: path, required: true, schema: { type: string } }]
        get:
          summary: Not supported yet (400, code unsupported).
          responses: { "400": { $ref: "#/components/responses/Error" } }
      /v1/models:
        get:
          summary: "Kino: the models and aliases this server accepts."
          responses:
            "200": { description: OK }
      /v1/videos/{video_id}/publish:
        parameters: [{ $ref: "#/components/parameters/VideoID" }]
        post:
          summary: "Kino: ask to publish a completed video; it is shared once a moderator approves it."
          responses:
            "200":
              description: The share request.
              content: { application/json: { schema: { $ref: "#/components/schemas/Share" } } }
            "400": { $ref: "#/components/responses/Error" }
            "404": { $ref: "#/components/responses/Error" }
      /v1/review:
        get:
          summary: "Kino: the review queue (moderator scope), oldest request first."
          parameters:
            - { name: state, in: query, schema: { type: string, enum: [pending, approved, rejected, all], default: pending } }
          responses:
            "200":
              description: Share requests.
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      object: { const: list }
                      data: { type: array, items: { $ref: "#/components/schemas/Share" } }
            "403": { $ref: "#/components/responses/Error" }
      /v1/review/{video_id}/content:
        parameters: [{ $ref: "#/components/parameters/VideoID" }]
        get:
          summary: "Kino: a video under review (moderator scope)."
          parameters:
            - { name: variant, in: query, schema: { type: string, enum: [video, thumbnail, spritesheet], default: video } }
          responses:
            "200": { description: The file., content: { video/mp4: {}, image/webp: {}, image/jpeg: {} } }
            "403": { $ref: "#/components/responses/Error" }
            "404": { $ref: "#/components/responses/Error" }
      /v1/review/{video_id}/approve:
        parameters: [{ $ref: "#/components/parameters/VideoID" }]
        post:
          summary: "Kino: approve sharing (moderator scope); the video gets a public page and joins the gallery. Logged."
          requestBody:
            required: false
            content: { application/json: { schema: { $ref: "#/components/schemas/Decision" } } }
          responses:
            "200":
              description: The decided share request.
              content: { application/json: { schema: { $ref: "#/components/schemas/Share" } } }
            "403": { $ref: "#/components/responses/Error" }
            "404": { $ref: "#/components/responses/Error" }
      /v1/review/{video_id}/reject:
        parameters: [{ $ref: "#/components/parameters/VideoID" }]
        post:
          summary: "Kino: reject sharing (moderator scope), with an optional reason. Logged."
          requestBody:
            required: false
            content: { application/json: { schema: { $ref: "#/components/schemas/Decision" } } }
          responses:
            "200":
              description: The decided share request.
              content: { application/json: { schema: { $ref: "#/components/schemas/Share" } } }
            "403": { $ref: "#/components/responses/Error" }
            "404": { $ref: "#/components/responses/Error" }
      /v1/admin/pause:
        get:
          summary: "Kino: whether new jobs are paused (admin scope)."
          responses:
            "200": { description: The pause state., content: { application/json: { schema: { $ref: "#/components/schemas/Pause" } } } }
            "403": { $ref: "#/components/responses/Error" }
        post:
          summary: "Kino: pause new jobs (admin scope); they get 503 with the message; running and queued jobs finish."
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [message]
                  properties: { message: { type: string, minLength: 1, maxLength: 1000 } }
          responses:
            "200": { description: Paused., content: { application/json: { schema: { $ref: "#/components/schemas/Pause" } } } }
            "400": { $ref: "#/components/responses/Error" }
            "403": { $ref: "#/components/responses/Error" }
      /v1/admin/resume:
        post:
          summary: "Kino: accept new jobs again (admin scope)."
          responses:
            "200": { description: Resumed., content: { application/json: { schema: { $ref: "#/components/schemas/Pause" } } } }
            "403": { $ref: "#/components/responses/Error" }
      /v1/admin/moderation:
        get:
          summary: "Kino: recent moderation decisions, allowed and blocked (admin scope)."
          parameters:
            - { name: limit, in: query, schema: { type: integer, minimum: 1, maximum: 500, default: 50 } }
          responses:
            "200": { description: "The audit log, newest first." }
            "403": { $ref: "#/components/responses/Error" }
      /share/{video_id}:
        parameters: [{ $ref: "#/components/parameters/VideoID" }]
        get:
          security: []
          summary: "Kino: the public page of an approved video (HTML player); 404 for anything not approved."
          responses:
            "200": { description: HTML page., content: { text/html: {} } }
            "404": { description: Not shared. }
      /share/{video_id}/video.mp4:
        parameters: [{ $ref: "#/components/parameters/VideoID" }]
        get:
          security: []
          summary: "Kino: the MP4 of an approved video (byte ranges supported)."
          responses:
            "200": { description: The file., content: { video/mp4: {} } }
            "206": { description: A byte range., content: { video/mp4: {} } }
            "404": { $ref: "#/components/responses/Error" }
      /share/{video_id}/thumbnail.webp:
        parameters: [{ $ref: "#/components/parameters/VideoID" }]
        get:
          security: []
          summary: "Kino: the thumbnail of an approved video."
          responses:
            "200": { description: The file., content: { image/webp: {} } }
            "404": { $ref: "#/components/responses/Error" }
      /gallery:
        get:
          security: []
          summary: "Kino: the public gallery of approved videos (HTML)."
          responses:
            "200": { description: HTML page., content: { text/html: {} } }
    """#
}
