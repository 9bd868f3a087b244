import Foundation
import Testing
@testable import KinoMedia

/// Inputs for image-to-video, remix and extend: good files decode, bad ones give a clear `MediaError`.
@Suite struct DecoderTests {
    /// Writes a small test picture / video of each accepted kind with ffmpeg's own test source.
    static func makeInputs(in scratch: Scratch) throws -> [String: URL] {
        var urls = [String: URL]()
        let still = ["-f", "lavfi", "-i", "testsrc2=size=96x64", "-frames:v", "1"]
        for (name, extra) in [("png", [String]()), ("jpg", ["-q:v", "3"]), ("webp", ["-c:v", "libwebp"])] {
            let url = scratch.file("in.\(name)")
            try TestClips.ffmpeg(still + extra + [url.path])
            urls[name] = url
        }
        let moving = ["-f", "lavfi", "-i", "testsrc2=size=96x64:rate=12:duration=1"]
        for (name, extra) in [
            ("mp4", ["-c:v", "libx264", "-pix_fmt", "yuv420p"]),
            ("mov", ["-c:v", "libx264", "-pix_fmt", "yuv420p"]),
            ("webm", ["-c:v", "libvpx-vp9", "-b:v", "300k", "-deadline", "realtime", "-cpu-used", "8"]),
        ] {
            let url = scratch.file("in.\(name)")
            try TestClips.ffmpeg(moving + extra + [url.path])
            urls[name] = url
        }
        return urls
    }

