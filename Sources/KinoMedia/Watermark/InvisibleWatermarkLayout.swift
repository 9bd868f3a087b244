import Foundation

/// Where the invisible watermark lives in a frame: a grid of `columns x rows` cells laid over the picture
/// *relative to its size* (cell edges at `i * width / columns`), so a resized copy still lines up with it.
///
/// Every cell carries one chip: a secret ±1 sign times one of the 258 coded bits. Which coded bit a cell carries
/// and its sign come from a fixed secret seed (SplitMix64, then a Fisher-Yates shuffle), so each coded bit is
/// spread over about 63 cells scattered across the whole frame. The pattern is the same in every frame, so any
/// run of decoded frames adds up.
struct WatermarkLayout: Sendable {
    static let columns = 128
    static let rows = 128
    static var cellCount: Int { columns * rows }

    /// ±1 per cell, row-major.
    let chips: [Float]
    /// The coded bit each cell carries, row-major.
    let assignment: [Int32]

    static let standard = WatermarkLayout(secret: InvisibleWatermark.secretSeed)

    init(secret: UInt64) {
        var rng = SplitMix64(seed: secret)
        let n = Self.cellCount
        var order = Array(0..<n)
        for i in stride(from: n - 1, to: 0, by: -1) {
            let j = Int(rng.next() % UInt64(i + 1))
            order.swapAt(i, j)
        }
        var assignment = [Int32](repeating: 0, count: n)
        for (k, cell) in order.enumerated() { assignment[cell] = Int32(k % WatermarkCode.codedBits) }
        self.assignment = assignment
        chips = (0..<n).map { _ in rng.next() >> 63 == 0 ? -1 : 1 }
    }

    /// The cell values (±1) that carry `coded` (258 bits, 0/1).
    func pattern(coded: [UInt8]) -> [Float] {
        (0..<Self.cellCount).map { j in chips[j] * (coded[Int(assignment[j])] == 1 ? 1 : -1) }
    }

    /// The cell pattern interpolated bilinearly to `width x height` (cell centres at `(i + 0.5) * width / columns`),
    /// row-major, values in [-1, 1].
    static func upsample(_ cells: [Float], width: Int, height: Int) -> [Float] {
        let xs = taps(count: width, cells: columns)
        let ys = taps(count: height, cells: rows)
        // Horizontal pass: rows x width.
        var horizontal = [Float](repeating: 0, count: rows * width)
        for r in 0..<rows {
            for x in 0..<width {
                let t = xs[x]
                horizontal[r * width + x] = cells[r * columns + t.lo] * (1 - t.frac) + cells[r * columns + t.hi] * t.frac
            }
        }
        var out = [Float](repeating: 0, count: width * height)
        for y in 0..<height {
            let t = ys[y]
            for x in 0..<width {
                out[y * width + x] = horizontal[t.lo * width + x] * (1 - t.frac) + horizontal[t.hi * width + x] * t.frac
            }
        }
        return out
    }

    /// For each of `count` pixels, the two cells it interpolates between and the weight of the second.
    private static func taps(count: Int, cells: Int) -> [(lo: Int, hi: Int, frac: Float)] {
        (0..<count).map { i in
            let u = (Double(i) + 0.5) * Double(cells) / Double(count) - 0.5
            guard u > 0 else { return (0, 0, 0) }
            let lo = min(cells - 1, Int(u.rounded(.down)))
            return (lo, min(cells - 1, lo + 1), Float(u - Double(lo)))
        }
    }

    /// The cell each of `count` pixels falls in (pixel centre inside the cell).
    static func cellIndex(count: Int, cells: Int) -> [Int] {
        (0..<count).map { i in min(cells - 1, (2 * i + 1) * cells / (2 * count)) }
    }

    /// Evidence per cell, summed over all frames: each frame's luma averaged over the cells, minus its 3x3 cell
    /// neighbourhood mean (removes the picture's smooth content), divided by the local variance of that residual
    /// plus one (busy areas, where the picture itself dominates, count less). Frames are processed in parallel
    /// on GCD threads. Requires at least `columns x rows` pixels per frame.
    static func evidence(_ frames: VideoFrames) -> [Float] {
        let n = cellCount
        let count = frames.frameCount
        let groups = max(1, min(count, ProcessInfo.processInfo.activeProcessorCount))
        var partial = [Float](repeating: 0, count: groups * n)
        let cx = cellIndex(count: frames.width, cells: columns)
        let cy = cellIndex(count: frames.height, cells: rows)
        var cellPixels = [Float](repeating: 0, count: n)
        for y in 0..<frames.height { for x in 0..<frames.width { cellPixels[cy[y] * columns + cx[x]] += 1 } }
        let pixelsPerCell = cellPixels
        frames.pixels.withUnsafeBufferPointer { src in
            partial.withUnsafeMutableBufferPointer { dst in
                let srcBase = UnsafeSendable(src.baseAddress), dstBase = UnsafeSendable(dst.baseAddress)
                DispatchQueue.concurrentPerform(iterations: groups) { g in
                    guard let s = srcBase.value, let d = dstBase.value else { return }
                    var means = [Float](repeating: 0, count: n)
                    var f = g
                    while f < count {
                        for i in 0..<n { means[i] = 0 }
                        let frame = s + f * frames.frameByteCount
                        for y in 0..<frames.height {
                            let row = frame + y * frames.width * 3
                            let base = cy[y] * columns
                            for x in 0..<frames.width {
                                let p = row + x * 3
                                means[base + cx[x]] += 0.2126 * Float(p[0]) + 0.7152 * Float(p[1]) + 0.0722 * Float(p[2])
                            }
                        }
                        for i in 0..<n { means[i] /= max(1, pixelsPerCell[i]) }
                        let residual = highPass(means)
                        let variance = boxMean(residual.map { $0 * $0 }, radius: 2)
                        for i in 0..<n { d[g * n + i] += residual[i] / (variance[i] + 1) }
                        f += groups
                    }
                }
            }
        }
        var total = [Float](repeating: 0, count: n)
        for g in 0..<groups { for i in 0..<n { total[i] += partial[g * n + i] } }
        return total
    }

    /// `cells` minus its 3x3 neighbourhood mean (edges repeat the border cell).
    static func highPass(_ cells: [Float]) -> [Float] {
        let smooth = boxMean(cells, radius: 1)
        return (0..<cells.count).map { cells[$0] - smooth[$0] }
    }

    /// Mean over the (2r+1)^2 neighbourhood on the cell grid, clamping at the borders.
    static func boxMean(_ cells: [Float], radius: Int) -> [Float] {
        var out = [Float](repeating: 0, count: cells.count)
        let scale = 1 / Float((2 * radius + 1) * (2 * radius + 1))
        for r in 0..<rows {
            for c in 0..<columns {
                var acc: Float = 0
                for dr in -radius...radius {
                    let rr = min(rows - 1, max(0, r + dr)) * columns
                    for dc in -radius...radius { acc += cells[rr + min(columns - 1, max(0, c + dc))] }
                }
                out[r * columns + c] = acc * scale
            }
        }
        return out
    }
}

/// SplitMix64 (Steele, Lea and Flood): a tiny, well-mixed generator for the layout's secret signs (tests use it
/// too, as the explicit random source they pass in).
public struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
