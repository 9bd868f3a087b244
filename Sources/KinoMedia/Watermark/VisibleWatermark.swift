import Foundation

/// A rectangle of pixels, `x ..< x + width` by `y ..< y + height`.
public struct PixelRect: Sendable, Hashable, CustomStringConvertible {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x; self.y = y; self.width = width; self.height = height
    }

    public func contains(x px: Int, y py: Int) -> Bool {
        px >= x && px < x + width && py >= y && py < y + height
    }

    public var description: String { "\(width)x\(height)+\(x)+\(y)" }
}

/// The visible "Kino" mark drawn into every frame by Kino itself, from `PixelFont` (no system font).
///
/// The mark is the ▶ logo (optional) then `text`, white at `opacity` over a soft dark shadow so it reads on
/// bright and dark scenes alike. Its cap height is `relativeSize` of the frame's shorter side, in whole font
/// pixels (at least one screen pixel per font pixel). It sits `relativeMargin` of the shorter side in from
/// `corner`; with `.drifting` it glides slowly and smoothly around the frame instead, starting at `corner`.
/// Only pixels inside `region(frameIndex:...)` ever change.
///
/// Whether to draw it is the service's decision: pass `nil` instead of a watermark (see `ExportOptions`) only
/// for keys that hold the `watermark-free` scope.
public struct VisibleWatermark: Sendable, Hashable {
    public enum Corner: String, Sendable, Hashable, CaseIterable {
        case topLeft, topRight, bottomLeft, bottomRight
    }

    public enum Motion: Sendable, Hashable {
        /// Stays at its corner for the whole clip.
        case fixed
        /// Moves along a slow Lissajous path across the frame; one horizontal sweep takes `periodSeconds`.
        case drifting(periodSeconds: Double)

        /// Drifting at a calm default speed (one sweep every 12 s).
        public static let drifting = Motion.drifting(periodSeconds: 12)
    }

    public var text: String
    public var showsLogo: Bool
    public var corner: Corner
    /// 0 (invisible) ... 1 (opaque white text).
    public var opacity: Double
    /// Cap height as a fraction of the frame's shorter side.
    public var relativeSize: Double
    /// Distance from the edges as a fraction of the frame's shorter side.
    public var relativeMargin: Double
    public var motion: Motion

    public init(text: String = "Kino", showsLogo: Bool = true, corner: Corner = .bottomRight,
                opacity: Double = 0.7, relativeSize: Double = 0.035, relativeMargin: Double = 0.03,
                motion: Motion = .fixed) {
        self.text = text
        self.showsLogo = showsLogo
        self.corner = corner
        self.opacity = opacity
        self.relativeSize = relativeSize
        self.relativeMargin = relativeMargin
        self.motion = motion
    }

    /// The characters drawn, logo included.
    var line: [Character] {
        (showsLogo ? [PixelFont.logo, " "] : []) + Array(text)
    }

    /// Screen pixels per font pixel for a frame of this size.
    func scale(width: Int, height: Int) -> Int {
        let capRows = Double(PixelFont.glyphHeight - 1)
        return max(1, Int((relativeSize * Double(min(width, height)) / capRows).rounded()))
    }

    /// Size of the drawn block (text plus shadow) for a frame of this size.
    func markSize(width: Int, height: Int) -> (width: Int, height: Int, scale: Int, shadow: Int) {
        let s = scale(width: width, height: height)
        let shadow = max(1, s / 2)
        let columns = max(0, line.count * PixelFont.advance - 1)
        return (columns * s + shadow, PixelFont.glyphHeight * s + shadow, s, shadow)
    }

