import Foundation

/// How a clip is fitted to a size whose aspect ratio differs from its own.
public enum AspectPolicy: Sendable, Hashable {
    /// Scale until the target is covered, then cut the overflow equally from both sides (centre crop).
    /// Nothing is padded; some of the picture's edges are lost. The default: a generated 128x80 clip asked
    /// for as 720x1280 is scaled to 2048x1280 and its middle 720 columns kept.
    case cropToFill
    /// Scale until the whole picture fits, then pad the rest with black bars (letterbox / pillarbox).
    case fit
    /// Scale each axis on its own (distorts shapes; only for callers that know the aspects already match).
    case stretch
}

/// High-quality resampling of `VideoFrames` with a separable Lanczos-3 filter (widened when shrinking,
/// so downscaling does not alias). Works in the stored sRGB values, like most video tools.
public enum Resizer {
    /// Returns `frames` resized to `width x height` under `policy`. Returns the input unchanged when it
    /// already has that size. Frames are processed in parallel on GCD threads (not the Swift cooperative
    /// pool); the call blocks, so async callers should run it from a task that may block or via `offPool`.
    public static func resize(_ frames: VideoFrames, width: Int, height: Int,
                              policy: AspectPolicy = .cropToFill) throws -> VideoFrames {
        guard width > 0, height > 0, width <= 16384, height <= 16384 else {
            throw MediaError.invalidArgument("target size must be 1...16384 on each side, got \(width)x\(height)")
        }
        if frames.width == width && frames.height == height { return frames }
        let sw = Double(frames.width), sh = Double(frames.height)
        // Where the output lands inside the canvas, and which source window it shows.
        var inner = (x: 0, y: 0, w: width, h: height)
        var window = (x: 0.0, y: 0.0, w: sw, h: sh)
        switch policy {
        case .stretch:
            break
        case .cropToFill:
            let s = max(Double(width) / sw, Double(height) / sh)
            window.w = Double(width) / s
            window.h = Double(height) / s
            window.x = (sw - window.w) / 2
            window.y = (sh - window.h) / 2
        case .fit:
            let s = min(Double(width) / sw, Double(height) / sh)
            let w = min(width, max(1, Int((sw * s).rounded())))
            let h = min(height, max(1, Int((sh * s).rounded())))
            inner = ((width - w) / 2, (height - h) / 2, w, h)
        }
        let xTaps = FilterTaps(sourceCount: frames.width, start: window.x, span: window.w, outputCount: inner.w)
        let yTaps = FilterTaps(sourceCount: frames.height, start: window.y, span: window.h, outputCount: inner.h)

        let placed = inner
        let count = frames.frameCount
        let outFrameBytes = width * height * 3
        var out = [UInt8](repeating: 0, count: count * outFrameBytes)
        frames.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                let srcBase = UnsafeSendable(src.baseAddress)
                let dstBase = UnsafeSendable(dst.baseAddress)
                DispatchQueue.concurrentPerform(iterations: count) { f in
                    guard let s = srcBase.value, let d = dstBase.value else { return }
                    resampleFrame(
                        src: s + f * frames.frameByteCount, srcWidth: frames.width, srcHeight: frames.height,
                        dst: d + f * outFrameBytes, dstWidth: width, inner: placed, xTaps: xTaps, yTaps: yTaps)
                }
            }
        }
        return try VideoFrames(width: width, height: height, frameRate: frames.frameRate, pixels: out)
    }

    private static func resampleFrame(src: UnsafePointer<UInt8>, srcWidth: Int, srcHeight: Int,
                                      dst: UnsafeMutablePointer<UInt8>, dstWidth: Int,
                                      inner: (x: Int, y: Int, w: Int, h: Int),
                                      xTaps: FilterTaps, yTaps: FilterTaps) {
        // Horizontal pass: every source row -> inner.w columns, kept in Float. Vertical pass: each output row is
        // a weighted sum of whole tmp rows (inner loop over the row, so it vectorises), then rounded to bytes.
        let rowFloats = inner.w * 3
        var tmp = [Float](repeating: 0, count: srcHeight * rowFloats + rowFloats)
        xTaps.weights.withUnsafeBufferPointer { xw in
            yTaps.weights.withUnsafeBufferPointer { yw in
                tmp.withUnsafeMutableBufferPointer { buffer in
                    let t = buffer.baseAddress!, acc = t + srcHeight * rowFloats
                    for y in 0..<srcHeight {
                        let row = src + y * srcWidth * 3
                        let outRow = t + y * rowFloats  // [inner.w, 3]
                        for x in 0..<inner.w {
                            var r: Float = 0, g: Float = 0, b: Float = 0
                            let p0 = row + xTaps.first[x] * 3, w0 = xw.baseAddress! + x * xTaps.width
                            for k in 0..<xTaps.width {
                                let w = w0[k], p = p0 + k * 3
                                r += w * Float(p[0]); g += w * Float(p[1]); b += w * Float(p[2])
                            }
                            outRow[x * 3] = r; outRow[x * 3 + 1] = g; outRow[x * 3 + 2] = b
                        }
                    }
                    for y in 0..<inner.h {
                        let outRow = dst + ((inner.y + y) * dstWidth + inner.x) * 3
                        let first = yTaps.first[y], w0 = yw.baseAddress! + y * yTaps.width
                        acc.update(repeating: 0, count: rowFloats)
                        for k in 0..<yTaps.width {
                            let w = w0[k], source = t + (first + k) * rowFloats
                            for i in 0..<rowFloats { acc[i] += w * source[i] }
                        }
                        // Round half up after clamping (the values are non-negative there), without a libcall.
                        for i in 0..<rowFloats { outRow[i] = UInt8(truncatingIfNeeded: Int32(max(0, min(255, acc[i])) + 0.5)) }
                    }
                }
            }
        }
    }
}

