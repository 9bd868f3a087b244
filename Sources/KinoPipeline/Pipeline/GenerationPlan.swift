import Foundation

/// Turns what a user asks for (output size, seconds or frames, fps) into what the model generates.
///
/// Rules (documented in docs/generate.md):
/// - Output size is `--size`; a model whose kino.json lists native sizes generates at the native size with
///   the nearest aspect ratio and the result is resized to the output size. Without native sizes the output
///   size is the generation size and must be a multiple of 16.
/// - `--frames N` must be 4k+1 and every frame is kept. `--seconds S` generates the smallest 4k+1 count
///   >= S·fps and the MP4 keeps exactly round(S·fps) frames.
public struct GenerationPlan: Sendable, Equatable {
    public var outputWidth: Int
    public var outputHeight: Int
    public var width: Int
    public var height: Int
    public var frames: Int
    public var keptFrames: Int
    public var fps: Int

    public static func make(size: (width: Int, height: Int)?, frames: Int?, seconds: Double?, fps: Int?,
                            defaults: ModelDefaults, temporalFactor: Int = 4, sizeUnit: Int = 16) throws -> GenerationPlan {
        let fps = fps ?? defaults.fps ?? 16
        guard (1...120).contains(fps) else { throw PipelineError.invalidRequest("fps must be between 1 and 120, got \(fps)") }
        let native = (defaults.defaultSize ?? defaults.nativeSizes?.first).flatMap { $0.count == 2 ? ($0[0], $0[1]) : nil }
        guard let requested = size ?? native else {
            throw PipelineError.invalidRequest("this model has no native size in kino.json: pass --size WxH (multiples of \(sizeUnit))")
        }
        guard requested.0 > 0, requested.1 > 0, requested.0 <= 4096, requested.1 <= 4096 else {
            throw PipelineError.invalidRequest("size \(requested.0)x\(requested.1) must be between 1 and 4096 on each side")
        }
        var plan = GenerationPlan(outputWidth: requested.0, outputHeight: requested.1, width: requested.0, height: requested.1,
                                  frames: 0, keptFrames: 0, fps: fps)
        if let nativeSize = defaults.nativeSize(nearest: requested.0, requested.1) {
            (plan.width, plan.height) = nativeSize
        } else if requested.0 % sizeUnit != 0 || requested.1 % sizeUnit != 0 {
            throw PipelineError.invalidRequest("size \(requested.0)x\(requested.1): this model generates at the requested size, which must be a multiple of \(sizeUnit) on each side")
        }
        switch (frames, seconds) {
        case (let f?, nil):
            guard f >= 1, (f - 1) % temporalFactor == 0, f <= 1001 else {
                throw PipelineError.invalidRequest("--frames must be \(temporalFactor)k+1 (e.g. 17, 33, 81), got \(f)")
            }
            plan.frames = f
            plan.keptFrames = f
        case (nil, let s):
            let secs = s ?? defaults.seconds ?? 4
            guard secs > 0, secs <= 60 else { throw PipelineError.invalidRequest("--seconds must be between 0 and 60, got \(secs)") }
            let kept = max(1, Int((secs * Double(fps)).rounded()))
            plan.keptFrames = kept
            plan.frames = (kept - 1 + temporalFactor - 1) / temporalFactor * temporalFactor + 1
        case (.some, .some):
            throw PipelineError.invalidRequest("give --frames or --seconds, not both")
        }
        return plan
    }
}
