import Foundation
import Testing
@testable import KinoMedia

@Suite struct FramesAndResizeTests {
    @Test func psnrIsOverEveryByte() throws {
        let a = try VideoFrames(width: 2, height: 1, frameRate: FrameRate(8), pixels: [UInt8](repeating: 100, count: 12))
        let b = try VideoFrames(width: 2, height: 1, frameRate: FrameRate(8), pixels: [UInt8](repeating: 100, count: 6) + [UInt8](repeating: 110, count: 6))
        // MSE 50: 10 log10(255^2 / 50) = 31.14 dB; identical frames hit the 1e-12 floor (168 dB).
        #expect(abs(a.psnr(to: b) - 31.1411) < 1e-3)
        #expect(a.psnr(to: a) > 160)
    }

    @Test func planarFloatsBecomeInterleavedBytes() throws {
        // [3, F=2, H=1, W=2]: channel-major planes.
        let values: [Float] = [
            -1, 0, 1, 2,            // R: f0 (x0, x1), f1 (x0, x1)
            -2, -0.5, 0.5, .nan,    // G
            0.999, -0.999, 0.0039, 0.0040,  // B
        ]
        let frames = try VideoFrames(planarRGB: values, frameCount: 2, height: 1, width: 2, frameRate: 16)
        #expect(frames.frameCount == 2)
        #expect(frames.pixels == [0, 0, 255, 128, 64, 0, 255, 191, 128, 255, 0, 128])
        #expect(throws: MediaError.self) {
            try VideoFrames(planarRGB: [0, 0, 0], frameCount: 2, height: 1, width: 2, frameRate: 16)
        }
    }

    @Test func durationIsFramesOverRate() throws {
        let frames = try VideoFrames(width: 4, height: 4, frameRate: FrameRate(30000, 1001), frameCount: 60)
        #expect(abs(frames.durationSeconds - 2.002) < 1e-9)
        #expect(frames.evenlySpacedFrameIndices(count: 4) == [0, 20, 39, 59])
        #expect(frames.evenlySpacedFrameIndices(count: 100).count == 60)
    }

    @Test func flatColourStaysFlat() throws {
        let flat = try VideoFrames(width: 40, height: 24, frameRate: 8,
                                   pixels: [UInt8]((0..<(40 * 24)).flatMap { _ in [UInt8(200), 50, 7] }))
        let up = try Resizer.resize(flat, width: 300, height: 500)
        #expect(up.width == 300 && up.height == 500)
        #expect(Set(stride(from: 0, to: up.pixels.count, by: 3).map { up.pixels[$0] }) == [200])
        let down = try Resizer.resize(flat, width: 7, height: 5)
        #expect(Set(down.pixels) == [200, 50, 7])
    }

    /// Left half red, right half blue, 160x80 into a square: crop to fill keeps the middle 80 columns, so
    /// the square is half red and half blue with no black anywhere; fit pads top and bottom with black.
    @Test func aspectPolicies() throws {
        var px = [UInt8]()
        for _ in 0..<80 { for x in 0..<160 { px += x < 80 ? [255, 0, 0] : [0, 0, 255] } }
        let wide = try VideoFrames(width: 160, height: 80, frameRate: 1, pixels: px)

        let filled = try Resizer.resize(wide, width: 100, height: 100, policy: .cropToFill)
        func pixel(_ f: VideoFrames, _ x: Int, _ y: Int) -> [UInt8] {
            let i = (y * f.width + x) * 3
            return Array(f.pixels[i..<i + 3])
        }
        #expect(pixel(filled, 5, 50) == [255, 0, 0])
        #expect(pixel(filled, 94, 50) == [0, 0, 255])
        #expect(pixel(filled, 5, 0) == [255, 0, 0], "no padding with cropToFill")

        let fitted = try Resizer.resize(wide, width: 100, height: 100, policy: .fit)
        #expect(pixel(fitted, 50, 2) == [0, 0, 0], "bars above")
        #expect(pixel(fitted, 50, 97) == [0, 0, 0], "bars below")
        #expect(pixel(fitted, 5, 50) == [255, 0, 0])
    }

    /// Lanczos keeps a smooth ramp smooth and monotone when enlarging 10x.
    @Test func upscaledRampIsMonotone() throws {
        var px = [UInt8]()
        for _ in 0..<8 { for x in 0..<16 { px += [UInt8(x * 16), 0, 0] } }
        let ramp = try VideoFrames(width: 16, height: 8, frameRate: 1, pixels: px)
        let big = try Resizer.resize(ramp, width: 160, height: 80, policy: .stretch)
        let row = (0..<160).map { big.pixels[(40 * 160 + $0) * 3] }
        for x in 1..<160 { #expect(row[x] >= row[x - 1], "x=\(x)") }
        #expect(row[0] <= 2 && row[159] >= 238)
    }

    @Test func rejectsBadSizes() throws {
        let clip = try VideoFrames(width: 4, height: 4, frameRate: 1, frameCount: 1)
        #expect(throws: MediaError.self) { try Resizer.resize(clip, width: 0, height: 10) }
        #expect(throws: MediaError.self) { try VideoExporter.prepare(clip, options: ExportOptions(width: 1280)) }
    }
}
