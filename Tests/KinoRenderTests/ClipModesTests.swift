import Foundation
import KinoMedia
import KinoPipeline
import KinoProvenance
import KinoTensor
import KinoTestSupport
import Testing
@testable import KinoRender

/// Image-to-video, extension and edit with the bundled kino-tiny, through the one render path the CLI and the
/// API use, measured as a user would see them: the output MP4 against the picture or the source.
@Suite(.serialized) struct ClipModesTests {
    static let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("kino-modes-\(UUID().uuidString)")
    static let renderer = Result { ClipRenderer(signing: try ClipProvenance.identity(dataFolder: scratch)) }
    static let kinoTiny = ModelSelection(
        folder: Fixtures.root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("models/kino-tiny"),
        name: "kino-tiny")
    static let prompt = "a red ball moves to the right across green grass"

    /// A 4 s kino-tiny clip at 256x160, made once: the picture and the video the modes start from (and its latents).
    static let source = Result { () -> URL in
        let url = scratch.appendingPathComponent("source.mp4")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        _ = try renderer.get().render(ClipSpec(model: kinoTiny, prompt: prompt, width: 256, height: 160, seconds: 4, seed: 11),
                                      to: ClipOutputs(video: url, latents: sourceLatents))
        return url
    }
    static let sourceLatents = scratch.appendingPathComponent("source.latents.safetensors")

    func render(_ conditioning: ClipConditioning, seconds: Double? = nil, seed: UInt64 = 12) throws -> VideoFrames {
        let url = Self.scratch.appendingPathComponent("\(UUID().uuidString).mp4")
        var spec = ClipSpec(model: Self.kinoTiny, prompt: Self.prompt, width: 256, height: 160, seconds: seconds, seed: seed)
        if case .extend = conditioning { (spec.width, spec.height) = (nil, nil) }
        if case .edit = conditioning { (spec.width, spec.height, spec.seconds) = (nil, nil, nil) }
        spec.conditioning = conditioning
        _ = try Self.renderer.get().render(spec, to: ClipOutputs(video: url))
        return try MediaDecoder.decodeVideo(at: url)
    }

