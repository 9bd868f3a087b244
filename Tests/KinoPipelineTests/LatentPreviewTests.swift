import Foundation
import KinoTensor
import Testing
@testable import KinoPipeline

/// Previews while denoising (a fitted latent-to-RGB map) and the words a model declares.
struct LatentPreviewTests {
    /// Latents [1, 4, 3, 2, 3] and the video a known map would decode them to (each latent pixel a 2x2 block,
    /// each later latent frame two video frames): the fit must give the map back.
    @Test func theFitRecoversAKnownMap() throws {
        let truth = LatentRGBMap(weights: [[0.5, -0.2, 0.1], [0.0, 0.3, -0.4], [0.2, 0.2, 0.2], [-0.1, 0.0, 0.6]], bias: [0.05, -0.1, 0.2])
        var generator = SeededGenerator(seed: 7)
        var pairs: [(latents: Tensor, video: Tensor)] = []
        for _ in 0..<3 {
            let latents = Tensor.randomNormal([1, 4, 3, 2, 3], using: &generator)
            let z = latents.scalars
            let (t, h, w, f, scale) = (3, 2, 3, 5, 2)
            var video = [Float](repeating: 0, count: 3 * f * h * scale * w * scale)
            for fi in 0..<f {
                let ti = fi == 0 ? 0 : (fi + 1) / 2
                for y in 0..<(h * scale) {
                    for x in 0..<(w * scale) {
                        let latent = (0..<4).map { Double(z[($0 * t + ti) * h * w + (y / scale) * w + x / scale]) }
                        for (c, value) in truth.colour(latent).enumerated() {
                            video[((c * f + fi) * h * scale + y) * w * scale + x] = Float(value)
                        }
                    }
                }
            }
            pairs.append((latents, Tensor(shape: [1, 3, f, h * scale, w * scale], values: video)))
        }
        let fitted = try LatentRGBMap.fit(pairs, ridge: 0)
        for (row, expected) in zip(fitted.weights + [fitted.bias], truth.weights + [truth.bias]) {
            for (a, b) in zip(row, expected) { #expect(abs(a - b) < 1e-4) }
        }
        #expect(fitted.problem == nil)
        // The picture of one frame: the map's colours at the latent grid's size, on the 0...255 scale.
        let picture = try #require(fitted.image(pairs[0].latents, frame: 1))
        #expect(picture.width == 3 && picture.height == 2 && picture.rgb.count == 18)
        let first = (0..<4).map { Double(pairs[0].latents[0, $0, 1, 0, 0]) }
        let expected = truth.colour(first).map { UInt8(max(0, min(255, (($0 + 1) * 127.5).rounded()))) }
        #expect(Array(picture.rgb.prefix(3)).enumerated().allSatisfy { abs(Int($0.element) - Int(expected[$0.offset])) <= 1 })
        #expect(fitted.image(Tensor(zeros: [1, 5, 1, 2, 2])) == nil, "a latent with other channels gets no picture")
    }

    @Test func aMapThatCannotBeUsedIsNamed() {
        #expect(LatentRGBMap(weights: [], bias: [0, 0, 0]).problem != nil)
        #expect(LatentRGBMap(weights: [[1, 2]], bias: [0, 0, 0]).problem != nil)
        #expect(LatentRGBMap(weights: [[1, 2, 3]], bias: [0]).problem != nil)
        #expect(LatentRGBMap(weights: [[1, .nan, 3]], bias: [0, 0, 0]).problem != nil)
    }

    /// The pipeline hands out the model's estimate of the clean latents after every step; at the last step of an
    /// Euler schedule (σ → 0) that estimate is the result itself.
    @Test func theDenoisingLoopOffersItsEstimateEveryStep() throws {
        let pipeline = try TextToVideoPipeline.load(folder: BundledModelTests.folder)
        var request = GenerationRequest(prompt: "a red ball rolling right on green grass", width: 128, height: 80, frames: 9, steps: 4,
                                        guidance: 1, seed: 3)
        request.scheduler = .euler
        var steps: [Int] = [], last: Tensor?
        let result = try pipeline.generate(request, estimate: { step, total, estimate in
            #expect(total == 4)
            steps.append(step)
            last = estimate()
        })
        #expect(steps == [1, 2, 3, 4])
        let final = try #require(last)
        #expect(final.shape == result.latents.shape && final.relativeError(to: result.latents) < 1e-4)
    }

    /// kino-tiny ships a fitted preview map and its vocabulary; both load and make sense.
    @Test func theBundledModelDeclaresPreviewsAndWords() throws {
        let defaults = try #require(try ModelDefaults.load(from: BundledModelTests.folder))
        let map = try #require(defaults.previewRGB)
        #expect(map.channels == 16 && map.problem == nil)
        let vocabulary = try #require(defaults.vocabulary)
        #expect(vocabulary.kinds["objects"]?.contains("ball") == true && vocabulary.kinds["colours"]?.contains("red") == true)
        #expect(vocabulary.unknownWords(in: "a red ball bounces across green grass").isEmpty)
        #expect(vocabulary.unknownWords(in: "A purple Dragon flies over the castle, dragon!") == ["dragon", "castle"])
        let hint = try #require(vocabulary.hint(for: "a dragon"))
        #expect(hint.contains("'dragon'") && hint.contains("objects: ") && hint.contains("ball"))
        #expect(vocabulary.hint(for: "a blue cube") == nil)
    }

    @Test func badVocabularyOrPreviewFieldsAreRefusedAtLoad() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kino-vocab-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for (text, needle) in [(#"{"preview_rgb": {"weights": [[1, 2]], "bias": [0, 0, 0]}}"#, "preview_rgb"),
                               (#"{"vocabulary": {"kinds": {"objects": []}, "words": []}}"#, "vocabulary")] {
            try Data(text.utf8).write(to: folder.appendingPathComponent("kino.json"))
            #expect(throws: (any Error).self) { try ModelDefaults.load(from: folder) }
            do { _ = try ModelDefaults.load(from: folder) } catch { #expect("\(error)".contains(needle)) }
        }
    }
}
