import Foundation
import KinoMedia

/// The ground-truth fixture: clips of the eval prompts rendered by training/world (Tests/Fixtures/eval,
/// written by training/make_eval_fixture.py), stored back to back in one lossless MP4 with a JSON index.
public struct GroundTruth: Sendable {
    struct Index: Codable {
        struct Clip: Codable {
            var first_frame: Int
            var frame_count: Int
            var pixel_sum: Int
        }
        var width: Int
        var height: Int
        var clips: [Clip]
    }

    public let clips: [(prompt: EvalPrompt, clip: EvalClip)]

    /// Loads `groundtruth.json` and `groundtruth.mp4` from `folder`, checking that the decode was lossless.
    /// Blocking (runs ffmpeg).
    public init(folder: URL) throws {
        let json = folder.appendingPathComponent("groundtruth.json")
        let mp4 = folder.appendingPathComponent("groundtruth.mp4")
        guard let data = try? Data(contentsOf: json) else {
            throw EvalError.fixture("cannot read \(json.path); run python3 training/make_eval_fixture.py")
        }
        let index: Index, prompts: [EvalPrompt]
        do {
            index = try JSONDecoder().decode(Index.self, from: data)
            struct Prompts: Codable { var clips: [EvalPrompt] }
            prompts = try JSONDecoder().decode(Prompts.self, from: data).clips
        } catch {
            throw EvalError.fixture("\(json.path) is malformed (\(error)); run python3 training/make_eval_fixture.py")
        }
        let total = index.clips.map { $0.first_frame + $0.frame_count }.max() ?? 0
        var limits = DecodeLimits()
        limits.maxFrames = total
        limits.maxSeconds = 3600
        let frames = try MediaDecoder.decodeVideo(at: mp4, limits: limits)
        guard frames.width == index.width, frames.height == index.height, frames.frameCount == total else {
            throw EvalError.fixture("\(mp4.path) has \(frames.frameCount) frames of \(frames.width)x\(frames.height), "
                + "the index expects \(total) of \(index.width)x\(index.height)")
        }
        let all = try EvalClip(frames)
        var out: [(EvalPrompt, EvalClip)] = []
        let frameBytes = frames.frameByteCount
        for (k, c) in index.clips.enumerated() {
            let bytes = frames.pixels[c.first_frame * frameBytes..<(c.first_frame + c.frame_count) * frameBytes]
            let sum = bytes.reduce(0) { $0 + Int($1) }
            guard sum == c.pixel_sum else {
                throw EvalError.fixture("clip \(k) of \(mp4.path) decoded with pixel sum \(sum), expected \(c.pixel_sum): "
                    + "the decode is not lossless (ffmpeg without libx264 4:4:4 support?)")
            }
            out.append((prompts[k], try all.frames(c.first_frame..<c.first_frame + c.frame_count)))
        }
        clips = out
    }

    /// Runs the detectors on every ground-truth clip.
    public func verdicts() -> [Verdict] {
        clips.map { Verdict(prompt: $0.prompt, seed: nil, detection: Detection($0.clip)) }
    }
}
