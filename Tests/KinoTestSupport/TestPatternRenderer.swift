import Foundation
import KinoMedia
import KinoProvenance
import KinoRender
import KinoService
import KinoTensor

/// TEST AID, NOT A GENERATOR. Writes real but prompt-independent files (ffmpeg's `testsrc` pattern as H.264 MP4,
/// a WebP thumbnail, a JPEG spritesheet, a tiny safetensors latents file) so that the API, ffprobe, browsers and
/// the `openai` SDK can be tested end to end with timing the test controls. It reports progress over `steps`
/// steps of `stepDelay` each and honours cancellation between them. It lives under Tests/ and is never linked
/// into `kino`; the test server (`kino-test-server`) serves it under the model name `test-pattern`, so no
/// output can be mistaken for a generated video.
public struct TestPatternRenderer: VideoRenderer {
    public static let modelName = "test-pattern"
    public let models = [TestPatternRenderer.modelName]
    public let supportsRemix = true
    /// The engine's preset names, so the API's style validation behaves as with the real renderer.
    public var styles: [String] { StylePresets.names }
    public var previews: Bool { true }
    public var steps: Int
    public var stepDelay: TimeInterval
    /// ffmpeg's thread count (nil: ffmpeg decides), so `--threads 1` keeps the test aid on one core as well.
    public var threads: Int?
    /// Signs the test pattern's MP4 with C2PA content credentials like a real output (nil: left unsigned).
    public var signing: SigningIdentity?

    public func contentCredentials(of file: URL) -> String? { signing.map { ClipProvenance.describe(fileAt: file, identity: $0) } }

    public init(steps: Int = 8, stepDelay: TimeInterval = 0.25, threads: Int? = nil, signing: SigningIdentity? = nil) {
        self.signing = signing
        self.steps = max(1, steps)
        self.stepDelay = stepDelay
        self.threads = threads
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public func render(_ render: RenderJob, into outputDirectory: URL, progress: @Sendable (RenderProgress) -> Void,
                       isCancelled: @Sendable () -> Bool) throws -> RenderResult {
        let job = render.job
        let steps = job.settings.steps ?? self.steps
        for step in 0..<steps {
            if isCancelled() { throw RenderCancelled() }
            Thread.sleep(forTimeInterval: stepDelay)
            var report = RenderProgress(Double(step + 1) / Double(steps + 1), phase: "denoising", detail: "step \(step + 1)/\(steps)")
            // A grey 8x5 preview that brightens with the step, so clients can follow previews without a model.
            let level = UInt8(255 * (step + 1) / steps)
            report.preview = RenderPreview(png: try PNGEncoder.encode(width: 8, height: 5, rgb: [UInt8](repeating: level, count: 8 * 5 * 3)),
                                           step: step + 1, steps: steps)
            progress(report)
        }
        if isCancelled() { throw RenderCancelled() }
        if let remix = render.remix, !FileManager.default.fileExists(atPath: remix.latentsFile.path) {
            throw Failure(description: "The latents of source video \(remix.videoID) are missing.")
        }
        let video = outputDirectory.appendingPathComponent(RenderOutput.video)
        progress(RenderProgress(Double(steps) / Double(steps + 1), phase: "encoding_video"))
        try ffmpeg(["-f", "lavfi", "-i", "testsrc=size=\(job.size):rate=8:duration=\(job.seconds)",
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-movflags", "+faststart"], output: video)
        if let signing {
            progress(RenderProgress(Double(steps) / Double(steps + 1), phase: "signing"))
            let serials = render.watermarkSerials
            try ClipProvenance(identity: signing, model: Self.modelName, keySerial: serials.key, videoSerial: serials.video).sign(video)
        }
        try ffmpeg(["-i", video.path, "-frames:v", "1", "-vf", "scale=320:-2"],
                   output: outputDirectory.appendingPathComponent(RenderOutput.thumbnail))
        try ffmpeg(["-i", video.path, "-vf", "fps=1,scale=160:-2,tile=\(max(1, job.seconds))x1", "-frames:v", "1"],
                   output: outputDirectory.appendingPathComponent(RenderOutput.spritesheet))
        // A real safetensors file holding one f32 tensor [1, 4, 2, 2] derived from the seed.
        let values = (0..<16).map { Float(Int(job.settings.seed % 1000) + $0) / 1000 }
        try SafeTensors.write(["latents": Tensor(shape: [1, 4, 2, 2], values: values)],
                              to: outputDirectory.appendingPathComponent(RenderOutput.latents).path)
        progress(RenderProgress(1, phase: "finishing"))
        return RenderResult(wroteLatents: true)
    }

    /// -filter_threads is global; -threads placed just before the output file applies to the encoder.
    private func ffmpeg(_ arguments: [String], output: URL) throws {
        let global = threads.map { ["-filter_threads", String($0)] } ?? []
        let encoder = threads.map { ["-threads", String($0)] } ?? []
        try FFmpeg.run(global + arguments + encoder + [output.path])
    }
}