/// Lanczos-3 weights for one axis: output sample `i` reads `width` source samples from `first[i]`.
struct FilterTaps: Sendable {
    let width: Int
    let first: [Int]
    let weights: [Float]

    static let lobes = 3.0

    /// Output samples cover source coordinates `start ..< start + span` (pixel centres at `i + 0.5`).
    init(sourceCount: Int, start: Double, span: Double, outputCount: Int) {
        let scale = Double(outputCount) / span          // output pixels per source pixel
        let stretch = max(1, 1 / scale)                 // widen the kernel when shrinking
        let radius = Self.lobes * stretch
        let width = min(sourceCount, Int(ceil(radius)) * 2 + 1)
        var first = [Int](repeating: 0, count: outputCount)
        var weights = [Float](repeating: 0, count: outputCount * width)
        for i in 0..<outputCount {
            let centre = start + (Double(i) + 0.5) / scale  // in source coordinates
            var lo = Int(floor(centre - 0.5 - Double(width - 1) / 2 + 0.5))
            lo = max(0, min(sourceCount - width, lo))
            first[i] = lo
            var taps = [Double](repeating: 0, count: width)
            var sum = 0.0
            for k in 0..<width {
                let distance = (Double(lo + k) + 0.5 - centre) / stretch
                let w = Self.lanczos(distance)
                taps[k] = w
                sum += w
            }
            for k in 0..<width {
                weights[i * width + k] = Float(sum != 0 ? taps[k] / sum : (k == 0 ? 1 : 0))
            }
        }
        self.width = width
        self.first = first
        self.weights = weights
    }

    static func lanczos(_ x: Double) -> Double {
        let ax = abs(x)
        if ax < 1e-9 { return 1 }
        if ax >= lobes { return 0 }
        let px = Double.pi * x
        return lobes * sin(px) * sin(px / lobes) / (px * px)
    }
}

/// Carries a raw pointer into a `concurrentPerform` body; each iteration touches a disjoint region.
struct UnsafeSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
