import Foundation

/// The fields of a create or remix request, as text, whatever the wire format (multipart form fields, or JSON
/// values rendered as text). `files` names fields that carried a file upload (their bytes in `uploads`); `objects`
/// names fields that were JSON objects or arrays. An object's string members may arrive flattened as `name[member]`
/// (`input_reference[image_url]`), the form the SDK's multipart bodies use.
public struct RequestFields: Sendable, Equatable {
    public var values: [String: String]
    public var files: Set<String>
    public var objects: Set<String>
    public var uploads: [String: [UInt8]] = [:]

    public init(values: [String: String] = [:], files: Set<String> = [], objects: Set<String> = []) {
        self.values = values
        self.files = files
        self.objects = objects
    }

    public func has(_ name: String) -> Bool {
        values[name] != nil || files.contains(name) || objects.contains(name)
    }

    /// Refuses a field longer than `limit` code points as sent, before the trimming `subscript` does: the OpenAPI
    /// document's maxLength is on the value as sent, so trailing blank lines must not carry a field past it.
    public func checkLength(_ name: String, limit: Int, code: String = "string_above_max_length") throws {
        guard let raw = values[name], VideoLimits.length(raw) > limit else { return }
        throw KinoServiceError.invalid("\(name) has \(VideoLimits.length(raw)) characters as sent; the limit is \(limit).", param: name, code: code)
    }

    public subscript(_ name: String) -> String? {
        guard let value = values[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }
}

/// A validated create request.
public struct ValidatedVideoRequest: Sendable, Equatable {
    public var prompt: String
    public var model: String
    public var engineModel: String
    public var seconds: Int
    public var size: VideoSize
    public var negativePrompt: String?
    public var seed: UInt32?
    public var steps: Int?
    public var guidance: Double?
    public var style: String?
    public var turbo = false
    /// Step caching, as `kino generate --cache` takes it (`easycache`, `teacache:0.08`, `off`); nil: the default.
    public var cache: String?
    /// A recipe of the served model's kino.json (`turbo` is the same as `turbo: true`).
    public var recipe: String?
    public var watermark: Bool
    /// Image-to-video: the picture the clip starts from, checked by the renderer (`VideoRenderer.checkImage`).
    public var inputReference: InputReference?
}

/// An input picture as received and checked: its bytes and the extension it is stored under.
public struct InputReference: Sendable, Equatable {
    public var bytes: [UInt8]
    public var fileExtension: String
}

/// Fields Kino knows but cannot honour yet: each gets a 400 with `code: "unsupported"`, never silence.
let unsupportedFields: [String: String] = [
    "input_reference[file_id]": "Kino does not serve /v1/files, so input_reference cannot name a file id; upload the picture "
        + "as input_reference (multipart) or send it as a data: URL.",
    "n": "Variations (n) are not supported by this Kino server yet; send one request per variation.",
    "storyboard": "Storyboards are not supported by this Kino server yet.",
    "webhook_url": "Webhooks are not supported by this Kino server yet; poll GET /v1/videos/{id} or use its /events stream.",
    "characters": "Characters are not supported by this Kino server yet.",
]

/// The fields a create or remix request may carry; anything else is refused by name, never ignored.
let requestFields: Set<String> = ["prompt", "model", "seconds", "size", "negative_prompt", "seed", "steps", "guidance", "style",
                                  "turbo", "cache", "recipe", "watermark", "strength", "n", "input_reference",
                                  "input_reference[image_url]"]

/// Fields only the server sets (OWASP API3: clients cannot set them).
let readOnlyFields: Set<String> = ["id", "object", "status", "progress", "created_at", "completed_at", "expires_at", "error",
                                   "remixed_from_video_id", "queue_position"]

extension ServiceConfiguration {
    /// Validates a create request; throws `KinoServiceError` naming the parameter and the accepted values.
    public func validateCreate(_ fields: RequestFields, principal: Principal) throws -> ValidatedVideoRequest {
        try rejectUnsupportedAndReadOnly(fields)
        let prompt = try validatePrompt(fields)
        let (model, engine) = try catalog.resolve(fields["model"])
        var seconds = defaultSeconds
        if let text = fields["seconds"] {
            guard let value = Int(text), secondsChoices.contains(value) else {
                throw KinoServiceError.invalid(
                    "Invalid seconds '\(text)'. Supported values are: \(secondsChoices.map { "'\($0)'" }.joined(separator: ", ")).",
                    param: "seconds")
            }
            seconds = value
        }
        var size = defaultSize
        if let text = fields["size"] {
            guard let value = VideoLimits.parseSize(text), sizes.contains(value) else {
                throw KinoServiceError.invalid(
                    "Invalid size '\(text)'. Supported values are: \(sizes.map { "'\($0)'" }.joined(separator: ", ")).",
                    param: "size")
            }
            size = value
        }
        var request = ValidatedVideoRequest(
            prompt: prompt, model: model, engineModel: engine, seconds: seconds, size: size, negativePrompt: nil, seed: nil,
            steps: nil, guidance: nil, style: nil, watermark: true)
        try applyExtras(fields, to: &request, principal: principal)
        request.inputReference = try validateInputReference(fields)
        return request
    }

