import Foundation
import KinoMedia
import KinoPipeline
import KinoTensor

/// The pictures and videos a clip starts from (image-to-video, extension, edit): decoded through KinoMedia's
/// input decoding, fitted to the model's generation size, and turned into what the engine takes.
///
/// Fitting rule (docs/generate.md): scale until the generation size is covered, then cut the overflow equally
/// from both sides (`AspectPolicy.cropToFill`), with the same Lanczos filter as the output resize.
public enum ClipSources {
    /// Decode limits for inputs: at most 4096 pixels a side, 20 minutes, 2,000 frames (more than any clip Kino
    /// extends or edits needs; a longer source is refused rather than read into memory).
    static let limits: DecodeLimits = {
        var l = DecodeLimits()
        l.maxFrames = 2_000
        return l
    }()

    static func decodeImage(_ url: URL) throws -> VideoFrames {
        do {
            return try MediaDecoder.decodeImage(at: url, limits: limits)
        } catch let error as MediaError {
            throw ClipRenderError.invalid("the image \(url.lastPathComponent) cannot be used: \(error.description)")
        }
    }

    static func decodeVideo(_ url: URL) throws -> VideoFrames {
        do {
            let frames = try MediaDecoder.decodeVideo(at: url, limits: limits)
            guard frames.frameCount > 0 else { throw ClipRenderError.invalid("the video \(url.lastPathComponent) has no frames") }
            return frames
        } catch let error as MediaError {
            throw ClipRenderError.invalid("the video \(url.lastPathComponent) cannot be used: \(error.description)")
        }
    }

    /// 8-bit frames -> the VAE's input [1, 3, F, H, W] in [-1, 1] (x / 127.5 - 1, as diffusers' preprocessing).
    public static func tensor(_ frames: VideoFrames) -> Tensor {
        let plane = frames.width * frames.height * frames.frameCount
        var values = [Float](repeating: 0, count: 3 * plane)
        frames.pixels.withUnsafeBufferPointer { p in
            for i in 0..<plane {
                for c in 0..<3 { values[c * plane + i] = Float(p[3 * i + c]) / 127.5 - 1 }
            }
        }
        return Tensor(shape: [1, 3, frames.frameCount, frames.height, frames.width], values: values)
    }

    /// Normalised latents of `frames` fitted to the generation size.
    static func latents(of frames: VideoFrames, width: Int, height: Int, pipeline: TextToVideoPipeline,
                        isCancelled: () -> Bool) throws -> Tensor {
        let fitted = try Resizer.resize(frames, width: width, height: height, policy: .cropToFill)
        return try pipeline.vae.encode(tensor(fitted), isCancelled: isCancelled)
    }

    /// `video` as it was rendered, before its marks and the encoder: decoded from the clean latents its render kept,
    /// fitted to its size as the export fits. nil when they cannot be read or are not this video's (fewer frames,
    /// or further than 25 dB PSNR from it; the marks and the encoder alone stay well within that).
    static func clean(_ video: VideoFrames, latents url: URL, pipeline: TextToVideoPipeline) -> VideoFrames? {
        guard let latents = try? SafeTensorsFile(path: url.path).tensor("latents").copied(to: .f32),
              latents.shape.count == 5, latents.shape[1] == pipeline.vae.latentChannels,
              let decoded = try? pipeline.vae.decode(latents, tiling: .automatic, progress: { _, _ in }, isCancelled: { false }),
              decoded.shape[2] >= video.frameCount,
              let frames = try? VideoFrames(planarRGB: decoded.sliced(axis: 2, 0..<video.frameCount).contiguous().scalars,
                                            frameCount: video.frameCount, height: decoded.shape[3], width: decoded.shape[4],
                                            frameRate: video.frameRate),
              let fitted = try? Resizer.resize(frames, width: video.width, height: video.height, policy: .cropToFill)
        else { return nil }
        return fitted.psnr(to: video) >= 25 ? fitted : nil
    }

    /// How many latent frames an extension conditions on by default, and the source frames they cover
    /// (1 + 4(k - 1) with Wan's VAE): more than the last frame carries the motion across the join.
    public static let defaultExtensionLatentFrames = 2

