import Foundation
import Testing
@testable import KinoMedia

/// Fast checks on small frames, no encoding (robustness to H.264 and resizing is measured by
/// `kino bench watermark`, see docs/provenance.md).
@Suite struct InvisibleWatermarkTests {
    static let payload = WatermarkPayload(keySerial: 0xDEAD_BEEF, videoSerial: 12345)

    static func psnr(_ a: VideoFrames, _ b: VideoFrames) -> Double {
        var sum = 0.0
        for i in 0..<a.pixels.count {
            let d = Double(a.pixels[i]) - Double(b.pixels[i])
            sum += d * d
        }
        let mse = sum / Double(a.pixels.count)
        return mse == 0 ? .infinity : 10 * log10(255 * 255 / mse)
    }

    /// Pseudo-random RGB noise frames (a busy picture with no smooth structure).
    static func noise(width: Int, height: Int, frames: Int, seed: UInt64) throws -> VideoFrames {
        var rng = SplitMix64(seed: seed)
        let bytes = (0..<(width * height * 3 * frames)).map { _ in UInt8(truncatingIfNeeded: rng.next() >> 56) }
        return try VideoFrames(width: width, height: height, frameRate: 16, pixels: bytes)
    }

    @Test func roundTripRecoversThePayload() throws {
        var clip = try TestClips.natural(width: 256, height: 160, frames: 6)
        InvisibleWatermark.embed(&clip, payload: Self.payload)
        let found = try #require(InvisibleWatermark.detect(clip))
        #expect(found.payload == Self.payload)
        #expect(found.log10PValue < -6)
        #expect(found.pValue < InvisibleWatermark.pValueThreshold)
        #expect(found.frameCount == 6)
    }

    @Test func differentPayloadsDecodeDifferently() throws {
        let plain = try TestClips.natural(width: 256, height: 160, frames: 4)
        let other = WatermarkPayload(keySerial: 7, videoSerial: 0)
        var a = plain, b = plain
        InvisibleWatermark.embed(&a, payload: Self.payload)
        InvisibleWatermark.embed(&b, payload: other)
        #expect(a != b)
        let foundA = try #require(InvisibleWatermark.detect(a))
        let foundB = try #require(InvisibleWatermark.detect(b))
        #expect(foundA.payload == Self.payload)
        #expect(foundB.payload == other)
        #expect(foundA.payload != foundB.payload)
    }

    @Test func localPayloadIsFoundToo() throws {
        var clip = try TestClips.natural(width: 200, height: 200, frames: 3)
        InvisibleWatermark.embed(&clip, payload: .local)
        #expect(InvisibleWatermark.detect(clip)?.payload == .local)
    }

    @Test func unwatermarkedFramesGiveNil() throws {
        let clips = [
            try TestClips.natural(width: 256, height: 160, frames: 6),
            try Self.noise(width: 256, height: 160, frames: 3, seed: 1),
            try Self.noise(width: 160, height: 256, frames: 2, seed: 2),
            try VideoFrames(width: 256, height: 160, frameRate: 16,
                            pixels: [UInt8](repeating: 128, count: 256 * 160 * 3 * 2)),
        ]
        for clip in clips {
            let reading = InvisibleWatermark.read(clip)
            #expect(InvisibleWatermark.detect(clip) == nil, "false detection: \(reading)")
            #expect(reading.log10PValue > -6)
        }
    }

    @Test func framesTooSmallToReadGiveNil() throws {
        var clip = try TestClips.natural(width: 96, height: 64, frames: 2)
        InvisibleWatermark.embed(&clip, payload: Self.payload)
        #expect(InvisibleWatermark.detect(clip) == nil)
    }

    @Test func qualityStaysAbove40dB() throws {
        let plain = try TestClips.natural(width: 320, height: 180, frames: 3)
        var marked = plain
        InvisibleWatermark.embed(&marked, payload: Self.payload)
        let quality = Self.psnr(plain, marked)
        #expect(quality >= 40, "PSNR \(quality) dB")
        #expect(quality < 60, "the mark must change the pixels (PSNR \(quality) dB)")
    }

    @Test func survivesResizeAndFrameSubsets() throws {
        var clip = try TestClips.natural(width: 512, height: 320, frames: 4)
        InvisibleWatermark.embed(&clip, payload: Self.payload)
        let half = try Resizer.resize(clip, width: 256, height: 160)
        #expect(InvisibleWatermark.detect(half)?.payload == Self.payload)
        let oneFrame = try clip.selecting(frames: [2])
        #expect(InvisibleWatermark.detect(oneFrame)?.payload == Self.payload)
    }

    @Test func viterbiCorrectsFlippedBitsAndCRCCatchesChanges() {
        let message = WatermarkCode.message(for: Self.payload)
        let coded = WatermarkCode.encode(message)
        #expect(coded.count == WatermarkCode.codedBits)
        var soft = coded.map { Float($0 == 1 ? 1 : -1) }
        for i in stride(from: 0, to: soft.count, by: 9) { soft[i] = -soft[i] }  // 29 of 258 coded bits wrong
        #expect(WatermarkCode.decode(soft) == message)
        var changed = Array(message[0..<64])
        changed[10] ^= 1
        #expect(WatermarkCode.crc16(changed[...]) != Array(message[64...]))
        #expect(WatermarkCode.payload(from: message[0..<64]) == Self.payload)
    }

    @Test func pValueBoundIsConservativeAndMonotone() {
        #expect(WatermarkStatistics.logPValue(score: 0) == 0)
        #expect(WatermarkStatistics.logPValue(score: -5) == 0)
        #expect(WatermarkStatistics.logPValue(score: 5) == 0)  // 2^80 * e^-12.5 > 1
        let at12 = WatermarkStatistics.logPValue(score: 12)
        #expect(abs(at12 - (80 * log(2.0) - 72)) < 1e-9)
        #expect(WatermarkStatistics.logPValue(score: 13) < at12)
    }
}
