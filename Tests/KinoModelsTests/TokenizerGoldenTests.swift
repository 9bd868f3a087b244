import Foundation
import KinoTestSupport
import Testing
@testable import KinoModels

@Suite("Tokenizer against transformers' T5Tokenizer goldens")
struct TokenizerGoldenTests {
    static let fromJSON = Result { try SentencePieceTokenizer.load(folder: Fixtures.tokenizer) }
    static let fromSPM = Result {
        try SentencePieceTokenizer(sentencePieceModel: Fixtures.tokenizer.appendingPathComponent("spiece.model"))
    }

    @Test func fixtureHasCases() throws {
        let goldens = try TokenizerGoldens.load()
        #expect(goldens.cases.count >= 20)
        #expect(TokenizerGoldens.casesForArguments.count == goldens.cases.count)
    }

    @Test func specialIdsAndVocabulary() throws {
        let goldens = try TokenizerGoldens.load()
        let tokenizer = try Self.fromJSON.get()
        #expect(tokenizer.padId == goldens.padId)
        #expect(tokenizer.eosId == goldens.eosId)
        #expect(tokenizer.unkId == goldens.unkId)
        #expect(tokenizer.vocabularySize == 448)
        #expect(tokenizer.source.hasSuffix("tokenizer.json"))
    }

    @Test("Wan prompt cleaning equals diffusers' prompt_clean", arguments: TokenizerGoldens.casesForArguments)
    func cleaning(_ golden: TokenizerGoldens.Case) {
        #expect(WanPromptCleaner.clean(golden.raw) == golden.cleaned)
    }

    @Test("tokenizer.json ids equal the golden ids", arguments: TokenizerGoldens.casesForArguments)
    func idsFromTokenizerJSON(_ golden: TokenizerGoldens.Case) throws {
        let goldens = try TokenizerGoldens.load()
        let tokenizer = try Self.fromJSON.get()
        let ids = tokenizer.encode(golden.cleaned)
        let names = ids.map { tokenizer.token(for: $0) ?? "?" }
        if golden.length < goldens.maxLength {
            #expect(ids == golden.ids, "tokens \(names) vs \(golden.tokens)")
        } else {
            // Truncated by the reference: the untruncated encoding is longer and starts the same way.
            #expect(ids.count >= goldens.maxLength)
            #expect(Array(ids.prefix(goldens.maxLength - 1)) + [tokenizer.eosId] == golden.ids)
        }
    }

    @Test("padded Wan input equals the golden row and mask", arguments: TokenizerGoldens.casesForArguments)
    func paddedWanInput(_ golden: TokenizerGoldens.Case) throws {
        let goldens = try TokenizerGoldens.load()
        let tokenizer = try Self.fromJSON.get()
        let padded = tokenizer.encodeWanPrompt(golden.raw, maxLength: goldens.maxLength)
        let padding = goldens.maxLength - golden.length
        #expect(padded.length == golden.length)
        #expect(padded.ids.count == goldens.maxLength)
        #expect(Array(padded.ids.prefix(golden.length)) == golden.ids)
        #expect(padded.ids.dropFirst(golden.length).allSatisfy { $0 == goldens.padId })
        #expect(padded.attentionMask == Array(repeating: 1, count: golden.length) + Array(repeating: 0, count: padding))
    }

    @Test("spiece.model gives the same ids as tokenizer.json", arguments: TokenizerGoldens.casesForArguments)
    func idsFromSentencePieceModel(_ golden: TokenizerGoldens.Case) throws {
        let goldens = try TokenizerGoldens.load()
        let tokenizer = try Self.fromSPM.get()
        #expect(tokenizer.encode(golden.cleaned, maxLength: goldens.maxLength).ids.prefix(golden.length)
            == golden.ids[...])
    }

    @Test func truncationKeepsEOS() throws {
        let tokenizer = try Self.fromJSON.get()
        let padded = tokenizer.encode("a red ball bounces", maxLength: 3)
        #expect(padded.ids.count == 3)
        #expect(padded.ids.last == tokenizer.eosId)
        #expect(padded.attentionMask == [1, 1, 1])
    }
}
