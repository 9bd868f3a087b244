import Foundation

/// A named reference video of a project (OpenAI's `POST /v1/videos/characters`), and the still of it that
/// conditions a clip whose prompt names the character.
public struct VideoCharacter: Sendable, Equatable {
    public var id: String
    public var project: String
    public var name: String
    /// File names in `OutputStore`'s character folder.
    public var videoFile: String
    public var stillFile: String
    /// Unix milliseconds.
    public var createdAt: Int64

    public init(id: String, project: String, name: String, videoFile: String, stillFile: String, createdAt: Int64) {
        self.id = id
        self.project = project
        self.name = name
        self.videoFile = videoFile
        self.stillFile = stillFile
        self.createdAt = createdAt
    }

    /// Whether `prompt` names the character: its name as whole words, ignoring case ("Mia" in "mia waves", not in
    /// "Miami").
    public func isNamed(in prompt: String) -> Bool {
        let words = prompt.lowercased().split { !$0.isLetter && !$0.isNumber }
        let name = self.name.lowercased().split { !$0.isLetter && !$0.isNumber }
        guard !name.isEmpty, words.count >= name.count else { return false }
        return (0...(words.count - name.count)).contains { Array(words[$0..<($0 + name.count)]) == name }
    }
}

public protocol CharacterStore: Sendable {
    func insertCharacter(_ character: VideoCharacter) async throws
    /// The character `id` of `project`; nil when there is none (or it is another project's).
    func character(id: String, project: String) async throws -> VideoCharacter?
    /// The project's characters, oldest first.
    func characters(project: String) async throws -> [VideoCharacter]
}

extension SQLiteStore: CharacterStore {
    public func insertCharacter(_ c: VideoCharacter) async throws {
        try await database.write { db in
            try db.execute(
                "INSERT INTO characters (id, project, name, video_file, still_file, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                [.text(c.id), .text(c.project), .text(c.name), .text(c.videoFile), .text(c.stillFile), .integer(c.createdAt)])
        }
    }

    public func character(id: String, project: String) async throws -> VideoCharacter? {
        try await database.read { db in
            try db.query("SELECT * FROM characters WHERE id = ? AND project = ?", [.text(id), .text(project)]).first.map(Self.character(from:))
        }
    }

    public func characters(project: String) async throws -> [VideoCharacter] {
        try await database.read { db in
            try db.query("SELECT * FROM characters WHERE project = ? ORDER BY created_at, id", [.text(project)]).map(Self.character(from:))
        }
    }

    static func character(from row: SQLRow) -> VideoCharacter {
        VideoCharacter(id: row.string("id") ?? "", project: row.string("project") ?? "", name: row.string("name") ?? "",
                  videoFile: row.string("video_file") ?? "", stillFile: row.string("still_file") ?? "",
                  createdAt: row.int("created_at") ?? 0)
    }
}
