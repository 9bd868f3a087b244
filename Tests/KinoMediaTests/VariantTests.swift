import Foundation
import Testing
@testable import KinoMedia

/// The API's `thumbnail` and `spritesheet` variants.
@Suite struct VariantTests {
    @Test func exportWritesAllThreeVariants() throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        let clip = try TestClips.natural(width: 128, height: 80, frames: 30, fps: 16)
        let options = ExportOptions(width: 320, height: 200, thumbnailURL: scratch.file("thumb.webp"), spritesheetURL: scratch.file("sheet.jpg"),
                                    spritesheet: SpritesheetOptions(columns: 4, rows: 3, tileWidth: 64))
        let result = try VideoExporter.export(clip, to: scratch.file("video.mp4"), options: options)
        #expect(result.frameCount == 30)

        let thumb = try MediaProbe.probe(scratch.file("thumb.webp"))
        #expect(thumb.codecName == "webp")
        #expect(thumb.width == 320 && thumb.height == 200)

        let sheet = try MediaProbe.probe(scratch.file("sheet.jpg"))
        #expect(sheet.codecName == "mjpeg")
        #expect(sheet.width == 4 * 64 && sheet.height == 3 * 40)

        // The thumbnail is the middle frame of what went into the MP4 (watermark included).
        let prepared = try VideoExporter.prepare(clip, options: options)
        let decodedThumb = try MediaDecoder.decodeImage(at: scratch.file("thumb.webp"))
        let middle = try prepared.selecting(frames: [15])
        #expect(TestClips.lumaPSNR(middle, decodedThumb) > 30)
    }

    @Test func spritesheetTilesAreEvenlySpacedFrames() throws {
        // Frame f is flat grey level 10 * f; tile t must show frame evenlySpaced[t].
        var px = [UInt8]()
        for f in 0..<20 { px += [UInt8](repeating: UInt8(10 * f), count: 32 * 16 * 3) }
        let clip = try VideoFrames(width: 32, height: 16, frameRate: 8, pixels: px)
        let options = SpritesheetOptions(columns: 3, rows: 2, tileWidth: 16)
        let sheet = try StillEncoder.spritesheet(clip, options: options)
        #expect(sheet.width == 48 && sheet.height == 16)
        let indices = clip.evenlySpacedFrameIndices(count: 6)
        #expect(indices == [0, 4, 8, 11, 15, 19])
        for (t, f) in indices.enumerated() {
            let x = (t % 3) * 16 + 8, y = (t / 3) * 8 + 4
            #expect(sheet.pixels[(y * 48 + x) * 3] == UInt8(10 * f), "tile \(t)")
        }
    }

    @Test func shortClipLeavesUnusedTilesBlack() throws {
        let clip = try VideoFrames(width: 8, height: 8, frameRate: 8,
                                   pixels: [UInt8](repeating: 200, count: 2 * 8 * 8 * 3))
        let sheet = try StillEncoder.spritesheet(clip, options: SpritesheetOptions(columns: 2, rows: 2, tileWidth: 8))
        #expect(sheet.pixels[(4 * 16 + 4) * 3] == 200)       // tile 0
        #expect(sheet.pixels[(12 * 16 + 12) * 3] == 0)       // tile 3: no frame for it
    }

    @Test func thumbnailCanBeSmallerThanTheVideo() throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        let clip = try TestClips.natural(width: 200, height: 100, frames: 3)
        let url = scratch.file("small.webp")
        try StillEncoder.writeThumbnail(clip, to: url, frameIndex: 0, maxWidth: 100)
        let info = try MediaProbe.probe(url)
        #expect(info.width == 100 && info.height == 50)
    }
}
