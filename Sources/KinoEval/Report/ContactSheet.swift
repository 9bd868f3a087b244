import Foundation
import KinoMedia

/// A grid of one frame per clip (the middle one), each numbered in a strip below it; the report's legend maps
/// numbers to prompts. `H` after the number marks a held-out composition, `S` a seen one.
public enum ContactSheet {
    public struct Tile: Sendable {
        public var clip: EvalClip
        public var label: String

        public init(clip: EvalClip, label: String) {
            self.clip = clip
            self.label = label
        }
    }

    public static func make(_ tiles: [Tile], columns: Int = 12) throws -> VideoFrames {
        guard let first = tiles.first else { throw EvalError.invalidClip("no clips for the contact sheet") }
        let tw = first.clip.width, th = first.clip.height, strip = PixelFont.glyphHeight + 2
        let cols = max(1, min(columns, tiles.count)), rows = (tiles.count + cols - 1) / cols
        let sw = cols * tw, sh = rows * (th + strip)
        var pixels = [UInt8](repeating: 24, count: sw * sh * 3)
        for (k, tile) in tiles.enumerated() {
            guard tile.clip.width == tw, tile.clip.height == th else {
                throw EvalError.invalidClip("contact sheet clips must share one size, got \(tile.clip.width)x\(tile.clip.height)")
            }
            let ox = (k % cols) * tw, oy = (k / cols) * (th + strip)
            let t = tile.clip.frameCount / 2
            for y in 0..<th {
                for x in 0..<tw {
                    let c = tile.clip.pixel(t, x, y)
                    let o = ((oy + y) * sw + ox + x) * 3
                    pixels[o] = VideoFrames.quantize(c.r * 2 - 1)
                    pixels[o + 1] = VideoFrames.quantize(c.g * 2 - 1)
                    pixels[o + 2] = VideoFrames.quantize(c.b * 2 - 1)
                }
            }
            for (i, ch) in tile.label.enumerated() {
                for gy in 0..<PixelFont.glyphHeight {
                    for gx in 0..<PixelFont.glyphWidth where PixelFont.isLit(ch, column: gx, row: gy) {
                        let x = ox + 2 + i * PixelFont.advance + gx, y = oy + th + 1 + gy
                        guard x < ox + tw else { continue }
                        let o = (y * sw + x) * 3
                        pixels[o] = 240; pixels[o + 1] = 240; pixels[o + 2] = 240
                    }
                }
            }
        }
        return try VideoFrames(width: sw, height: sh, frameRate: 1, pixels: pixels)
    }

    /// Writes the sheet as a JPEG (KinoMedia's still encoder, ffmpeg). Blocking.
    public static func writeJPEG(_ sheet: VideoFrames, to url: URL) throws {
        try StillEncoder.writeSpritesheet(sheet, to: url, options: SpritesheetOptions(columns: 1, rows: 1,
                                                                                       tileWidth: sheet.width, jpegQScale: 2))
    }
}
