import Foundation
import Testing
@testable import KinoModels

struct TokenizerErrorTests {
    private func scratchFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kino-tokenizer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func missingFolderContentNamesTheFiles() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(throws: TokenizerError.missingFile(folder: folder.path, expected: ["tokenizer.json", "spiece.model"])) {
            try SentencePieceTokenizer.load(folder: folder)
        }
    }

    @Test func brokenJSONNamesTheFile() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("tokenizer.json")
        try Data("{\"model\": {\"type\": \"BPE\"}}".utf8).write(to: file)
        let error = #expect(throws: ModelError.self) { try SentencePieceTokenizer.load(folder: folder) }
        #expect(error?.description.hasPrefix(file.path + ": unsupported tokenizer component") == true)
        #expect(error == TokenizerError.unsupported(file.path, "model type BPE (only Unigram is implemented)"))
    }

    @Test func corruptSentencePieceModelNamesTheFile() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("spiece.model")
        try Data([0x0A, 0xFF, 0xFF, 0x01]).write(to: file)
        let error = #expect(throws: ModelError.self) { try SentencePieceTokenizer.load(folder: folder) }
        #expect(error?.description.contains(file.path) == true)
    }
}
