import Foundation
@testable import KinoMedia

/// A fresh temporary folder per test, removed by `cleanup()`.
struct Scratch {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("kino-media-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    func cleanup() { try? FileManager.default.removeItem(at: url) }
}

enum TestClips {
    /// A smooth, textured, moving clip that looks like camera footage to an encoder: drifting soft colour
    /// waves, a fine diagonal texture that slides over time, a bright disc moving across, and low-amplitude
    /// value noise. Deterministic.
    static func natural(width: Int, height: Int, frames: Int, fps: Int = 16) throws -> VideoFrames {
        var px = [UInt8](repeating: 0, count: frames * width * height * 3)
        for f in 0..<frames {
            let t = Double(f)
            let discX = Double(width) * (0.2 + 0.6 * Double(f) / Double(max(1, frames - 1)))
            let discY = Double(height) * 0.5
            let radius = Double(min(width, height)) * 0.18
            for y in 0..<height {
                for x in 0..<width {
                    let fx = Double(x), fy = Double(y)
                    let wave = sin(0.045 * (fx + 1.5 * t)) * cos(0.06 * (fy - t))
                    let texture = sin(0.35 * fx + 0.22 * fy + 0.4 * t)
                    let grain = valueNoise(fx * 0.25 + t * 0.5, fy * 0.25)
                    let d = ((fx - discX) * (fx - discX) + (fy - discY) * (fy - discY)).squareRoot()
                    let disc = max(0, min(1, (radius - d) / 3))
                    let base = (f * height * width + y * width + x) * 3
                    for c in 0..<3 {
                        let phase = Double(c) * 2.1
                        var v = 120 + 55 * wave * cos(phase) + 35 * sin(0.02 * fx + phase + 0.05 * t)
                        v += 12 * texture + 14 * (grain - 0.5)
                        v = v * (1 - disc) + (230 - 20 * Double(c)) * disc
                        px[base + c] = UInt8(max(0, min(255, v.rounded())))
                    }
                }
            }
        }
        return try VideoFrames(width: width, height: height, frameRate: FrameRate(fps), pixels: px)
    }

    /// Smoothly interpolated hash noise in [0, 1].
    static func valueNoise(_ x: Double, _ y: Double) -> Double {
        let x0 = floor(x), y0 = floor(y)
        let sx = smooth(x - x0), sy = smooth(y - y0)
        func h(_ i: Double, _ j: Double) -> Double {
            var n = UInt64(bitPattern: Int64(i) &* 73_856_093 ^ Int64(j) &* 19_349_663)
            n = (n ^ (n >> 13)) &* 0x5bd1e995
            n ^= n >> 15
            return Double(n & 0xffff) / 65535
        }
        let top = h(x0, y0) * (1 - sx) + h(x0 + 1, y0) * sx
        let bottom = h(x0, y0 + 1) * (1 - sx) + h(x0 + 1, y0 + 1) * sx
        return top * (1 - sy) + bottom * sy
    }

    static func smooth(_ t: Double) -> Double { t * t * (3 - 2 * t) }

    /// Luma PSNR (BT.709 weights on the stored RGB values) between two clips of the same shape.
    static func lumaPSNR(_ a: VideoFrames, _ b: VideoFrames) -> Double {
        precondition(a.pixels.count == b.pixels.count)
        var sum = 0.0
        var n = 0
        var i = 0
        while i < a.pixels.count {
            func luma(_ p: [UInt8]) -> Double {
                0.2126 * Double(p[i]) + 0.7152 * Double(p[i + 1]) + 0.0722 * Double(p[i + 2])
            }
            let d = luma(a.pixels) - luma(b.pixels)
            sum += d * d
            n += 1
            i += 3
        }
        let mse = sum / Double(n)
        return mse == 0 ? .infinity : 10 * log10(255 * 255 / mse)
    }

    /// Runs ffmpeg with `arguments` (test fixtures only); throws on failure.
    static func ffmpeg(_ arguments: [String]) throws {
        _ = try ToolRunner.run(.ffmpeg, arguments: ["-hide_banner", "-nostdin", "-loglevel", "error", "-y"] + arguments,
                               timeoutSeconds: 60)
    }
}
