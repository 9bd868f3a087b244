import Foundation
import KinoProvenance

/// TEST AID, NOT A GENERATOR. Writes real but prompt-independent files (ffmpeg's `testsrc` pattern as H.264 MP4,
/// a WebP thumbnail, a JPEG spritesheet, a tiny safetensors latents file) so that the API, ffprobe, browsers and
/// the `openai` SDK can be tested end to end before, or without, the real engine. It reports progress over
/// `steps` steps of `stepDelay` each and honours cancellation between them.
///
/// `kino serve` uses it only with the hidden `--test-pattern-renderer` flag, and then names its model
/// `test-pattern` so that no output can be mistaken for a generated video.
public struct TestPatternRenderer: VideoRenderer {
    public static let modelName = "test-pattern"
    public let models = [TestPatternRenderer.modelName]
    public let supportsRemix = true
    public var steps: Int
    public var stepDelay: TimeInterval
    public var ffmpeg: String
    /// ffmpeg's thread count (nil: ffmpeg decides), so `--threads 1` keeps the test aid on one core as well.
    public var threads: Int?
    /// Signs the test pattern's MP4 with C2PA content credentials like a real output (nil: left unsigned).
    public var signing: SigningIdentity?

    public init(steps: Int = 8, stepDelay: TimeInterval = 0.25, ffmpeg: String = "ffmpeg", threads: Int? = nil,
                signing: SigningIdentity? = nil) {
        self.signing = signing
        self.steps = max(1, steps)
        self.stepDelay = stepDelay
        self.ffmpeg = ffmpeg
        self.threads = threads
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public func render(_ render: RenderJob, into outputDirectory: URL, progress: @Sendable (Double) -> Void, isCancelled: @Sendable () -> Bool) throws -> RenderResult {
        let job = render.job
        let steps = job.settings.steps ?? self.steps
        for step in 0..<steps {
            if isCancelled() { throw RenderCancelled() }
            Thread.sleep(forTimeInterval: stepDelay)
            progress(Double(step + 1) / Double(steps + 1))
        }
        if isCancelled() { throw RenderCancelled() }
        if let remix = render.remix, !FileManager.default.fileExists(atPath: remix.latentsFile.path) {
            throw Failure(description: "The latents of source video \(remix.videoID) are missing at \(remix.latentsFile.path).")
        }
        // Small frames keep the test fast; the encoded size is still the requested one.
        let size = "\(job.size)"
        let video = outputDirectory.appendingPathComponent(RenderOutput.video).path
        try run(["-f", "lavfi", "-i", "testsrc=size=\(size):rate=8:duration=\(job.seconds)",
                 "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-movflags", "+faststart", video])
        if let signing {
            try ClipProvenance(identity: signing, model: Self.modelName, keySerial: render.watermarkSerials.key,
                               videoSerial: render.watermarkSerials.video).sign(URL(fileURLWithPath: video))
        }
        try run(["-i", video, "-frames:v", "1", "-vf", "scale=320:-2",
                 outputDirectory.appendingPathComponent(RenderOutput.thumbnail).path])
        try run(["-i", video, "-vf", "fps=1,scale=160:-2,tile=\(max(1, job.seconds))x1", "-frames:v", "1",
                 outputDirectory.appendingPathComponent(RenderOutput.spritesheet).path])
        try writeLatents(seed: job.settings.seed, to: outputDirectory.appendingPathComponent(RenderOutput.latents))
        progress(1)
        return RenderResult(wroteLatents: true)
    }

    private func run(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // -filter_threads is global; -threads placed just before the output file applies to the encoder.
        let global = threads.map { ["-filter_threads", String($0)] } ?? []
        let encoder = threads.map { ["-threads", String($0)] } ?? []
        process.arguments = [ffmpeg, "-hide_banner", "-loglevel", "error", "-y"] + global + arguments.dropLast() + encoder + arguments.suffix(1)
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw Failure(description: "Cannot start ffmpeg (\(error.localizedDescription)); install it (apt-get install ffmpeg).")
        }
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "ffmpeg failed: \(String(decoding: message, as: UTF8.self))")
        }
    }

    /// A real safetensors file holding one f32 tensor [1, 4, 2, 2] derived from the seed.
    private func writeLatents(seed: UInt32, to url: URL) throws {
        let values = (0..<16).map { Float(Int(seed % 1000) + $0) / 1000 }
        var data = Data()
        for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        var header = #"{"latents":{"dtype":"F32","shape":[1,4,2,2],"data_offsets":[0,\#(data.count)]}}"#
        while header.utf8.count % 8 != 0 { header += " " }
        var file = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { file.append(contentsOf: $0) }
        file.append(contentsOf: Array(header.utf8))
        file.append(data)
        try file.write(to: url)
    }
}
