import Foundation
import KinoTensor
import KinoTestSupport
import Testing
@testable import KinoPipeline

/// The bundled kino-tiny model loads through the same engine path as Wan weights and makes a clip.
struct BundledModelTests {
    static let folder = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("models/kino-tiny")

    @Test func bundledModelMakesAClip() throws {
        let pipeline = try TextToVideoPipeline.load(folder: Self.folder)
        let size = try #require(pipeline.defaults.nativeSizes?.first)
        let request = GenerationRequest(prompt: "a red ball rolling right on green grass", width: size[0], height: size[1],
                                        frames: 9, steps: 2, guidance: pipeline.defaults.guidance ?? 5, seed: 1)
        let result = try pipeline.generate(request)
        #expect(result.video.shape == [1, 3, 9, size[1], size[0]])
        let values = result.video.scalars
        #expect(values.allSatisfy { $0.isFinite && $0 >= -1 && $0 <= 1 })
        // A real picture, not a constant: the frames vary across pixels.
        let mean = values.reduce(0, +) / Float(values.count)
        #expect(values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(values.count) > 1e-4)
    }

    @Test func locatorFindsTheBundledModelByName() throws {
        let locator = ModelLocator(environment: [:], executable: Self.folder.appendingPathComponent("../../.build/debug/kino"))
        #expect(try locator.resolve("kino-tiny").standardizedFileURL.path == Self.folder.standardizedFileURL.path)
        #expect(throws: (any Error).self) { try locator.resolve("no-such-model") }
    }
}
