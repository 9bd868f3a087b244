import Testing
@testable import KinoPipeline

struct GenerationPlanTests {
    private var tiny: ModelDefaults {
        var d = ModelDefaults()
        d.nativeSizes = [[128, 80], [80, 128], [96, 96]]
        d.fps = 8
        d.seconds = 4
        return d
    }

    @Test func secondsGiveTheSmallest4kPlus1AndKeepExactlySTimesFps() throws {
        let p = try GenerationPlan.make(size: (1280, 720), frames: nil, seconds: 4, fps: nil, defaults: tiny)
        #expect(p.fps == 8 && p.keptFrames == 32 && p.frames == 33)
        #expect((p.width, p.height) == (128, 80) && (p.outputWidth, p.outputHeight) == (1280, 720))
        let q = try GenerationPlan.make(size: (64, 64), frames: nil, seconds: 2, fps: 16, defaults: ModelDefaults())
        #expect(q.keptFrames == 32 && q.frames == 33 && q.width == 64)
        let exact = try GenerationPlan.make(size: (64, 64), frames: nil, seconds: 0.5625, fps: 16, defaults: ModelDefaults())
        #expect(exact.keptFrames == 9 && exact.frames == 9)
    }

    @Test func nativeSizeFollowsTheAspectRatio() throws {
        #expect(try GenerationPlan.make(size: (720, 1280), frames: 9, seconds: nil, fps: nil, defaults: tiny).width == 80)
        #expect(try GenerationPlan.make(size: (1024, 1024), frames: 9, seconds: nil, fps: nil, defaults: tiny).width == 96)
        #expect(try GenerationPlan.make(size: nil, frames: 9, seconds: nil, fps: nil, defaults: tiny).width == 128)
    }

    @Test func badRequestsAreExplained() throws {
        #expect(throws: PipelineError.self) { try GenerationPlan.make(size: (100, 64), frames: 9, seconds: nil, fps: nil, defaults: ModelDefaults()) }
        #expect(throws: PipelineError.self) { try GenerationPlan.make(size: (64, 64), frames: 10, seconds: nil, fps: nil, defaults: ModelDefaults()) }
        #expect(throws: PipelineError.self) { try GenerationPlan.make(size: (64, 64), frames: 9, seconds: 2, fps: nil, defaults: ModelDefaults()) }
        #expect(throws: PipelineError.self) { try GenerationPlan.make(size: (64, 64), frames: nil, seconds: -1, fps: nil, defaults: ModelDefaults()) }
        #expect(throws: PipelineError.self) { try GenerationPlan.make(size: nil, frames: 9, seconds: nil, fps: nil, defaults: ModelDefaults()) }
    }
}
