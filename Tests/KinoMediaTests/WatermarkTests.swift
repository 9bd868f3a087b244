import Foundation
import Testing
@testable import KinoMedia

@Suite struct WatermarkTests {
    /// Indices (frame, x, y) of every pixel that differs between two clips of the same shape.
    static func changedPixels(_ a: VideoFrames, _ b: VideoFrames) -> [(f: Int, x: Int, y: Int)] {
        var out = [(f: Int, x: Int, y: Int)]()
        let frameBytes = a.frameByteCount
        for i in stride(from: 0, to: a.pixels.count, by: 3)
        where a.pixels[i] != b.pixels[i] || a.pixels[i + 1] != b.pixels[i + 1] || a.pixels[i + 2] != b.pixels[i + 2] {
            let f = i / frameBytes, p = (i % frameBytes) / 3
            out.append((f, p % a.width, p / a.width))
        }
        return out
    }

    @Test(arguments: VisibleWatermark.Corner.allCases)
    func staticMarkChangesOnlyItsRegion(corner: VisibleWatermark.Corner) throws {
        let clip = try TestClips.natural(width: 320, height: 180, frames: 3)
        let mark = VisibleWatermark(corner: corner)
        var marked = clip
        mark.apply(to: &marked)
        let changed = Self.changedPixels(clip, marked)
        #expect(changed.count > 100, "the mark must be visible")
        let region = mark.region(frameIndex: 0, width: 320, height: 180, frameRate: clip.frameRate)
        for p in changed {
            #expect(region.contains(x: p.x, y: p.y), "pixel \(p) outside \(region)")
        }
        // Region sits in the requested corner.
        let right = corner == .topRight || corner == .bottomRight
        let bottom = corner == .bottomLeft || corner == .bottomRight
        #expect((region.x + region.width / 2 > 160) == right)
        #expect((region.y + region.height / 2 > 90) == bottom)
        // The region is small: well under a tenth of the frame.
        #expect(region.width * region.height < 320 * 180 / 10)
    }

    @Test func driftingMarkMovesAndStaysInsideEachFramesRegion() throws {
        let clip = try TestClips.natural(width: 256, height: 144, frames: 48, fps: 16)
        let mark = VisibleWatermark(text: "@maker 42", corner: .topLeft, motion: .drifting(periodSeconds: 4))
        var marked = clip
        mark.apply(to: &marked)
        let changed = Self.changedPixels(clip, marked)
        var regions = Set<PixelRect>()
        for f in 0..<clip.frameCount {
            regions.insert(mark.region(frameIndex: f, width: 256, height: 144, frameRate: clip.frameRate))
        }
        for p in changed {
            let region = mark.region(frameIndex: p.f, width: 256, height: 144, frameRate: clip.frameRate)
            #expect(region.contains(x: p.x, y: p.y), "frame \(p.f) pixel \(p) outside \(region)")
        }
        #expect(regions.count > 10, "a drifting mark must move")
        let first = mark.region(frameIndex: 0, width: 256, height: 144, frameRate: clip.frameRate)
        let next = mark.region(frameIndex: 1, width: 256, height: 144, frameRate: clip.frameRate)
        #expect(abs(first.x - next.x) <= 3 && abs(first.y - next.y) <= 3, "drift must be slow")
        #expect(first.x < 20 && first.y < 20, "drift starts at the chosen corner")
    }

    @Test func markScalesWithFrameAndFitsTinyFrames() throws {
        let mark = VisibleWatermark()
        let small = mark.region(frameIndex: 0, width: 720, height: 1280, frameRate: 16)
        let large = mark.region(frameIndex: 0, width: 1080, height: 1920, frameRate: 16)
        #expect(large.height > small.height)
        var tiny = try VideoFrames(width: 24, height: 16, frameRate: 8, frameCount: 1)
        mark.apply(to: &tiny)  // must not crash; clipped to the frame
        let region = mark.region(frameIndex: 0, width: 24, height: 16, frameRate: 8)
        #expect(region.x >= 0 && region.y >= 0 && region.x + region.width <= 24 && region.y + region.height <= 16)
    }

    @Test func opacityControlsStrength() throws {
        let grey = try VideoFrames(width: 200, height: 120, frameRate: 8,
                                   pixels: [UInt8](repeating: 100, count: 200 * 120 * 3))
        func brightest(_ opacity: Double) -> UInt8 {
            var frames = grey
            VisibleWatermark(opacity: opacity).apply(to: &frames)
            return frames.pixels.max() ?? 0
        }
        #expect(brightest(1) == 255)
        #expect(brightest(0.5) < brightest(1))
        #expect(brightest(0.5) > 100)
        #expect(brightest(0) == 100)
    }

    @Test func exporterWithoutWatermarkLeavesFramesAlone() throws {
        let clip = try TestClips.natural(width: 64, height: 48, frames: 2)
        let off = try VideoExporter.prepare(clip, options: ExportOptions(watermark: nil))
        #expect(off == clip)
        let on = try VideoExporter.prepare(clip, options: ExportOptions())
        #expect(on != clip)
    }

    @Test func textIsDrawnFromTheBuiltInFont() throws {
        // "I" alone: its glyph's lit cells are exactly the bright pixels of an opaque, unshadowed-looking mark.
        let black = try VideoFrames(width: 100, height: 100, frameRate: 1, frameCount: 1)
        var frames = black
        let mark = VisibleWatermark(text: "I", showsLogo: false, corner: .topLeft, opacity: 1, relativeSize: 0.07)
        mark.apply(to: &frames)
        let s = mark.scale(width: 100, height: 100)
        let origin = mark.origin(frameIndex: 0, width: 100, height: 100, frameRate: 1)
        for row in 0..<PixelFont.glyphHeight {
            for col in 0..<PixelFont.glyphWidth {
                let x = origin.x + col * s, y = origin.y + row * s
                let lit = frames.pixels[(y * 100 + x) * 3] == 255
                #expect(lit == PixelFont.isLit("I", column: col, row: row), "cell \(col),\(row)")
            }
        }
    }

    @Test func fontCoversLettersDigitsAndPunctuation() {
        let required = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 .,:;!?'\"-_()[]/@#&+*=%"
        for c in required {
            #expect(PixelFont.covers(c), "missing glyph \(c)")
        }
        for (c, text) in PixelFont.rawSource {
            let rows = text.split(separator: " ")
            #expect(rows.count == PixelFont.glyphHeight, "glyph \(c)")
            #expect(rows.allSatisfy { $0.count == PixelFont.glyphWidth && $0.allSatisfy { "#.".contains($0) } },
                    "glyph \(c)")
            if c != " " { #expect(text.contains("#"), "glyph \(c) is blank") }
        }
        // Distinct glyphs for distinct characters (catches copy-paste slips).
        let shapes = PixelFont.rawSource.filter { $0.key != " " }.map(\.value)
        #expect(Set(shapes).count == shapes.count)
        #expect(PixelFont.rows(for: "€") == PixelFont.rows(for: "?"))
    }
}