    static func psnr(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Double {
        let mse = zip(a, b).reduce(0.0) { $0 + pow(Double($1.0) - Double($1.1), 2) } / Double(a.count)
        return 10 * log10(255 * 255 / max(mse, 1e-9))
    }

    static func change(_ v: VideoFrames, _ i: Int) -> Double {
        zip(v.frame(i), v.frame(i + 1)).reduce(0.0) { $0 + abs(Double($1.0) - Double($1.1)) } / Double(v.frameByteCount)
    }

    @Test func imageBecomesTheFirstFrameOfAClipThatMoves() throws {
        let source = try MediaDecoder.decodeVideo(at: try Self.source.get())
        let picture = Self.scratch.appendingPathComponent("first.webp")
        try StillEncoder.writeThumbnail(source, to: picture, frameIndex: 0, quality: 100)
        let clip = try render(.image(picture))
        let first = Self.psnr(clip.frame(0), source.frame(0))
        #expect(first >= 22, "first frame \(first) dB from the picture")
        let motion = (0..<(clip.frameCount - 1)).map { Self.change(clip, $0) }.reduce(0, +)
        #expect(motion / Double(clip.frameCount - 1) > 0.5, "mean frame-to-frame change \(motion / Double(clip.frameCount - 1))")
    }

    @Test func extensionKeepsTheSourceAndJoinsWithoutASeam() throws {
        let source = try MediaDecoder.decodeVideo(at: try Self.source.get())
        let out = try render(.extend(video: try Self.source.get(), latentFrames: nil), seconds: 4)
        #expect(abs(out.durationSeconds - (source.durationSeconds + 4)) <= 0.25, "\(out.durationSeconds) s")
        let n = source.frameCount
        let kept = Self.psnr(out.pixels[0..<(n * out.frameByteCount)], source.pixels[...])
        #expect(kept >= 30, "source part \(kept) dB")
        let changes = (0..<(n - 1)).map { Self.change(source, $0) }.sorted()
        let median = changes[changes.count / 2], join = Self.change(out, n - 1)
        #expect(join <= 3 * median, "join change \(join) against the source's median \(median)")
        // The dissolve spreads a jump over half a second; no frame of it may jump instead.
        let window = (n - 1)..<min(out.frameCount - 1, n + max(2, Int(source.frameRate.framesPerSecond) / 2))
        let largest = window.map { Self.change(out, $0) }.max() ?? 0
        #expect(largest <= 3 * median, "largest change \(largest) after the join against the source's median \(median)")
    }

    /// Extending a Kino clip by id starts from its frames as rendered (decoded from its latents): the same picture as
    /// its MP4 but without its marks, so the output carries only its own. Latents of another video are not used.
    @Test func extensionOfAKinoClipStartsFromItsFramesAsRendered() throws {
        let video = try MediaDecoder.decodeVideo(at: try Self.source.get())
        let pipeline = try Self.renderer.get().pipeline(for: Self.kinoTiny)
        let clean = try #require(ClipSources.clean(video, latents: Self.sourceLatents, pipeline: pipeline))
        #expect(clean.frameCount == video.frameCount && clean.width == video.width && clean.height == video.height)
        let close = Self.psnr(clean.pixels[...], video.pixels[...])
        #expect(close >= 30 && close < 80, "the MP4 is the clean frames plus marks and encoding: \(close) dB")
        let inverted = try VideoFrames(width: video.width, height: video.height, frameRate: video.frameRate, pixels: video.pixels.map { 255 - $0 })
        #expect(ClipSources.clean(inverted, latents: Self.sourceLatents, pipeline: pipeline) == nil, "another video's latents")
        let out = try render(.extend(video: try Self.source.get(), latentFrames: nil, cleanLatents: Self.sourceLatents), seconds: 4)
        let n = video.frameCount
        #expect(out.frameCount > n && Self.psnr(out.pixels[0..<(n * out.frameByteCount)], video.pixels[...]) >= 30)
    }

    /// A continuation that starts 100 levels away from the source's last frame: the residual carries the VAE's
    /// error, and the dissolve turns the jump into even steps over its frames.
    @Test func joinTurnsAJumpIntoACrossFade() throws {
        let rate = FrameRate(8)
        func clip(_ levels: [UInt8]) throws -> VideoFrames {
            try VideoFrames(width: 4, height: 2, frameRate: rate, pixels: levels.flatMap { [UInt8](repeating: $0, count: 24) })
        }
        let joined = try ClipSources.join(source: try clip([100, 100, 100]), continuation: try clip([200, 200, 200, 200, 200, 200]),
                                          sharedLast: try clip([90]), blend: 4, dissolve: 4)
        let levels = (0..<joined.frameCount).map { joined.frame($0).first ?? 0 }
        // residual +10 fading over 4 frames (8, 6, 4, 2), the source's 100 held at 4/5 ... 1/5
        #expect(levels == [100, 100, 100, 122, 142, 162, 182, 200, 200], "\(levels)")
        let steps = zip(levels.dropFirst(), levels).map { Int($0) - Int($1) }
        #expect(steps.max()! <= 22, "\(steps)")
    }

    @Test func editKeepsTheLengthAndChangesThePicture() throws {
        let source = try MediaDecoder.decodeVideo(at: try Self.source.get())
        let out = try render(.edit(video: try Self.source.get(), strength: 0.6))
        #expect(abs(out.frameCount - source.frameCount) <= 1 && out.width == source.width)
        let same = Self.psnr(out.pixels[...], source.pixels[0..<out.pixels.count])
        #expect(same < 30, "an edit at strength 0.6 should not be a copy (\(same) dB)")
    }

    @Test func badInputsAreClearErrors() throws {
        let renderer = try Self.renderer.get()
        let notAPicture = Self.scratch.appendingPathComponent("broken.png")
        try FileManager.default.createDirectory(at: Self.scratch, withIntermediateDirectories: true)
        try Data("not a picture".utf8).write(to: notAPicture)
        func refused(_ c: ClipConditioning, _ adjust: (inout ClipSpec) -> Void = { _ in }, saying words: String) {
            var spec = ClipSpec(model: Self.kinoTiny, prompt: Self.prompt, seed: 1)
            spec.conditioning = c
            adjust(&spec)
            do {
                _ = try renderer.prepare(spec)
                Issue.record("expected an error saying \(words)")
            } catch {
                #expect("\(error)".contains(words), "\(error)")
            }
        }
        refused(.image(notAPicture), saying: "broken.png cannot be used")
        refused(.image(try Self.source.get()), saying: "cannot be used")          // a video is not a picture
        refused(.edit(video: notAPicture, strength: 0.5), saying: "cannot be used")
        refused(.extend(video: try Self.source.get(), latentFrames: nil), { $0.frames = 33 }, saying: "time added")
        refused(.extend(video: try Self.source.get(), latentFrames: nil), { $0.fps = 24 }, saying: "frame rate")
        refused(.extend(video: try Self.source.get(), latentFrames: 0), saying: "1 to 8 latent frames")
        refused(.edit(video: try Self.source.get(), strength: 0.5), { $0.seconds = 2 }, saying: "keeps the source's length")
        refused(.edit(video: try Self.source.get(), strength: 1.5), saying: "strength")
    }
}

/// `kino generate --image first.png --model DIR --noise FILE --raw-out FILE` against diffusers'
/// WanImageToVideoPipeline on the tiny random TI2V model: the CLI's own path (PNG decode, fitting, VAE encode,
/// given frames) gives diffusers' decoded frames within 1e-3.
@Suite struct ImageToVideoParityTests {
    @Test func renderPathMatchesDiffusersImageToVideo() throws {
        let goldens = try SafeTensorsFile(path: Fixtures.ti2v.appendingPathComponent("goldens.safetensors").path)
        let runs = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: Fixtures.ti2v.appendingPathComponent("pipelines.json"))) as? [String: Any])
        let run = try #require((runs["runs"] as? [String: Any])?["i2v_g5"] as? [String: Any])
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("kino-i2v-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        var spec = ClipSpec(model: ModelSelection(folder: Fixtures.tinyTI2V, name: "tiny-ti2v"), prompt: try #require(run["prompt"] as? String),
                            negativePrompt: run["negative_prompt"] as? String, width: 96, height: 64, frames: 9, seed: 0,
                            steps: 3, guidance: 5, conditioning: .image(Fixtures.ti2v.appendingPathComponent("first_frame.png")),
                            noise: try goldens.tensor("initial_latents"))
        spec.marks = ClipMarks(visible: false)
        let raw = scratch.appendingPathComponent("raw.safetensors")
        _ = try ClipRenderer(signing: nil).render(spec, to: ClipOutputs(rawVideo: raw))
        let video = try SafeTensorsFile(path: raw.path).tensor("video")
        let error = video.maxAbsDifference(try goldens.tensor("i2v_g5_video"))
        print("kino generate --image path vs diffusers WanImageToVideoPipeline, max abs error: \(error)")
        #expect(error < 1e-3, "max abs error \(error)")
    }
}
