import Foundation
import KinoMedia
import KinoPipeline
import KinoRender

/// The test material of `kino bench watermark`: kino-tiny renders scaled up to the benchmark size, and moving,
/// textured clips drawn by ffmpeg's own sources (fractal zoom, cellular automata, moving graphics, gradients
/// with film grain, a panning noise texture), plus a helper that runs ffmpeg on them.
enum WatermarkBenchClips {
    struct Clip {
        var name: String
        var frames: VideoFrames
    }

    static let tinyPrompts = [
        "a red ball bounces across green grass", "a boat drifting on the sea at night", "a cat walking on a wooden floor",
        "clouds moving over mountains", "a city street with cars at dusk", "a yellow kite flying in a blue sky",
        "waves breaking on a sandy beach", "a campfire burning in a dark forest", "snow falling on a village",
        "a train crossing a bridge over a river", "fish swimming in a coral reef", "a windmill turning in a field",
    ]

    /// kino-tiny clip `index` (generation size, 4 s at 8 fps), cached as raw RGB in `cache` so reruns skip
    /// the render. The seed is the index, so the clip is the same on every machine with the same build.
    /// The renderer and model the kino-tiny clips come from (loaded on the first clip not in the cache).
    struct Engine {
        var renderer: ClipRenderer
        var model: ModelSelection
    }

    static func tiny(index: Int, pipeline engine: Engine, cache: URL) throws -> Clip {
        let prompt = tinyPrompts[index % tinyPrompts.count]
        let name = "kino-tiny #\(index): \(prompt)"
        let file = cache.appendingPathComponent("tiny-\(index).rgb")
        let meta = cache.appendingPathComponent("tiny-\(index).txt")
        if let text = try? String(contentsOf: meta, encoding: .utf8), let data = try? Data(contentsOf: file) {
            let parts = text.split(separator: " ").compactMap { Int($0) }
            if parts.count == 3 {
                return Clip(name: name, frames: try VideoFrames(width: parts[0], height: parts[1],
                                                                 frameRate: FrameRate(parts[2]), pixels: [UInt8](data)))
            }
        }
        let frames = try engine.renderer.render(ClipSpec(model: engine.model, prompt: prompt, seed: UInt64(index))).frames
        try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)
        try Data(frames.pixels).write(to: file)
        try "\(frames.width) \(frames.height) \(frames.frameRate.numerator)".write(to: meta, atomically: true, encoding: .utf8)
        return Clip(name: name, frames: frames)
    }

    /// ffmpeg source expressions for the synthetic clips; `variant` changes the seed / start point.
    static func syntheticSource(kind: Int, variant: Int, width: Int, height: Int, fps: Int) -> (name: String, graph: String) {
        let size = "\(width)x\(height)"
        let v = variant
        switch kind % 5 {
        case 0:
            let x = -0.743643887 + 0.002 * Double(v % 7), y = 0.131825904 + 0.002 * Double(v % 5)
            return ("mandelbrot zoom #\(v)",
                    "mandelbrot=s=\(size):r=\(fps):start_x=\(x):start_y=\(y):start_scale=\(0.5 + 0.1 * Double(v % 4))")
        case 1:
            return ("cellular life #\(v)",
                    "life=s=\(width / 4)x\(height / 4):r=\(fps):seed=\(v + 1):mold=25:ratio=0.3:"
                        + "life_color=#F0C040:death_color=#203060:mold_color=#602020,scale=\(size):flags=bicubic")
        case 2:
            return ("moving graphics #\(v)", "testsrc2=s=\(size):r=\(fps),trim=start_frame=\(8 * v),setpts=PTS-STARTPTS")
        case 3:
            return ("gradients + grain #\(v)",
                    "gradients=s=\(size):r=\(fps):seed=\(v + 1):speed=0.05,noise=alls=10:allf=t+u:all_seed=\(v + 7)")
        default:
            // A noise texture (blurred, scaled up: detail at many scales, like foliage or gravel) panning diagonally.
            return ("panning texture #\(v)",
                    "color=c=0x807060:s=\(width * 5 / 8)x\(height * 5 / 8):r=\(fps),noise=alls=70:allf=u:all_seed=\(v + 11),"
                        + "gblur=sigma=1.5,scale=\(width * 5 / 4)x\(height * 5 / 4):flags=bicubic,"
                        + "crop=\(width):\(height):x='40*t+\(13 * v % 100)':y='20*t'")
        }
    }

    /// Runs a synthetic source through ffmpeg and returns its frames (raw RGB, no encoding).
    static func synthetic(kind: Int, variant: Int, width: Int, height: Int, frames: Int, fps: Int, scratch: URL)
        throws -> Clip {
        let source = syntheticSource(kind: kind, variant: variant, width: width, height: height, fps: fps)
        let bytes = try ffmpeg(["-f", "lavfi", "-i", source.graph, "-frames:v", String(frames),
                                "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"], scratch: scratch)
        return Clip(name: source.name, frames: try VideoFrames(width: width, height: height, frameRate: FrameRate(fps),
                                                               pixels: [UInt8](bytes)))
    }

    /// Encodes `frames` with libx264 (`crf`, optional `-vf` filter) and decodes the result back to RGB.
    static func reencode(_ frames: VideoFrames, crf: Int, filter: String?, scratch: URL, preset: String = "medium")
        throws -> VideoFrames {
        let raw = scratch.appendingPathComponent("input.rgb")
        let file = scratch.appendingPathComponent("reencoded.mp4")
        try Data(frames.pixels).write(to: raw)
        var args = ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "\(frames.width)x\(frames.height)",
                    "-framerate", frames.frameRate.ffmpegValue, "-i", raw.path]
        if let filter { args += ["-vf", filter] }
        args += ["-c:v", "libx264", "-preset", preset, "-crf", String(crf), "-pix_fmt", "yuv420p", "-y", file.path]
        _ = try ffmpeg(args, scratch: scratch)
        return try MediaDecoder.decodeVideo(at: file)
    }

    /// Runs ffmpeg with `args` and returns its stdout (stderr goes to a file in `scratch`, shown on failure).
    static func ffmpeg(_ args: [String], scratch: URL) throws -> Data {
        let process = Process()
        process.executableURL = try MediaTool.ffmpeg.locate()
        process.arguments = ["-hide_banner", "-nostdin", "-loglevel", "error"] + args
        let errorURL = scratch.appendingPathComponent("ffmpeg-stderr.txt")
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
        let errorHandle = try FileHandle(forWritingTo: errorURL)
        defer { try? errorHandle.close() }
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = errorHandle
        try process.run()
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = (try? String(contentsOf: errorURL, encoding: .utf8)) ?? ""
            throw BenchFailure("ffmpeg \(args.joined(separator: " ")) failed: \(message)")
        }
        return out
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