    /// `input_reference`: an uploaded picture (multipart), or a `data:` URL as the field itself or as its
    /// `image_url` (JSON object or the SDK's multipart `input_reference[image_url]`). Remote URLs are not fetched.
    /// The picture is decoded by the renderer's check now, so a bad file is a 400 here, not a failed job.
    /// `param` names the field in errors about an uploaded picture (a fetched one reports its URL's field).
    func validateInputReference(_ fields: RequestFields, param uploadParam: String = "input_reference") throws -> InputReference? {
        if checkImage == nil, let param = ["input_reference", "input_reference[image_url]"].first(where: fields.has) {
            throw Self.cannotStartFromImage(param: param)
        }
        var found: (bytes: [UInt8], param: String)?
        if fields.files.contains("input_reference") {
            found = (fields.uploads["input_reference"] ?? [], uploadParam)
        } else if let text = fields["input_reference"] {
            found = (try Self.dataURL(text, param: "input_reference"), "input_reference")
        }
        if let text = fields["input_reference[image_url]"] {
            guard found == nil else {
                throw KinoServiceError.invalid("Send one input_reference: a file, a data: URL or an image_url, not several.",
                                               param: "input_reference[image_url]")
            }
            found = (try Self.dataURL(text, param: "input_reference[image_url]"), "input_reference[image_url]")
        }
        guard let (bytes, param) = found else { return nil }
        guard let checkImage else { throw Self.cannotStartFromImage(param: param) }
        guard !bytes.isEmpty else { throw KinoServiceError.invalid("The input picture is empty.", param: param) }
        guard bytes.count <= maxInputBytes else {
            throw KinoServiceError.invalid("The input picture has \(bytes.count) bytes; the limit is \(maxInputBytes).", param: param)
        }
        do {
            return InputReference(bytes: bytes, fileExtension: try checkImage(bytes))
        } catch let error as KinoServiceError {
            throw KinoServiceError(error.kind, error.message, param: param, code: error.code)
        } catch {
            throw KinoServiceError.invalid("The input picture cannot be used: \(error)", param: param, code: "invalid_image")
        }
    }

    static func cannotStartFromImage(param: String) -> KinoServiceError {
        KinoServiceError(.unsupported, "The model this server runs cannot start from an image. Models that can: "
                         + "kino-tiny and Wan 2.2 TI2V-5B (run `kino serve --model` with one of them).", param: param, code: "unsupported")
    }

