import Foundation
import Testing
@testable import KinoMedia

/// The in-process PNG writer previews use: ffmpeg (an independent reader) must decode exactly the pixels written.
struct PNGEncoderTests {
    @Test(arguments: [(7, 3), (200, 120)])  // the second needs two stored deflate blocks
    func ffmpegReadsBackTheSamePixels(width: Int, height: Int) throws {
        var state: UInt32 = 12345
        let rgb = (0..<(width * height * 3)).map { _ -> UInt8 in
            state = state &* 1_664_525 &+ 1_013_904_223
            return UInt8(state >> 24)
        }
        let png = try PNGEncoder.encode(width: width, height: height, rgb: rgb)
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("kino-png-\(UUID().uuidString).png")
        try Data(png).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let decoded = try MediaDecoder.decodeImage(at: file)
        #expect(decoded.width == width && decoded.height == height && decoded.pixels == rgb)
    }

    @Test func wrongSizesAreRefused() {
        #expect(throws: MediaError.self) { try PNGEncoder.encode(width: 2, height: 2, rgb: [0, 0, 0]) }
        #expect(throws: MediaError.self) { try PNGEncoder.encode(width: 0, height: 2, rgb: []) }
        #expect(PNGEncoder.crc32(Array("IEND".utf8)) == 0xAE42_6082, "the CRC every PNG's end chunk carries")
    }
}
