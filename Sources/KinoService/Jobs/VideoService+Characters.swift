import Foundation

extension VideoService {
    /// `POST /v1/videos/characters`: a named reference video of the caller's project. A later clip whose prompt
    /// names the character starts from a still of it (on models that start from a picture).
    public func createCharacter(_ fields: RequestFields, principal: Principal, now: Int64 = Clock.nowMillis()) async throws -> VideoCharacter {
        try principal.require(.generate)
        try configuration.rejectUnsupportedAndReadOnly(fields, accepted: ["name", "video"], fileFields: ["video"])
        try fields.checkLength("name", limit: 80)
        guard let name = fields["name"] else {
            throw KinoServiceError.invalid("Name the character in 'name' (the word a prompt uses for it).", param: "name", code: "missing_required_parameter")
        }
        guard VideoLimits.length(name) <= 80, name.contains(where: { $0.isLetter || $0.isNumber }) else {
            throw KinoServiceError.invalid("A character's name is 1 to 80 characters with at least one letter or digit.", param: "name")
        }
        try VideoLimits.checkText(name, field: "name")
        guard configuration.checkImage != nil else {
            throw KinoServiceError(.unsupported, "The model this server runs cannot start from a picture, so it cannot draw characters. Models "
                                   + "that can: kino-tiny and Wan 2.2 TI2V-5B.", param: "video", code: "unsupported")
        }
        guard fields.files.contains("video") else {
            throw KinoServiceError.invalid("Upload the character's video as 'video' (MP4, MOV or WebM).", param: "video", code: "missing_required_parameter")
        }
        let source = try await resolveSource(fields, principal: principal, verb: "used")
        guard let still = source.still else {
            throw KinoServiceError.invalid("No still could be taken from the uploaded video.", param: "video", code: "invalid_video")
        }
        var generator = SystemRandomNumberGenerator()
        let id = "char_" + hexString((0..<12).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let character = VideoCharacter(
            id: id, project: principal.project, name: name,
            videoFile: try outputs.storeCharacterFile(source.bytes, name: "\(id).\(source.fileExtension)"),
            stillFile: try outputs.storeCharacterFile(still, name: "\(id).webp"), createdAt: now)
        try await store.insertCharacter(character)
        logger.info("character created", metadata: ["character": "\(id)", "project": "\(principal.project)"])
        return character
    }

    public func character(_ id: String, principal: Principal) async throws -> VideoCharacter {
        try principal.require(.read)
        guard let character = try await store.character(id: id, project: principal.project) else {
            throw KinoServiceError(.notFound, "No character found with id '\(id)'.", param: "character_id", code: "character_not_found")
        }
        return character
    }

    /// The first of the project's characters that `prompt` names, with its still; nil when none is named or the
    /// request already carries a picture.
    func namedCharacter(in prompt: String, principal: Principal) async throws -> (VideoCharacter, InputReference)? {
        guard configuration.checkImage != nil else { return nil }
        for character in try await store.characters(project: principal.project) where character.isNamed(in: prompt) {
            guard let still = FileManager.default.contents(atPath: outputs.characters.appendingPathComponent(character.stillFile).path) else {
                throw KinoServiceError.storage("The still of character \(character.id) is missing from \(outputs.characters.path).")
            }
            return (character, InputReference(bytes: [UInt8](still), fileExtension: "webp"))
        }
        return nil
    }
}