    /// The bytes of a `data:[type][;base64],payload` URL; http(s) URLs are refused (Kino does not fetch them).
    static func dataURL(_ text: String, param: String) throws -> [UInt8] {
        let lower = text.prefix(8).lowercased()
        if lower.hasPrefix("http://") || lower.hasPrefix("https://") {
            throw KinoServiceError(.unsupported, "This server does not fetch pictures from URLs (its operator can allow it with "
                                   + "--allow-remote-references). Upload the picture as input_reference (multipart) or send it as a data: "
                                   + "URL (data:image/png;base64,...).", param: param, code: "unsupported")
        }
        guard lower.hasPrefix("data:"), let comma = text.firstIndex(of: ",") else {
            throw KinoServiceError.invalid("\(param) must be a data: URL (data:image/png;base64,...) or an uploaded file.", param: param)
        }
        let header = text[text.index(text.startIndex, offsetBy: 5)..<comma].lowercased()
        let payload = text[text.index(after: comma)...]
        guard header.hasSuffix(";base64"), let data = Data(base64Encoded: String(payload), options: .ignoreUnknownCharacters) else {
            throw KinoServiceError.invalid("\(param): only base64 data: URLs are accepted (data:image/png;base64,...).", param: param)
        }
        return [UInt8](data)
    }

    func validatePrompt(_ fields: RequestFields) throws -> String {
        try fields.checkLength("prompt", limit: VideoLimits.maximumPromptLength)
        try fields.checkLength("negative_prompt", limit: VideoLimits.maximumPromptLength)
        guard let prompt = fields["prompt"] else {
            throw KinoServiceError.invalid("The prompt is empty. Describe the video you want in `prompt`.", param: "prompt", code: "missing_required_parameter")
        }
        guard VideoLimits.length(prompt) <= VideoLimits.maximumPromptLength else {
            throw KinoServiceError.invalid("The prompt has \(VideoLimits.length(prompt)) characters; the limit is \(VideoLimits.maximumPromptLength).", param: "prompt", code: "string_above_max_length")
        }
        try VideoLimits.checkText(prompt, field: "prompt")
        return prompt
    }

    func rejectUnsupportedAndReadOnly(_ fields: RequestFields, accepted: Set<String> = requestFields,
                                      fileFields: Set<String> = ["input_reference"]) throws {
        for name in unsupportedFields.keys.sorted() where fields.has(name) {
            if name == "n", fields["n"] == "1" { continue }
            throw KinoServiceError(.unsupported, unsupportedFields[name] ?? "\(name) is not supported.", param: name, code: "unsupported")
        }
        for name in readOnlyFields.sorted() where fields.has(name) {
            throw KinoServiceError.invalid("'\(name)' is set by the server and cannot be sent in a request.", param: name, code: "unknown_parameter")
        }
        // An empty value of a field with a fixed form is a mistake, not a request for the default: say so.
        for name in ["seconds", "size", "style", "recipe", "cache", "seed", "steps", "guidance", "turbo", "watermark", "strength", "n"]
        where fields.values[name] != nil && fields[name] == nil {
            throw KinoServiceError.invalid("'\(name)' is empty; leave it out to use the default.", param: name, code: "invalid_value")
        }
        let sent = Set(fields.values.keys).union(fields.files).union(fields.objects)
        for name in sent.subtracting(accepted).sorted() {
            throw KinoServiceError.invalid(
                "Unknown parameter '\(name)'. This route accepts: \(accepted.sorted().joined(separator: ", ")).",
                param: name, code: "unknown_parameter")
        }
        // input_reference is the one field that may be a file (checked in `validateInputReference`).
        for name in fields.objects.union(fields.files.subtracting(fileFields)).sorted() {
            throw KinoServiceError.invalid(
                "'\(name)' must be a string, a number or a boolean (got \(fields.files.contains(name) ? "a file" : "an object, an array or a number too long to read")).",
                param: name, code: "invalid_type")
        }
    }