    /// A continuation's frames joined to the source's. The continuation's first frames are the VAE's rendition of
    /// the source's last ones, which differ from the source by the VAE's round-trip error; that difference, measured
    /// on the last shared frame, is carried into the continuation and faded out over `blend` frames, so the join
    /// shows the generated motion rather than a jump in sharpness or colour. The model may still move further in its
    /// first new frame than the source moved per frame (more so when the prompt describes other motion or no scene),
    /// so the source's last frame is also dissolved into the first `dissolve` new frames: a jump becomes a short
    /// cross-fade (bench/quality-i2v.md measures both).
    static func join(source: VideoFrames, continuation: VideoFrames, sharedLast: VideoFrames, blend: Int,
                     dissolve: Int) throws -> VideoFrames {
        precondition(source.width == continuation.width && source.height == continuation.height)
        let n = source.frameByteCount
        let last = source.pixels[(source.frameCount - 1) * n..<source.frameCount * n]
        let residual = zip(last, sharedLast.pixels).map { Float($0) - Float($1) }
        var pixels = source.pixels
        pixels.reserveCapacity(source.pixels.count + continuation.pixels.count)
        for j in 0..<continuation.frameCount {
            let frame = continuation.pixels[j * n..<(j + 1) * n]
            let weight = j < blend ? 1 - Float(j + 1) / Float(blend + 1) : 0
            let held = j < dissolve ? 1 - Float(j + 1) / Float(dissolve + 1) : 0
            if weight == 0 && held == 0 {
                pixels.append(contentsOf: frame)
            } else {
                for i in 0..<n {
                    let carried = Float(frame[frame.startIndex + i]) + weight * residual[i]
                    let value = (1 - held) * carried + held * Float(last[last.startIndex + i])
                    pixels.append(UInt8(max(0, min(255, value.rounded()))))
                }
            }
        }
        return try VideoFrames(width: source.width, height: source.height, frameRate: source.frameRate, pixels: pixels)
    }
}

/// A spec turned into engine work: the plan, the request, and for extensions the source the output is joined to.
struct PreparedClip {
    var plan: GenerationPlan
    var request: GenerationRequest
    var extending: SourceClip?
}

/// A picture or video a clip starts from, decoded, and what it does to the plan and the request.
struct SourceClip {
    enum Kind {
        case image
        case extend(latentFrames: Int)
        case edit
    }

    let kind: Kind
    let frames: VideoFrames
    /// Extension: the source's frames given to the model (1 + 4(k - 1)) and the frames added after them.
    private(set) var shared = 0
    private(set) var added = 0

    var joinsOutput: Bool { if case .extend = kind { true } else { false } }
    var fps: Int { Int(frames.frameRate.framesPerSecond.rounded()) }

    static func load(_ conditioning: ClipConditioning?, pipeline: TextToVideoPipeline) throws -> SourceClip? {
        func needsConditioning() throws {
            guard pipeline.acceptsConditioning else { throw ClipRenderError.invalid(TextToVideoPipeline.conditioningUnsupported) }
        }
        switch conditioning {
        case .image(let url)?:
            try needsConditioning()
            return SourceClip(kind: .image, frames: try ClipSources.decodeImage(url))
        case .imageFrames(let picture)?:
            try needsConditioning()
            return SourceClip(kind: .image, frames: try picture.selecting(frames: [0]))
        case .extend(let url, let latentFrames, let cleanLatents)?:
            try needsConditioning()
            let k = latentFrames ?? ClipSources.defaultExtensionLatentFrames
            guard (1...8).contains(k) else { throw ClipRenderError.invalid("an extension gives the model 1 to 8 latent frames of the source, not \(k)") }
            let video = try ClipSources.decodeVideo(url)
            let frames = cleanLatents.flatMap { ClipSources.clean(video, latents: $0, pipeline: pipeline) } ?? video
            return SourceClip(kind: .extend(latentFrames: k), frames: frames)
        case .edit(let url, let strength)?:
            // Checked before the source is decoded and encoded, which is most of an edit's preparation.
            guard (0...1).contains(strength) else { throw ClipRenderError.invalid("strength must be between 0 and 1, got \(strength)") }
            return SourceClip(kind: .edit, frames: try ClipSources.decodeVideo(url))
        case .remix?, nil:
            return nil
        }
    }

