import Foundation

/// A frame rate as an exact fraction, so that duration = frames / rate holds without rounding.
public struct FrameRate: Sendable, Hashable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    public let numerator: Int
    public let denominator: Int

    /// `numerator / denominator` frames per second; both must be positive.
    public init(_ numerator: Int, _ denominator: Int = 1) {
        self.numerator = numerator
        self.denominator = denominator
    }

    public init(integerLiteral value: Int) {
        self.init(value, 1)
    }

    public var framesPerSecond: Double { Double(numerator) / Double(denominator) }

    /// The form ffmpeg takes for `-framerate` / `-r`: `"16/1"`.
    public var ffmpegValue: String { "\(numerator)/\(denominator)" }

    public var description: String {
        denominator == 1 ? "\(numerator)" : "\(numerator)/\(denominator)"
    }

    var isValid: Bool { numerator > 0 && denominator > 0 }

    /// The time at which frame `index` starts, in seconds.
    public func seconds(atFrame index: Int) -> Double {
        Double(index) * Double(denominator) / Double(numerator)
    }
}

/// A clip of 8-bit RGB frames, all the same size: the unit the media layer passes around.
///
/// Pixels are stored frame after frame, row after row, interleaved `R G B` (ffmpeg's `rgb24`), in the
/// sRGB / BT.709 transfer the VAE produces (no linearisation anywhere in the media layer).
public struct VideoFrames: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var frameRate: FrameRate
    /// `frameCount * height * width * 3` bytes.
    public var pixels: [UInt8]

    /// Wraps existing interleaved RGB bytes; `pixels.count` must be a whole number of `width x height` frames.
    public init(width: Int, height: Int, frameRate: FrameRate, pixels: [UInt8]) throws {
        guard width > 0, height > 0 else {
            throw MediaError.invalidArgument("frame size must be positive, got \(width)x\(height)")
        }
        guard frameRate.isValid else {
            throw MediaError.invalidArgument("frame rate must be positive, got \(frameRate)")
        }
        let frameBytes = width * height * 3
        guard pixels.count % frameBytes == 0 else {
            throw MediaError.invalidArgument(
                "\(pixels.count) bytes is not a whole number of \(width)x\(height) RGB frames")
        }
        self.width = width
        self.height = height
        self.frameRate = frameRate
        self.pixels = pixels
    }

    /// A clip of `frameCount` black frames.
    public init(width: Int, height: Int, frameRate: FrameRate, frameCount: Int) throws {
        try self.init(width: width, height: height, frameRate: frameRate,
                      pixels: [UInt8](repeating: 0, count: max(0, frameCount) * width * height * 3))
    }

    /// Converts what the VAE decoder returns: planar float RGB laid out `[3, F, H, W]`, values in [-1, 1].
    ///
    /// Each value `v` becomes `round(clamp((v + 1) / 2, 0, 1) * 255)`, rounding half away from zero, so
    /// -1 maps to 0, 1 maps to 255 and 0 maps to 128. Values outside [-1, 1] are clamped; NaN becomes 0.
    public init(planarRGB values: UnsafeBufferPointer<Float>, frameCount: Int, height: Int, width: Int,
                frameRate: FrameRate) throws {
        let plane = frameCount * height * width
        guard frameCount >= 0, values.count == 3 * plane else {
            throw MediaError.invalidArgument(
                "expected 3*\(frameCount)*\(height)*\(width) = \(3 * plane) floats laid out [3, F, H, W], "
                    + "got \(values.count)")
        }
        var bytes = [UInt8](repeating: 0, count: plane * 3)
        bytes.withUnsafeMutableBufferPointer { out in
            for c in 0..<3 {
                let base = c * plane
                for i in 0..<plane {
                    out[i * 3 + c] = Self.quantize(values[base + i])
                }
            }
        }
        try self.init(width: width, height: height, frameRate: frameRate, pixels: bytes)
    }

    /// Array convenience for `init(planarRGB:frameCount:height:width:frameRate:)`.
    public init(planarRGB values: [Float], frameCount: Int, height: Int, width: Int,
                frameRate: FrameRate) throws {
        self = try values.withUnsafeBufferPointer {
            try VideoFrames(planarRGB: $0, frameCount: frameCount, height: height, width: width,
                            frameRate: frameRate)
        }
    }

    /// Maps one value in [-1, 1] to a byte (see the initialiser for the exact rule).
    @inlinable
    public static func quantize(_ v: Float) -> UInt8 {
        let unit = (v + 1) * 0.5
        guard unit > 0 else { return 0 }  // also catches NaN
        guard unit < 1 else { return 255 }
        return UInt8((unit * 255).rounded(.toNearestOrAwayFromZero))
    }

    public var frameByteCount: Int { width * height * 3 }
    public var frameCount: Int { pixels.count / frameByteCount }
    /// frames / fps, exactly what the MP4 will last.
    public var durationSeconds: Double { frameRate.seconds(atFrame: frameCount) }

    /// Peak signal-to-noise ratio in dB against `other` (8-bit, over every byte of both; same size and length).
    public func psnr(to other: VideoFrames) -> Double {
        let squared = zip(pixels, other.pixels).reduce(0.0) { $0 + (Double($1.0) - Double($1.1)) * (Double($1.0) - Double($1.1)) }
        return 10 * log10(255 * 255 / max(squared / Double(max(1, pixels.count)), 1e-12))
    }

    /// The bytes of frame `index`.
    public func frame(_ index: Int) -> ArraySlice<UInt8> {
        pixels[index * frameByteCount..<(index + 1) * frameByteCount]
    }

    /// A new clip made of the given frames of this one, in that order.
    public func selecting(frames indices: [Int]) throws -> VideoFrames {
        var out = [UInt8]()
        out.reserveCapacity(indices.count * frameByteCount)
        for i in indices {
            guard i >= 0, i < frameCount else {
                throw MediaError.invalidArgument("frame \(i) out of range 0..<\(frameCount)")
            }
            out.append(contentsOf: frame(i))
        }
        return try VideoFrames(width: width, height: height, frameRate: frameRate, pixels: out)
    }

    /// `count` frame indices spread evenly over the clip (first and last included when count > 1).
    public func evenlySpacedFrameIndices(count: Int) -> [Int] {
        let n = min(count, frameCount)
        guard n > 0 else { return [] }
        guard n > 1 else { return [frameCount / 2] }
        return (0..<n).map { k in Int((Double(k) * Double(frameCount - 1) / Double(n - 1)).rounded()) }
    }
}
