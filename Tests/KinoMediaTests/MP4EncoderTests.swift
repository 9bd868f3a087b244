import Foundation
import Testing
@testable import KinoMedia

@Suite struct MP4EncoderTests {
    /// The API's sizes plus full HD, each made from a small generation-size clip (landscape sources for
    /// landscape targets, portrait for portrait), resized, watermarked and encoded; ffprobe must agree.
    @Test(arguments: [
        (720, 1280, 16, 4), (1280, 720, 24, 3), (1024, 1792, 16, 3),
        (1792, 1024, 30, 3), (1920, 1080, 24, 2), (1080, 1920, 16, 2),
    ])
    func apiSizesProbeAsRequested(width: Int, height: Int, fps: Int, frames: Int) throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        let source = width > height
            ? try TestClips.natural(width: 128, height: 80, frames: frames, fps: fps)
            : try TestClips.natural(width: 80, height: 128, frames: frames, fps: fps)
        let url = scratch.file("out.mp4")
        let options = ExportOptions(width: width, height: height, encoding: MP4EncodeOptions(preset: "ultrafast"))
        let result = try VideoExporter.export(source, to: url, options: options)
        #expect(result.width == width && result.height == height)

        let info = try MediaProbe.probe(url, countFrames: true)
        #expect(info.codecName == "h264")
        #expect(info.pixelFormat == "yuv420p")
        #expect(info.width == width)
        #expect(info.height == height)
        #expect(info.frameRate == FrameRate(fps))
        #expect(info.frameCount == frames)
        let requested = Double(frames) / Double(fps)
        let duration = try #require(info.durationSeconds)
        #expect(abs(duration - requested) <= 1 / Double(fps), "duration \(duration) vs \(requested)")
        #expect(info.colorSpace == "bt709")
        #expect(info.colorPrimaries == "bt709")
        #expect(info.colorTransfer == "bt709")
    }

    /// A cancel while ffmpeg encodes stops it at once instead of waiting for the encode to finish.
    @Test func aCancelStopsTheEncoder() throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        let clip = try TestClips.natural(width: 640, height: 360, frames: 32, fps: 16)
        let start = Date()
        #expect(throws: CancellationError.self) {
            try MP4Encoder.encode(clip, to: scratch.file("c.mp4"), options: MP4EncodeOptions(preset: "veryslow"),
                                  isCancelled: { Date().timeIntervalSince(start) > 0.3 })
        }
        #expect(Date().timeIntervalSince(start) < 5)
    }

    @Test func longerClipKeepsExactFrameCountAndDuration() throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        let clip = try TestClips.natural(width: 96, height: 64, frames: 81, fps: 16)  // Wan's 81 frames
        let url = scratch.file("wan.mp4")
        try MP4Encoder.encode(clip, to: url, options: MP4EncodeOptions(preset: "veryfast"))
        let info = try MediaProbe.probe(url, countFrames: true)
        #expect(info.frameCount == 81)
        let duration = try #require(info.durationSeconds)
        #expect(abs(duration - 81.0 / 16.0) <= 1.0 / 16.0)
    }

    @Test func moovBoxComesBeforeMediaData() throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        let url = scratch.file("fast.mp4")
        try MP4Encoder.encode(try TestClips.natural(width: 64, height: 48, frames: 4), to: url)
        let bytes = try [UInt8](Data(contentsOf: url))
        var offset = 0
        var order = [String]()
        while offset + 8 <= bytes.count {
            let size = bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
            order.append(String(decoding: bytes[offset + 4..<offset + 8], as: UTF8.self))
            guard size >= 8 else { break }
            offset += size
        }
        let moov = try #require(order.firstIndex(of: "moov"))
        let mdat = try #require(order.firstIndex(of: "mdat"))
        #expect(moov < mdat, "top-level boxes: \(order)")
    }

    /// Our own MP4 decoded back must stay close to what went in at the default CRF.
    @Test func defaultCRFRoundTripKeepsLumaPSNRAbove38dB() throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        let clip = try TestClips.natural(width: 256, height: 160, frames: 24, fps: 16)
        let url = scratch.file("psnr.mp4")
        try MP4Encoder.encode(clip, to: url)
        let decoded = try MediaDecoder.decodeVideo(at: url)
        #expect(decoded.width == clip.width && decoded.height == clip.height)
        #expect(decoded.frameCount == clip.frameCount)
        let psnr = TestClips.lumaPSNR(clip, decoded)
        #expect(psnr >= 38, "luma PSNR \(psnr) dB")
    }

    /// Saturated primaries survive the trip: a wrong RGB<->YUV matrix shifts them visibly.
    @Test func primariesKeepTheirColour() throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        let colours: [[UInt8]] = [[220, 30, 30], [30, 200, 40], [30, 40, 220], [200, 200, 200]]
        var px = [UInt8]()
        for colour in colours {
            for _ in 0..<(64 * 64) { px += colour }
        }
        let clip = try VideoFrames(width: 64, height: 64, frameRate: 8, pixels: px)
        let url = scratch.file("colours.mp4")
        try MP4Encoder.encode(clip, to: url)
        let decoded = try MediaDecoder.decodeVideo(at: url)
        for (f, colour) in colours.enumerated() {
            let centre = (f * 64 * 64 + 32 * 64 + 32) * 3
            for c in 0..<3 {
                let got = Int(decoded.pixels[centre + c]), want = Int(colour[c])
                #expect(abs(got - want) <= 4, "frame \(f) channel \(c): \(got) vs \(want)")
            }
        }
    }

    @Test func oddSizesAreCroppedToEven() throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        let url = scratch.file("odd.mp4")
        try MP4Encoder.encode(try TestClips.natural(width: 65, height: 47, frames: 3), to: url)
        let info = try MediaProbe.probe(url)
        #expect(info.width == 64 && info.height == 46)
    }

    @Test func lowerCRFGivesBiggerFiles() throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        let clip = try TestClips.natural(width: 96, height: 64, frames: 8)
        let fine = scratch.file("fine.mp4"), coarse = scratch.file("coarse.mp4")
        try MP4Encoder.encode(clip, to: fine, options: MP4EncodeOptions(crf: 10))
        try MP4Encoder.encode(clip, to: coarse, options: MP4EncodeOptions(crf: 35))
        let fineSize = try FileManager.default.attributesOfItem(atPath: fine.path)[.size] as? Int ?? 0
        let coarseSize = try FileManager.default.attributesOfItem(atPath: coarse.path)[.size] as? Int ?? 0
        #expect(fineSize > coarseSize)
    }

    @Test func ffmpegFailureCarriesItsMessage() throws {
        let clip = try TestClips.natural(width: 32, height: 32, frames: 2)
        let url = URL(fileURLWithPath: "/nonexistent-kino-dir/out.mp4")
        do {
            try MP4Encoder.encode(clip, to: url)
            Issue.record("encoding into a missing folder should fail")
        } catch let error as MediaError {
            guard case .toolFailed(let tool, _, let tail) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(tool == "ffmpeg")
            #expect(tail.contains("No such file or directory"), "stderr tail: \(tail)")
        }
    }

    @Test func missingFFmpegSaysHowToInstallIt() throws {
        #expect(throws: MediaError.toolNotFound(tool: "ffmpeg")) {
            try MediaTool.ffmpeg.locate(environment: ["PATH": "/nonexistent-kino-bin"])
        }
        #expect(throws: MediaError.toolNotFound(tool: "ffprobe")) {
            try MediaTool.ffprobe.locate(environment: ["KINO_FFPROBE": "/nonexistent/ffprobe", "PATH": "/usr/bin"])
        }
        let message = MediaError.toolNotFound(tool: "ffmpeg").description
        #expect(message.contains("apt-get install ffmpeg"))
        #expect(message.contains("scripts/setup.sh"))
    }

    @Test func rejectsBadSettings() throws {
        let clip = try TestClips.natural(width: 32, height: 32, frames: 2)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("never.mp4")
        #expect(throws: MediaError.self) { try MP4Encoder.encode(clip, to: url, options: MP4EncodeOptions(crf: 60)) }
        #expect(throws: MediaError.self) {
            try MP4Encoder.encode(clip, to: url, options: MP4EncodeOptions(preset: "fastest"))
        }
    }

    @Test func asyncEncodeRunsOffThePool() async throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        let url = scratch.file("async.mp4")
        try await MP4Encoder.encode(try TestClips.natural(width: 64, height: 48, frames: 4), to: url)
        let info = try await MediaProbe.probe(url, countFrames: true)
        #expect(info.frameCount == 4)
    }
}