    /// The plan an extension or edit follows (nil: the spec's own, as for text-to-video and image-to-video).
    mutating func plan(_ spec: ClipSpec, size: (Int, Int)?, pipeline: TextToVideoPipeline) throws -> GenerationPlan? {
        let tf = pipeline.vae.temporalFactor
        func ceilingFrames(_ n: Int) -> Int { (n - 1 + tf - 1) / tf * tf + 1 }
        if case .image = kind { return nil }
        guard (1...120).contains(fps) else { throw ClipRenderError.invalid("the source video's frame rate \(frames.frameRate) is outside 1-120 fps") }
        if let asked = spec.fps, asked != fps {
            throw ClipRenderError.invalid("the result keeps the source's frame rate (\(fps) fps); leave out fps")
        }
        switch kind {
        case .image:
            return nil
        case .extend(let latentFrames):
            guard spec.frames == nil else { throw ClipRenderError.invalid("an extension takes seconds, the time added, not frames") }
            if let size, size != (frames.width, frames.height) {
                throw ClipRenderError.invalid("an extension keeps the source's size, \(frames.width)x\(frames.height); leave out the size")
            }
            let k = min(latentFrames, (frames.frameCount - 1) / tf + 1)
            shared = 1 + tf * (k - 1)
            var plan = try GenerationPlan.make(size: (frames.width, frames.height), frames: nil, seconds: spec.seconds, fps: fps,
                                               defaults: pipeline.defaults, temporalFactor: tf, sizeUnit: pipeline.sizeUnit)
            added = plan.keptFrames
            plan.frames = ceilingFrames(shared + added)
            plan.keptFrames = plan.frames
            guard plan.frames <= 1001 else { throw ClipRenderError.invalid("\(added) added frames are too many for one clip; extend in several steps") }
            return plan
        case .edit:
            guard spec.frames == nil, spec.seconds == nil else {
                throw ClipRenderError.invalid("an edit keeps the source's length; leave out frames and seconds")
            }
            var plan = try GenerationPlan.make(size: size ?? (frames.width, frames.height), frames: 1, seconds: nil, fps: fps,
                                               defaults: pipeline.defaults, temporalFactor: tf, sizeUnit: pipeline.sizeUnit)
            plan.keptFrames = frames.frameCount
            plan.frames = ceilingFrames(frames.frameCount)
            guard plan.frames <= 1001 else { throw ClipRenderError.invalid("the source has \(frames.frameCount) frames; an edit takes at most 1001") }
            return plan
        }
    }

    /// Encodes the source into the request: the picture or the source's last frames as given latent frames, or the
    /// whole source (its last frame repeated up to the 4k+1 frames the VAE takes) as the latents an edit re-noises.
    func condition(_ request: inout GenerationRequest, plan: GenerationPlan, pipeline: TextToVideoPipeline,
                   isCancelled: () -> Bool) throws {
        func latents(_ clip: VideoFrames) throws -> Tensor {
            try ClipSources.latents(of: clip, width: plan.width, height: plan.height, pipeline: pipeline, isCancelled: isCancelled)
        }
        switch kind {
        case .image:
            request.conditionLatents = try latents(frames)
        case .extend:
            let n = frames.frameCount
            request.conditionLatents = try latents(try frames.selecting(frames: Array((n - shared)..<n)))
        case .edit:
            let n = frames.frameCount
            request.initialLatents = try latents(try frames.selecting(frames: (0..<plan.frames).map { min($0, n - 1) }))
        }
    }

    /// The extension's output: the source's frames, then the continuation at the source's size (see `ClipSources.join`).
    func join(generated result: GenerationResult, plan: GenerationPlan) throws -> VideoFrames {
        var all = plan
        all.keptFrames = result.video.shape[2]
        let generated = try ClipExport.frames(from: result, plan: all)
        let continuation = try Resizer.resize(try generated.selecting(frames: Array((shared - 1)..<(shared + added))),
                                              width: frames.width, height: frames.height, policy: .cropToFill)
        return try ClipSources.join(source: frames, continuation: try continuation.selecting(frames: Array(1..<continuation.frameCount)),
                                    sharedLast: try continuation.selecting(frames: [0]), blend: max(1, fps),
                                    dissolve: max(2, fps / 2))
    }
}