    /// Where the mark's top-left corner goes in frame `frameIndex` (may be partly outside tiny frames).
    func origin(frameIndex: Int, width: Int, height: Int, frameRate: FrameRate) -> (x: Int, y: Int) {
        let mark = markSize(width: width, height: height)
        let margin = max(1, Int((relativeMargin * Double(min(width, height))).rounded()))
        let minX = margin, minY = margin
        let maxX = max(minX, width - margin - mark.width), maxY = max(minY, height - margin - mark.height)
        let right = corner == .topRight || corner == .bottomRight
        let bottom = corner == .bottomLeft || corner == .bottomRight
        switch motion {
        case .fixed:
            return (right ? maxX : minX, bottom ? maxY : minY)
        case .drifting(let period):
            // u(t) = (1 - cos(2 pi (t / P + phase))) / 2 eases between 0 and 1; phase 0.5 starts at 1.
            let t = frameRate.seconds(atFrame: frameIndex)
            let p = max(period, 0.1)
            let ux = 0.5 - 0.5 * cos(2 * Double.pi * (t / p + (right ? 0.5 : 0)))
            let uy = 0.5 - 0.5 * cos(2 * Double.pi * (t / (p * 1.37) + (bottom ? 0.5 : 0)))
            return (minX + Int((ux * Double(maxX - minX)).rounded()),
                    minY + Int((uy * Double(maxY - minY)).rounded()))
        }
    }

    /// The pixels the mark may change in frame `frameIndex` of a `width x height` clip, clipped to the frame.
    public func region(frameIndex: Int, width: Int, height: Int, frameRate: FrameRate) -> PixelRect {
        let mark = markSize(width: width, height: height)
        let o = origin(frameIndex: frameIndex, width: width, height: height, frameRate: frameRate)
        let x0 = max(0, o.x), y0 = max(0, o.y)
        let x1 = min(width, o.x + mark.width), y1 = min(height, o.y + mark.height)
        return PixelRect(x: x0, y: y0, width: max(0, x1 - x0), height: max(0, y1 - y0))
    }

    /// Draws the mark into every frame of `frames`.
    public func apply(to frames: inout VideoFrames) {
        let alpha = Float(max(0, min(1, opacity)))
        guard alpha > 0, !line.isEmpty else { return }
        let (w, h) = (frames.width, frames.height)
        let mark = markSize(width: w, height: h)
        let coverage = rasterize(scale: mark.scale, shadow: mark.shadow, width: mark.width, height: mark.height)
        let rate = frames.frameRate
        let frameBytes = frames.frameByteCount
        let count = frames.frameCount
        frames.pixels.withUnsafeMutableBufferPointer { px in
            for f in 0..<count {
                let o = origin(frameIndex: f, width: w, height: h, frameRate: rate)
                for my in 0..<mark.height {
                    let y = o.y + my
                    guard y >= 0, y < h else { continue }
                    for mx in 0..<mark.width {
                        let x = o.x + mx
                        guard x >= 0, x < w else { continue }
                        let cell = coverage[my * mark.width + mx]
                        guard cell != 0 else { continue }
                        let base = f * frameBytes + (y * w + x) * 3
                        for c in 0..<3 {
                            var v = Float(px[base + c])
                            if cell == 2 { v *= 1 - alpha * 0.55 }        // shadow: darken toward black
                            if cell == 1 { v += (255 - v) * alpha }       // text: lighten toward white
                            px[base + c] = UInt8(max(0, min(255, v.rounded())))
                        }
                    }
                }
            }
        }
    }

    /// Per pixel of the mark block: 0 untouched, 1 text, 2 shadow (text wins where both).
    private func rasterize(scale s: Int, shadow: Int, width: Int, height: Int) -> [UInt8] {
        var cells = [UInt8](repeating: 0, count: width * height)
        for (i, c) in line.enumerated() {
            for row in 0..<PixelFont.glyphHeight {
                for col in 0..<PixelFont.glyphWidth where PixelFont.isLit(c, column: col, row: row) {
                    let x0 = (i * PixelFont.advance + col) * s, y0 = row * s
                    for dy in 0..<s {
                        for dx in 0..<s {
                            let shadowIndex = (y0 + dy + shadow) * width + x0 + dx + shadow
                            if cells[shadowIndex] == 0 { cells[shadowIndex] = 2 }
                            cells[(y0 + dy) * width + x0 + dx] = 1
                        }
                    }
                }
            }
        }
        return cells
    }
}
