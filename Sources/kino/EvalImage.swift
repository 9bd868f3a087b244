import Foundation
import KinoEval
import KinoMedia
import KinoPipeline
import KinoRender
import KinoTensor

/// `kino eval --image`: image-to-video clips start from the first frame of their prompt's ground-truth clip (the
/// world's own picture of that composition) and are scored beside text-only clips of the same prompts and seeds.
extension Eval {
    /// How faithfully a clip keeps the picture it started from, against what the VAE alone keeps of it.
    struct FirstFrame: Sendable {
        var split: EvalPrompt.Split
        /// The clip's first frame against the picture (8-bit, generation size).
        var psnr: Double
        /// The picture encoded and decoded by the model's VAE, against the picture: the best a latent model can do.
        var roundTrip: Double
    }

    /// The first frame of every ground-truth clip, by prompt id.
    static func firstFrames(_ folder: URL) throws -> [Int: VideoFrames] {
        var out: [Int: VideoFrames] = [:]
        for (prompt, clip) in try GroundTruth(folder: folder).clips {
            let n = clip.width * clip.height * 3
            let pixels = clip.rgb[0..<n].map { UInt8(max(0, min(255, ($0 * 255).rounded()))) }
            out[prompt.id] = try VideoFrames(width: clip.width, height: clip.height, frameRate: 8, pixels: pixels)
        }
        return out
    }

    static func firstFrame(of clip: EvalClip, picture: VideoFrames, prompt: EvalPrompt, renderer: ClipRenderer,
                           model: ModelSelection) throws -> FirstFrame {
        let fitted = try Resizer.resize(picture, width: clip.width, height: clip.height, policy: .cropToFill)
        let reference = fitted.pixels.map(Double.init)
        let first = clip.rgb[0..<reference.count].map { Double($0) * 255 }
        let vae = try renderer.pipeline(for: model).vae
        let latents = try vae.encode(ClipSources.tensor(fitted), isCancelled: { false })
        let decoded = try vae.decode(latents, tiling: .never, progress: { _, _ in }, isCancelled: { false })
        let roundTrip = try VideoFrames(planarRGB: decoded.contiguous().scalars, frameCount: 1, height: clip.height,
                                        width: clip.width, frameRate: 8)
        return FirstFrame(split: prompt.split, psnr: psnr(first, reference), roundTrip: psnr(roundTrip.pixels.map(Double.init), reference))
    }

    static func psnr(_ a: [Double], _ b: [Double]) -> Double {
        let mse = zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(max(1, a.count))
        return mse == 0 ? 99 : 10 * log10(255 * 255 / mse)
    }

    /// The report's opening section: image-to-video against text-only, and first-frame fidelity, per split.
    static func imageComparison(imageToVideo: [Verdict], textOnly: [Verdict], fidelity: [FirstFrame]) -> String {
        func points(_ a: Tally, _ b: Tally) -> String {
            guard let x = a.fraction, let y = b.fraction else { return "n/a" }
            return String(format: "%+.0f", 100 * (x - y))
        }
        var s = "## Image-to-video against text-only\n\n"
        s += "Every prompt is rendered twice with the same seed: from the first frame of its ground-truth clip (the "
        s += "world's picture of that composition, fitted to the generation size) and from text alone. The scores are "
        s += "the same detectors' (see below); \"points\" is image-to-video minus text-only.\n\n"
        s += "| criterion | held-out: image | held-out: text | points | seen: image | seen: text | points |\n|---|---|---|---|---|---|---|\n"
        for c in Criterion.allCases {
            let (hi, ht) = (imageToVideo.filter { $0.prompt.split == .heldOut }.tally(c), textOnly.filter { $0.prompt.split == .heldOut }.tally(c))
            let (si, st) = (imageToVideo.filter { $0.prompt.split == .seen }.tally(c), textOnly.filter { $0.prompt.split == .seen }.tally(c))
            s += "| \(c.rawValue) | \(hi) | \(ht) | \(points(hi, ht)) | \(si) | \(st) | \(points(si, st)) |\n"
        }
        s += "\n## First frame against the picture\n\n"
        s += "PSNR (8-bit, at the generation size) of each clip's first frame against the picture it started from, "
        s += "beside the VAE's own round trip of that picture (encode, decode): the given latent frame is kept as is, "
        s += "so the first frame can at best equal the round trip. Target: at least the round trip minus 1 dB.\n\n"
        s += "| split | clips | first frame mean dB | min dB | VAE round trip mean dB | min dB | mean gap dB | worst gap dB |\n|---|---|---|---|---|---|---|---|\n"
        for (name, split) in [("held-out", EvalPrompt.Split.heldOut), ("seen", .seen)] {
            let rows = fidelity.filter { $0.split == split }
            guard !rows.isEmpty else { continue }
            let mean = { (xs: [Double]) in xs.reduce(0, +) / Double(xs.count) }
            let gaps = rows.map { $0.roundTrip - $0.psnr }
            s += String(format: "| %@ | %d | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |\n", name, rows.count, mean(rows.map(\.psnr)),
                        rows.map(\.psnr).min() ?? 0, mean(rows.map(\.roundTrip)), rows.map(\.roundTrip).min() ?? 0, mean(gaps), gaps.max() ?? 0)
        }
        return s + "\n"
    }
}
