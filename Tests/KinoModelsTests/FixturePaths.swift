import Foundation
import Testing

/// Locates `Tests/Fixtures` from this source file, so tests need no bundled resources.
enum FixturePaths {
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()   // KinoModelsTests
        .deletingLastPathComponent()   // Tests
        .appendingPathComponent("Fixtures")

    static let wan = root.appendingPathComponent("wan")
    static let tinyPipeline = wan.appendingPathComponent("tiny-pipeline")
    static let tokenizer = tinyPipeline.appendingPathComponent("tokenizer")
}

/// `tokenizer_cases.json`, written by Tooling/make_goldens.py.
struct TokenizerGoldens: Decodable {
    struct Case: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let raw: String
        let cleaned: String
        let length: Int
        let ids: [Int]
        let tokens: [String]
        var testDescription: String { name }
    }

    let maxLength: Int
    let padId: Int
    let eosId: Int
    let unkId: Int
    let cases: [Case]

    enum CodingKeys: String, CodingKey {
        case cases
        case maxLength = "max_length"
        case padId = "pad_id"
        case eosId = "eos_id"
        case unkId = "unk_id"
    }

    static func load() throws -> TokenizerGoldens {
        let data = try Data(contentsOf: FixturePaths.wan.appendingPathComponent("tokenizer_cases.json"))
        return try JSONDecoder().decode(TokenizerGoldens.self, from: data)
    }

    /// For parameterised tests; an unreadable fixture yields no cases, which `fixtureHasCases` catches.
    static let casesForArguments: [Case] = (try? load().cases) ?? []
}

