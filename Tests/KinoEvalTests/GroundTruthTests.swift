import Foundation
import Testing
@testable import KinoEval
import KinoMedia

/// Shared, loaded once: the ground-truth clips of the eval prompts (Tests/Fixtures/eval) and the detectors'
/// verdicts on them.
enum Fixture {
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()   // KinoEvalTests
        .deletingLastPathComponent()   // Tests
        .appendingPathComponent("Fixtures/eval")
    static let promptSet = folder.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("training/eval_prompts.json")
    static let groundTruth = Result { try GroundTruth(folder: folder) }
    static let verdicts = Result { try groundTruth.get().verdicts() }

    static func clip(_ where: (EvalPrompt) -> Bool) throws -> (prompt: EvalPrompt, clip: EvalClip) {
        let found = try groundTruth.get().clips.first { `where`($0.prompt) }
        return try #require(found)
    }
}

@Suite("KinoEval ground truth")
struct GroundTruthTests {
    @Test("the fixture decodes losslessly and matches the prompt set")
    func fixtureMatchesPromptSet() throws {
        let gt = try Fixture.groundTruth.get()      // throws if any clip's pixel sum differs
        let set = try EvalPromptSet.load(from: Fixture.promptSet)
        #expect(gt.clips.count == set.prompts.count)
        #expect(gt.clips.map(\.prompt) == set.prompts)
        #expect(gt.clips.allSatisfy { $0.clip.width == set.width && $0.clip.height == set.height })
    }

    /// Accuracy on ground truth: colour, direction and scene must be at least 95% (the bar), style and
    /// count at least 90%; below that the model scores in bench/quality.md would mean nothing.
    @Test("detector accuracy on ground truth", arguments: [
        (Criterion.colour, 0.95), (.direction, 0.95), (.scene, 0.95), (.style, 0.90), (.count, 0.90),
    ])
    func accuracy(_ criterion: Criterion, _ minimum: Double) throws {
        let verdicts = try Fixture.verdicts.get()
        for split in EvalPrompt.Split.allCases {
            let tally = verdicts.split(split).tally(criterion)
            #expect(tally.total >= 20, "too few \(split) clips score \(criterion)")
            #expect((tally.fraction ?? 0) >= minimum, "\(criterion) on \(split) ground truth: \(tally)")
        }
    }

    @Test("every criterion is scored on both splits, and colour/scene/count only where the style keeps colour")
    func applicability() throws {
        let set = try EvalPromptSet.load(from: Fixture.promptSet)
        let noir = try #require(set.prompts.first { $0.style == .noir })
        let plain = try #require(set.prompts.first { $0.style == .plain && $0.count == 1 })
        #expect(!Criterion.colour.applies(to: noir) && !Criterion.scene.applies(to: noir))
        #expect(Criterion.allCases.allSatisfy { $0.applies(to: plain) })
        #expect(Set(set.prompts.map(\.split)) == Set(EvalPrompt.Split.allCases))
        #expect(set.prompts.contains { $0.count == 2 })
        #expect(!set.seeds.isEmpty)
    }

    @Test("the ground-truth background flickers far less than frame-to-frame noise")
    func flicker() throws {
        let item = try Fixture.clip { $0.scene == .snow && $0.style == .plain }
        let clean = Detectors.flicker(item.clip, Foreground(item.clip))
        var generator = SplitMix64(seed: 7)
        let noisy = try item.clip.mapFrames { _, v in min(1, max(0, v + Float(generator.next() % 41) / 255 - 20 / 255)) }
        let jittered = Detectors.flicker(noisy, Foreground(noisy))
        #expect(clean < 2)
        #expect(jittered > clean + 5)
    }
}

extension EvalClip {
    /// A clip with every value replaced by `f(index, value)`.
    func mapFrames(_ f: (Int, Float) -> Float) throws -> EvalClip {
        try EvalClip(width: width, height: height, frameCount: frameCount, rgb: rgb.enumerated().map { f($0.offset, $0.element) })
    }

    /// The clip mirrored left to right.
    func mirrored() throws -> EvalClip {
        var out = rgb
        for t in 0..<frameCount { for y in 0..<height { for x in 0..<width {
            let a = index(t, x, y), b = index(t, width - 1 - x, y)
            for c in 0..<3 { out[a + c] = rgb[b + c] }
        } } }
        return try EvalClip(width: width, height: height, frameCount: frameCount, rgb: out)
    }

    /// The clip played backwards.
    func reversed() throws -> EvalClip {
        let n = width * height * 3
        var out: [Float] = []
        for t in (0..<frameCount).reversed() { out += rgb[t * n..<(t + 1) * n] }
        return try EvalClip(width: width, height: height, frameCount: frameCount, rgb: out)
    }

    /// The clip with red and blue swapped.
    func swappingRedBlue() throws -> EvalClip {
        var out = rgb
        for i in stride(from: 0, to: rgb.count, by: 3) { out[i] = rgb[i + 2]; out[i + 2] = rgb[i] }
        return try EvalClip(width: width, height: height, frameCount: frameCount, rgb: out)
    }
}
