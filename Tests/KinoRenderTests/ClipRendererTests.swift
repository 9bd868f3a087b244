import Foundation
import KinoMedia
import KinoModels
import KinoProvenance
import KinoTestSupport
import Synchronization
import Testing
@testable import KinoRender

/// The one render path on the tiny random pipeline: specs to plans, styles, outputs, and cancellation from
/// every stage ending in the same error.
@Suite struct ClipRendererTests {
    static let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("kino-render-\(UUID().uuidString)")
    static let renderer = Result { ClipRenderer(signing: try ClipProvenance.identity(dataFolder: scratch)) }
    static let model = ModelSelection(folder: Fixtures.tinyPipeline, name: "tiny")

    func spec(style: String? = nil, seed: UInt64 = 3) -> ClipSpec {
        ClipSpec(model: Self.model, prompt: "A red ball bounces across green grass", width: 64, height: 48, frames: 5,
                 seed: seed, steps: 3, style: style)
    }

    @Test func rendersAFinishedSignedClipWithItsVariants() throws {
        let renderer = try Self.renderer.get()
        let dir = Self.scratch.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let outputs = ClipOutputs(video: dir.appendingPathComponent("v.mp4"), thumbnail: dir.appendingPathComponent("t.webp"),
                                  spritesheet: dir.appendingPathComponent("s.jpg"), latents: dir.appendingPathComponent("l.safetensors"))
        let stages = Mutex<[ClipStage]>([])
        let clip = try renderer.render(spec(), to: outputs, progress: { p in stages.withLock { $0.append(p.stage) } })
        #expect(clip.export?.width == 64 && clip.export?.height == 48 && clip.frames.frameCount == 5)
        for url in [outputs.video, outputs.thumbnail, outputs.spritesheet, outputs.latents] {
            #expect(FileManager.default.fileExists(atPath: try #require(url).path))
        }
        #expect([.trusted, .valid].contains(try C2PAVerifier.verify(fileAt: try #require(outputs.video), trustAnchors: []).state))
        let seen = stages.withLock { $0 }
        #expect(seen.contains(.denoising) && seen.contains(.decoding) && seen.contains(.encodingVideo) && seen.last == .signing)
    }

    /// The VAE tiling choice reaches the pipeline's request unchanged (default: automatic).
    @Test func vaeTilingReachesTheRequest() throws {
        let renderer = try Self.renderer.get()
        #expect(try renderer.prepare(spec()).request.vaeTiling == .automatic)
        for choice in [WanVAE.TilingChoice.never, .always(WanVAE.Tiling(tile: 16, stride: 12))] {
            var tiled = spec()
            tiled.vaeTiling = choice
            #expect(try renderer.prepare(tiled).request.vaeTiling == choice)
        }
    }

    @Test func aStyleChangesThePromptAndAnUnknownOneIsRefused() throws {
        let renderer = try Self.renderer.get()
        #expect(try renderer.prepare(spec(style: "noir")).request.prompt == "A red ball bounces across green grass, black and white noir")
        #expect(try renderer.prepare(spec(style: "plain")).request.prompt == "A red ball bounces across green grass")
        #expect(throws: ClipRenderError.self) { try renderer.prepare(spec(style: "vaporwave")) }
    }

    @Test func theSameSpecGivesTheSameFrames() throws {
        let renderer = try Self.renderer.get()
        let a = try renderer.render(spec()), b = try renderer.render(spec())
        #expect(a.frames.pixels == b.frames.pixels)
        #expect(try renderer.render(spec(seed: 4)).frames.pixels != a.frames.pixels)
    }

    /// A cancel noticed anywhere (between steps, inside a transformer forward, between VAE chunks) ends the
    /// render with `ClipRenderError.cancelled`, whatever layer noticed it. The first checks of a render are
    /// deterministic (the encoder's polling later is not), so the N-th check is a fixed point of the render.
    @Test(arguments: [1, 2, 5, 9, 14])
    func aCancelAtTheNthCheckEndsAsCancelled(afterChecks: Int) throws {
        let renderer = try Self.renderer.get()
        let dir = Self.scratch.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let checks = Atomic<Int>(0)
        #expect(throws: ClipRenderError.cancelled) {
            try renderer.render(spec(), to: ClipOutputs(video: dir.appendingPathComponent("v.mp4")),
                                isCancelled: { checks.add(1, ordering: .relaxed).newValue >= afterChecks })
        }
    }

    /// The same from each later stage: a cancel that arrives while the clip decodes, is watermarked, encodes or is
    /// about to be signed ends as cancelled too, and no finished clip is reported.
    @Test(arguments: [ClipStage.decoding, .finishing, .encodingVideo, .signing])
    func aCancelDuringAStageEndsAsCancelled(stage: ClipStage) throws {
        let renderer = try Self.renderer.get()
        let dir = Self.scratch.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let reached = Atomic<Bool>(false)
        #expect(throws: ClipRenderError.cancelled) {
            try renderer.render(spec(), to: ClipOutputs(video: dir.appendingPathComponent("v.mp4")),
                                progress: { if $0.stage == stage { reached.store(true, ordering: .relaxed) } },
                                isCancelled: { reached.load(ordering: .relaxed) })
        }
        let wasReached = reached.load(ordering: .relaxed)
        #expect(wasReached)
    }

    @Test func loraTextParsesPathAndWeight() throws {
        let file = Fixtures.root.appendingPathComponent("lora/wan.safetensors")
        let parsed = try LoRASelection.parse(file.path + ":0.5")
        #expect(parsed.file.path == file.path && parsed.weight == 0.5)
        #expect(throws: ClipRenderError.self) { try LoRASelection.parse("/no/such/file.safetensors") }
        #expect(throws: ClipRenderError.self) { try WeightPrecision.parse("f64", field: "--precision") }
    }
}
