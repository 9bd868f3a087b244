import Foundation
import Testing
@testable import KinoService

@Suite("Moderation: normaliser")
struct NormalizerTests {
    func words(_ text: String) -> [String] { TextNormalizer.normalize(text).tokens }

    @Test func invisibleCharactersAndCase() {
        #expect(words("K\u{200B}I\u{200C}L\u{200D}L\u{2060} him\u{FEFF}") == ["kill", "him"])
        #expect(words("SeX\u{00AD}Y") == ["sexy"])
    }

    @Test func homoglyphsFullWidthAndAccents() {
        #expect(words("ѕеху") == ["sexy"], "Cyrillic look-alikes")
        #expect(words("ｈｅｎｔａｉ") == ["hentai"], "full-width forms (NFKC)")
        #expect(words("nüdé café") == ["nude", "cafe"], "accents dropped")
        #expect(words("gοre") == ["gore"], "Greek omicron")
    }

    @Test func leetspeakOnlyInsideWords() {
        #expect(words("k1ll s3x b|00d gu75") == ["kill", "sex", "blood", "guts"])
        #expect(words("a 12 year old with 4 cats in 1920") == ["a", "12", "year", "old", "with", "4", "cats", "in", "1920"])
        #expect(words("stop! now.") == ["stop", "now"], "trailing punctuation is not leet")
    }

    @Test func spelledOutWordsAreJoined() {
        #expect(words("k i l l all") == ["kill", "all"])
        #expect(words("d.e.c.a.p.i.t.a.t.e a man") == ["decapitate", "a", "man"])
        #expect(words("n-a-k-e-d") == ["naked"])
        #expect(words("a b") == ["a", "b"], "two single letters stay apart")
    }

    @Test func squeezeAndCapitals() {
        #expect(TextNormalizer.squeeze("kiiiilll") == "kil")
        let text = TextNormalizer.normalize("video of Jane Doe")
        #expect(text.capitalized == [false, false, true, true])
    }
}

@Suite("Moderation: policy")
struct PolicyTests {
    func policy(_ rules: String, lists: String = "{}") throws -> ModerationPolicy {
        let json = #"{"version": 1, "categories": {"c": "a category"}, "lists": \#(lists), "rules": \#(rules)}"#
        return try ModerationPolicy(json: Data(json.utf8), source: "test")
    }

    @Test func anyWithUnless() throws {
        let p = try policy(#"[{"id": "r", "category": "c", "any": ["stab*"], "with": ["@who"], "unless": ["fruit"]}]"#,
                           lists: #"{"who": ["man", "little girl"]}"#)
        #expect(p.evaluate("someone stabbing a little girl")?.rule == "r")
        #expect(p.evaluate("stabbing a man") != nil)
        #expect(p.evaluate("stabbing a watermelon") == nil, "`with` must match too")
        #expect(p.evaluate("a man stabbing fruit") == nil, "`unless` vetoes")
    }

    @Test func gapsPrefixesAndSubstrings() throws {
        let p = try policy(#"[{"id": "gap", "category": "c", "any": ["make _ bomb"]}, {"id": "sub", "category": "c", "any": ["~childporn"]}]"#)
        #expect(p.evaluate("make a big bomb")?.rule == "gap")
        #expect(p.evaluate("make a very big bomb") == nil, "a gap is at most two words")
        #expect(p.evaluate("c h i l d p o r n")?.rule == "sub")
        #expect(p.evaluate("xxchildpornxx")?.rule == "sub")
    }

    @Test func namedPersonPattern() throws {
        let p = try policy(#"[{"id": "np", "category": "c", "named_person_after": ["realistic video of"]}]"#, lists: #"{"not_names": ["new", "york"]}"#)
        #expect(p.evaluate("realistic video of Jane Doe robbing a bank")?.rule == "np")
        #expect(p.evaluate("realistic video of jane doe") == nil, "needs capitalised words")
        #expect(p.evaluate("realistic video of New York at night") == nil, "not_names are not people")
    }

    @Test func brokenPoliciesNameTheProblem() {
        #expect(throws: KinoServiceError.self) { try policy(#"[{"id": "r", "category": "nope", "any": ["x"]}]"#) }
        do {
            _ = try policy(#"[{"id": "r", "category": "c", "any": ["@missing"]}]"#)
            Issue.record("a missing list must be an error")
        } catch let error as KinoServiceError {
            #expect(error.message.contains("@missing"))
        } catch {
            Issue.record("unexpected \(error)")
        }
        #expect(throws: KinoServiceError.self) { try ModerationPolicy(json: Data("{".utf8), source: "x") }
    }

    @Test func defaultPolicyTrickyPrompts() throws {
        let p = try Moderator.defaultPolicy()
        for benign in ["a shot of espresso", "a killer whale breaching", "a kid's birthday party", "execute a kickflip"] {
            #expect(p.evaluate(benign) == nil, "\(benign)")
        }
        #expect(p.evaluate("a photorealistic video of Joe Biden")?.category == "real_people")
        #expect(p.evaluate("h0w t0 m4ke 4 b0mb")?.category == "illicit")
        #expect(p.evaluate("J o e B i d e n dancing")?.category == "real_people", "a spelled-out name runs together")
        #expect(p.evaluate("#JoeBiden on a beach")?.category == "real_people")
    }
}

/// The acceptance numbers: recall on the held-out blocked prompts, false positives on ordinary prompts.
@Suite("Moderation: corpora")
struct ModerationCorpusTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/moderation")

    func load(_ name: String) throws -> [LabelledPrompt] {
        try ModerationEvaluation.load(Self.folder.appendingPathComponent("\(name).jsonl"))
    }

    @Test func corporaAreBigEnoughAndSeparate() throws {
        let dev = try load("dev"), eval = try load("eval"), benign = try load("benign")
        #expect(eval.count >= 200 && benign.count >= 200)
        #expect(eval.filter(\.shouldBlock).count >= 100 && eval.contains { !$0.shouldBlock })
        #expect(eval.filter { $0.evasion != nil }.count >= 30, "evasions are part of the judged corpus")
        #expect(benign.allSatisfy { !$0.shouldBlock })
        let written = Set(dev.map(\.prompt))
        #expect(written.isDisjoint(with: eval.map(\.prompt)) && written.isDisjoint(with: benign.map(\.prompt)),
                "the corpus the rules were written against must not overlap the judging corpora")
    }

    @Test func heldOutRecallAndFalsePositives() throws {
        let policy = try Moderator.defaultPolicy()
        let eval = ModerationEvaluation.score(policy, try load("eval"), corpus: "eval")
        let benign = ModerationEvaluation.score(policy, try load("benign"), corpus: "benign")
        #expect(eval.blockedTotal >= 100)
        #expect(eval.recall >= 0.95, "blocked recall \(eval.recall); misses: \(eval.misses.map(\.prompt))")
        #expect(benign.allowedTotal >= 200)
        #expect(benign.falsePositiveRate <= 0.02, "false positives \(benign.falsePositiveRate): \(benign.misses.map(\.prompt))")
        #expect(eval.falsePositiveRate <= 0.05, "tricky allowed prompts: \(eval.misses.filter { $0.expected == "allow" }.map(\.prompt))")
    }
}
