import Foundation
import KinoTestSupport
import Testing

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
        let data = try Data(contentsOf: Fixtures.wan.appendingPathComponent("tokenizer_cases.json"))
        return try JSONDecoder().decode(TokenizerGoldens.self, from: data)
    }

    /// For parameterised tests; an unreadable fixture yields no cases, which `fixtureHasCases` catches.
    static let casesForArguments: [Case] = (try? load().cases) ?? []
}

