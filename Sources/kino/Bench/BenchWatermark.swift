import ArgumentParser
import Foundation
import KinoMedia
import KinoPipeline
import KinoRender
import KinoService

/// Robustness, false positives, quality and speed of the invisible watermark, written to
/// bench/watermark.md. See docs/watermark.md.
struct BenchWatermark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watermark",
        abstract: "Measure the invisible watermark: recovery after re-encoding and resizing, false positives, PSNR.",
        discussion: """
            Each clip is watermarked at the benchmark size, exported as Kino does (H.264 CRF 18), then re-encoded
            by ffmpeg with libx264 at CRF 23, and separately scaled to half size and re-encoded at CRF 28; the
            detector reads each version. Unwatermarked clips (the same clips without the mark, plus more
            synthetic ones) are re-encoded at CRF 23 and must give no detection at p < 1e-6.
            kino-tiny renders are cached in --cache, so a second run skips them.
            """)

    @Option(help: "kino-tiny clips (rendered at 128x80, scaled up).") var tinyClips = 10
    @Option(help: "Synthetic textured / moving clips (ffmpeg sources).") var syntheticClips = 10
    @Option(help: "Unwatermarked clips to run the detector on.") var negatives = 100
    @Option(help: "Benchmark frame size WxH.") var size = "1280x720"
    @Option(help: "Model for the rendered clips (default: kino-tiny).") var model: String?
    @Option(help: "Where kino-tiny renders are cached.") var cache = "models-local/bench-watermark"
    @Option(help: "Where to write the report.") var output = "bench/watermark.md"

    func run() async throws {
        guard let parsed = VideoLimits.parseSize(size), parsed.width >= 256, parsed.height >= 256 else {
            throw ValidationError("--size must look like 1280x720, each side at least 256")
        }
        let settings = self
        let report = try await runOnThread { try settings.measure(width: parsed.width, height: parsed.height) }
        try FileManager.default.createDirectory(atPath: (output as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try report.write(toFile: output, atomically: true, encoding: .utf8)
        print(report)
    }

    struct Row {
        var name: String
        var psnr: Double
        var readings: [WatermarkReading]  // shipped (CRF 18), CRF 23, CRF 28 + half size
    }

    static func bitAccuracy(_ r: WatermarkReading, _ truth: WatermarkPayload) -> Double {
        let diff = (UInt64(r.payload.keySerial ^ truth.keySerial) << 32) | UInt64(r.payload.videoSerial ^ truth.videoSerial)
        return Double(64 - diff.nonzeroBitCount) / 64
    }

    static func log(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }

    func measure(width: Int, height: Int) throws -> String {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("kino-bench-wm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let cacheURL = URL(fileURLWithPath: cache)
        let folder = try ModelLocator().resolve(model)
        let pipeline = WatermarkBenchClips.Engine(renderer: ClipRenderer(signing: nil),
                                                  model: ModelSelection(folder: folder, name: model ?? ModelLocator.defaultModel))
        var clips = [WatermarkBenchClips.Clip]()
        for i in 0..<tinyClips {
            Self.log("clip: kino-tiny \(i)")
            var clip = try WatermarkBenchClips.tiny(index: i, pipeline: pipeline, cache: cacheURL)
            clip.frames = try Resizer.resize(clip.frames, width: width, height: height)
            clips.append(clip)
        }
        for i in 0..<syntheticClips {
            clips.append(try WatermarkBenchClips.synthetic(kind: i, variant: i / 5, width: width, height: height,
                                                          frames: 32, fps: 8, scratch: scratch))
        }

        var rows = [Row]()
        var negativeReadings = [(String, WatermarkReading)]()
        var embedSeconds = 0.0, readSeconds = 0.0, framesRead = 0
        for (i, clip) in clips.enumerated() {
            Self.log("watermark: \(i + 1)/\(clips.count) \(clip.name)")
            let truth = WatermarkPayload(keySerial: UInt32(truncatingIfNeeded: 0x9E37_79B9 &* (i + 1)),
                                         videoSerial: UInt32(truncatingIfNeeded: 0x85EB_CA6B &* (i + 7)))
            var marked = clip.frames
            let start = Date()
            InvisibleWatermark.embed(&marked, payload: truth)
            embedSeconds += Date().timeIntervalSince(start)
            let shippedURL = scratch.appendingPathComponent("shipped.mp4")
            try MP4Encoder.encode(marked, to: shippedURL)  // what Kino writes: CRF 18
            let shipped = try MediaDecoder.decodeVideo(at: shippedURL)
            let versions = [
                shipped,
                try WatermarkBenchClips.reencode(shipped, crf: 23, filter: nil, scratch: scratch),
                try WatermarkBenchClips.reencode(shipped, crf: 28, filter: "scale=iw/2:ih/2", scratch: scratch),
            ]
            var readings = [WatermarkReading]()
            for v in versions {
                let t = Date()
                readings.append(InvisibleWatermark.read(v))
                readSeconds += Date().timeIntervalSince(t)
                framesRead += v.frameCount
            }
            rows.append(Row(name: clip.name, psnr: clip.frames.psnr(to: marked), readings: readings))
            let plain = try WatermarkBenchClips.reencode(clip.frames, crf: 23, filter: nil, scratch: scratch)
            negativeReadings.append(("\(clip.name), CRF 23", InvisibleWatermark.read(plain)))
        }
        var variant = 100
        while negativeReadings.count < negatives {
            let kind = variant % 5
            Self.log("negative: \(negativeReadings.count + 1)/\(negatives)")
            let clip = try WatermarkBenchClips.synthetic(kind: kind, variant: variant, width: width, height: height,
                                                         frames: 16, fps: 8, scratch: scratch)
            let plain = try WatermarkBenchClips.reencode(clip.frames, crf: 23, filter: nil, scratch: scratch, preset: "veryfast")
            negativeReadings.append(("\(clip.name), CRF 23", InvisibleWatermark.read(plain)))
            variant += 1
        }
        let verify = try verifyTiming(scratch: scratch, pipeline: pipeline, cache: cacheURL)
        return report(rows: rows, negatives: negativeReadings, width: width, height: height,
                      embedSecondsPerFrame: embedSeconds / Double(max(1, clips.count * 32)),
                      readSecondsPerFrame: readSeconds / Double(max(1, framesRead)), verify: verify)
    }

    /// Seconds to decode a 4-second 512x320 Kino MP4 and read its watermark (what `kino verify` does), best of 3.
    func verifyTiming(scratch: URL, pipeline: WatermarkBenchClips.Engine, cache: URL) throws
        -> (decode: Double, detect: Double, found: Bool) {
        let clip = try WatermarkBenchClips.tiny(index: 0, pipeline: pipeline, cache: cache)
        var frames = try Resizer.resize(clip.frames, width: 512, height: 320)
        InvisibleWatermark.embed(&frames, payload: WatermarkPayload(keySerial: 3, videoSerial: 41))
        let url = scratch.appendingPathComponent("verify.mp4")
        try MP4Encoder.encode(frames, to: url)
        var best = (decode: Double.infinity, detect: Double.infinity, found: false)
        for _ in 0..<3 {
            let t0 = Date()
            let decoded = try MediaDecoder.decodeVideo(at: url)
            let t1 = Date()
            let found = InvisibleWatermark.detect(decoded)
            let t2 = Date()
            best.decode = min(best.decode, t1.timeIntervalSince(t0))
            best.detect = min(best.detect, t2.timeIntervalSince(t1))
            best.found = found?.payload == WatermarkPayload(keySerial: 3, videoSerial: 41)
        }
        return best
    }
}