    static func expectMediaError(_ body: () throws -> Void, matching: (MediaError) -> Bool,
                                 sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try body()
            Issue.record("expected a MediaError", sourceLocation: sourceLocation)
        } catch let error as MediaError {
            #expect(matching(error), "got \(error)", sourceLocation: sourceLocation)
            #expect(!error.description.isEmpty, sourceLocation: sourceLocation)
        } catch {
            Issue.record("expected a MediaError, got \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func acceptedFormatsDecode() throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        let inputs = try Self.makeInputs(in: scratch)
        for name in ["png", "jpg", "webp"] {
            let image = try MediaDecoder.decodeImage(at: try #require(inputs[name]))
            #expect(image.width == 96 && image.height == 64 && image.frameCount == 1, "\(name)")
        }
        for name in ["mp4", "mov", "webm"] {
            let video = try MediaDecoder.decodeVideo(at: try #require(inputs[name]))
            #expect(video.width == 96 && video.height == 64, "\(name)")
            #expect(video.frameCount == 12, "\(name)")
            #expect(video.frameRate == FrameRate(12), "\(name)")
        }
        // The lossless PNG decodes to the same pixels the MP4's first frame shows, within coding error.
        let png = try MediaDecoder.decodeImage(at: try #require(inputs["png"]))
        #expect(png.pixels.contains { $0 > 200 } && png.pixels.contains { $0 < 50 })
    }

    /// The upload check decodes every frame but keeps one: it agrees with a full decode on the count, the length
    /// and the frame it keeps, and refuses what a full decode refuses.
    @Test func checkVideoKeepsOneFrameAndAgreesWithAFullDecode() throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        let inputs = try Self.makeInputs(in: scratch)
        for name in ["mp4", "mov", "webm"] {
            let url = try #require(inputs[name])
            let full = try MediaDecoder.decodeVideo(at: url)
            let checked = try MediaDecoder.checkVideo(at: url, stillAt: 0.5)
            #expect(checked.frameCount == full.frameCount && checked.durationSeconds == full.durationSeconds, "\(name)")
            #expect(checked.still.frameCount == 1 && checked.still.width == 96, "\(name)")
            #expect(checked.still.pixels == Array(full.frame(full.frameCount / 2)), "\(name): the middle frame")
            #expect(try MediaDecoder.checkVideo(at: url, stillAt: 0).still.pixels == Array(full.frame(0)), "\(name): the first frame")
        }
        let data = try Data(contentsOf: try #require(inputs["mp4"]))
        let cut = scratch.file("cut.mp4")
        try data.prefix(data.count / 2).write(to: cut)
        Self.expectMediaError({ _ = try MediaDecoder.checkVideo(at: cut) }) {
            if case .inputCorrupt = $0 { return true } else { return false }
        }
    }

    @Test func zeroByteInputIsRejected() throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        for name in ["empty.png", "empty.mp4"] {
            let url = scratch.file(name)
            try Data().write(to: url)
            Self.expectMediaError({ _ = try MediaDecoder.decodeImage(at: url) }) {
                if case .inputEmpty = $0 { return true } else { return false }
            }
            Self.expectMediaError({ _ = try MediaDecoder.decodeVideo(at: url) }) {
                if case .inputEmpty = $0 { return true } else { return false }
            }
        }
    }

    @Test func truncatedInputsAreRejected() throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        let inputs = try Self.makeInputs(in: scratch)
        for name in ["png", "jpg", "webp", "mp4", "mov", "webm"] {
            let data = try Data(contentsOf: try #require(inputs[name]))
            let cut = scratch.file("cut.\(name)")
            try data.prefix(data.count / 2).write(to: cut)
            let isImage = ["png", "jpg", "webp"].contains(name)
            Self.expectMediaError({
                _ = isImage ? try MediaDecoder.decodeImage(at: cut) : try MediaDecoder.decodeVideo(at: cut)
            }) {
                if case .inputCorrupt = $0 { return true } else { return false }
            }
        }
    }

    @Test func corruptInputsAreRejected() throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        let inputs = try Self.makeInputs(in: scratch)
        // Random bytes with a picture's or a video's name.
        var generator = SplitMix64(seed: 7)
        let noise = Data((0..<20_000).map { _ in UInt8(truncatingIfNeeded: generator.next()) })
        let fakePNG = scratch.file("noise.png"), fakeMP4 = scratch.file("noise.mp4")
        try noise.write(to: fakePNG)
        try noise.write(to: fakeMP4)
        Self.expectMediaError({ _ = try MediaDecoder.decodeImage(at: fakePNG) }) {
            if case .inputCorrupt = $0 { return true } else { return false }
        }
        Self.expectMediaError({ _ = try MediaDecoder.decodeVideo(at: fakeMP4) }) {
            if case .inputCorrupt = $0 { return true } else { return false }
        }
        // A real MP4 with its middle overwritten by garbage.
        var damaged = try Data(contentsOf: try #require(inputs["mp4"]))
        let start = damaged.count / 3
        for i in start..<min(damaged.count, start + 4000) { damaged[i] = UInt8(truncatingIfNeeded: generator.next()) }
        let broken = scratch.file("broken.mp4")
        try damaged.write(to: broken)
        Self.expectMediaError({ _ = try MediaDecoder.decodeVideo(at: broken) }) {
            if case .inputCorrupt = $0 { return true } else { return false }
        }
    }

    @Test func oversizedInputsAreRejected() throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        let inputs = try Self.makeInputs(in: scratch)
        let png = try #require(inputs["png"]), mp4 = try #require(inputs["mp4"])
        Self.expectMediaError({ _ = try MediaDecoder.decodeImage(at: png, limits: DecodeLimits(maxBytes: 1000)) }) {
            if case .inputTooLarge(_, _, 1000) = $0 { return true } else { return false }
        }
        Self.expectMediaError({ _ = try MediaDecoder.decodeImage(at: png, limits: DecodeLimits(maxPixels: 96 * 63)) }) {
            if case .inputDimensionsTooLarge(_, 96, 64, _) = $0 { return true } else { return false }
        }
        Self.expectMediaError({ _ = try MediaDecoder.decodeVideo(at: mp4, limits: DecodeLimits(maxSide: 80)) }) {
            if case .inputDimensionsTooLarge = $0 { return true } else { return false }
        }
        Self.expectMediaError({ _ = try MediaDecoder.decodeVideo(at: mp4, limits: DecodeLimits(maxSeconds: 0.5)) }) {
            if case .inputTooLong = $0 { return true } else { return false }
        }
        // A huge picture in a tiny file (decompression bomb): refused from its header, before decoding.
        let bomb = scratch.file("bomb.png")
        try TestClips.ffmpeg(["-f", "lavfi", "-i", "color=black:size=8000x8000", "-frames:v", "1", bomb.path])
        Self.expectMediaError({ _ = try MediaDecoder.decodeImage(at: bomb) }) {
            if case .inputDimensionsTooLarge(_, 8000, 8000, _) = $0 { return true } else { return false }
        }
    }

    @Test func unsupportedInputsAreRejected() throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        let inputs = try Self.makeInputs(in: scratch)
        // A video handed in as a picture, and a picture handed in as a video.
        Self.expectMediaError({ _ = try MediaDecoder.decodeImage(at: try #require(inputs["mp4"])) }) {
            if case .inputUnsupported = $0 { return true } else { return false }
        }
        Self.expectMediaError({ _ = try MediaDecoder.decodeVideo(at: try #require(inputs["png"])) }) {
            if case .inputUnsupported = $0 { return true } else { return false }
        }
        // A GIF (not accepted) and an audio-only file (no picture at all).
        let gif = scratch.file("in.gif"), wav = scratch.file("in.wav")
        try TestClips.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=32x32", "-frames:v", "1", gif.path])
        try TestClips.ffmpeg(["-f", "lavfi", "-i", "sine=duration=0.2", wav.path])
        Self.expectMediaError({ _ = try MediaDecoder.decodeImage(at: gif) }) {
            if case .inputUnsupported = $0 { return true } else { return false }
        }
        Self.expectMediaError({ _ = try MediaDecoder.decodeVideo(at: wav) }) {
            if case .inputUnsupported = $0 { return true } else { return false }
        }
        // Plain text, and a path that does not exist.
        let text = scratch.file("notes.png")
        try Data("not a picture at all".utf8).write(to: text)
        Self.expectMediaError({ _ = try MediaDecoder.decodeImage(at: text) }) {
            if case .inputCorrupt = $0 { return true } else { return false }
        }
        Self.expectMediaError({ _ = try MediaDecoder.decodeImage(at: scratch.file("missing.png")) }) {
            if case .inputUnreadable = $0 { return true } else { return false }
        }
    }

    @Test func hangingToolIsStoppedByTheTimeout() throws {
        // ffmpeg reading an endless test source would run forever; the runner must kill it and say so.
        #expect(throws: MediaError.toolTimedOut(tool: "ffmpeg", seconds: 1)) {
            _ = try ToolRunner.run(.ffmpeg, arguments: [
                "-hide_banner", "-nostdin", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "testsrc2=size=32x32",
                "-f", "null", "-",
            ], timeoutSeconds: 1)
        }
    }

    @Test func outputCapStopsRunawayDecodes() throws {
        #expect(throws: MediaError.toolOutputTooLarge(tool: "ffmpeg", limitBytes: 10_000)) {
            _ = try ToolRunner.run(.ffmpeg, arguments: [
                "-hide_banner", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=64x64",
                "-frames:v", "50", "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1",
            ], timeoutSeconds: 30, stdoutLimit: 10_000)
        }
    }
}