    /// Kino's optional extras: negative_prompt, seed, steps, guidance, style, turbo, watermark.
    func applyExtras(_ fields: RequestFields, to request: inout ValidatedVideoRequest, principal: Principal) throws {
        if let text = fields["negative_prompt"] {
            guard VideoLimits.length(text) <= VideoLimits.maximumPromptLength else {
                throw KinoServiceError.invalid("negative_prompt is longer than \(VideoLimits.maximumPromptLength) characters.", param: "negative_prompt")
            }
            try VideoLimits.checkText(text, field: "negative_prompt")
            request.negativePrompt = text
        }
        if let text = fields["seed"] {
            guard let value = UInt32(text) else {
                throw KinoServiceError.invalid("seed must be a whole number from 0 to 4294967295, got '\(text)'.", param: "seed")
            }
            request.seed = value
        }
        if let text = fields["steps"] {
            guard let value = Int(text), (1...maxSteps).contains(value) else {
                throw KinoServiceError.invalid("steps must be a whole number from 1 to \(maxSteps), got '\(text)'.", param: "steps")
            }
            request.steps = value
        }
        if let text = fields["guidance"] {
            guard let value = Double(text), value.isFinite, guidanceRange.contains(value) else {
                throw KinoServiceError.invalid(
                    "guidance must be a number from \(guidanceRange.lowerBound) to \(guidanceRange.upperBound), got '\(text)'.", param: "guidance")
            }
            request.guidance = value
        }
        if let text = fields["style"] {
            guard styles.contains(text) else {
                throw KinoServiceError.invalid("Unknown style '\(text)'. Styles: \(styles.joined(separator: ", ")).", param: "style")
            }
            request.style = text
        }
        if let text = fields["turbo"] {
            guard let value = Bool(text.lowercased()) else {
                throw KinoServiceError.invalid("turbo must be true or false, got '\(text)'.", param: "turbo")
            }
            request.turbo = value
        }
        if let text = fields["cache"] {
            request.cache = try validateCache(text)
        }
        if let text = fields["recipe"] {
            guard recipes.contains(text) else {
                throw KinoServiceError.invalid("Unknown recipe '\(text)'. This model's recipes: \(recipes.joined(separator: ", ")).", param: "recipe")
            }
            guard !request.turbo || text == "turbo" else {
                throw KinoServiceError.invalid("turbo is the recipe named turbo; send turbo or recipe '\(text)', not both.", param: "recipe")
            }
            request.recipe = text
        }
        if let text = fields["watermark"] {
            guard let value = Bool(text.lowercased()) else {
                throw KinoServiceError.invalid("watermark must be true or false, got '\(text)'.", param: "watermark")
            }
            if !value {
                try principal.require(.watermarkFree)
            }
            request.watermark = value
        }
    }

    /// The step-cache names the engine knows (`StepCacheMode`), checked here so a typo is a 400, not a failed job.

    func validateCache(_ value: String) throws -> String {
        let parts = value.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        // A plain decimal (0.05, 1): what the OpenAPI document's pattern allows, no exponents or signs.
        func decimal(_ t: String) -> Bool {
            let halves = t.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
            return !halves[0].isEmpty && halves.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }
        }
        let thresholdOK = parts.count == 1 || decimal(parts[1])
        guard value == "off" || (ServiceConfiguration.cacheNames.contains(parts[0]) && thresholdOK) else {
            throw KinoServiceError.invalid("cache must be off or one of \(ServiceConfiguration.cacheNames.joined(separator: ", ")), optionally with "
                                           + ":THRESHOLD (a number >= 0), e.g. easycache:0.05; got '\(value)'.", param: "cache")
        }
        guard value == "off" || caches.contains(parts[0]) else {
            throw KinoServiceError.invalid("This model cannot run cache '\(parts[0])' (teacache fits Wan 2.1 1.3B only; magcache needs "
                                           + "the model's calibration). Its caches: \(caches.joined(separator: ", ")).", param: "cache")
        }
        return value
    }

    /// Validates the remix strength: 0 < strength <= 1.
    func validateStrength(_ fields: RequestFields) throws -> Double {
        guard let text = fields["strength"] else { return defaultRemixStrength }
        guard let value = Double(text), value > 0, value <= 1 else {
            throw KinoServiceError.invalid("strength must be a number greater than 0 and at most 1, got '\(text)'.", param: "strength")
        }
        return value
    }
}
