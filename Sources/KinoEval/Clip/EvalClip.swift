import KinoMedia

/// A clip as the detectors see it: float RGB in [0, 1], frame after frame, row after row, interleaved `R G B`.
public struct EvalClip: Sendable {
    public let width: Int
    public let height: Int
    public let frameCount: Int
    /// `frameCount * height * width * 3` values in [0, 1].
    public let rgb: [Float]

    public init(width: Int, height: Int, frameCount: Int, rgb: [Float]) throws {
        guard width > 0, height > 0, frameCount > 0, rgb.count == width * height * frameCount * 3 else {
            throw EvalError.invalidClip("expected \(frameCount)x\(height)x\(width)x3 values, got \(rgb.count)")
        }
        self.width = width
        self.height = height
        self.frameCount = frameCount
        self.rgb = rgb
    }

    /// The 8-bit frames of the media layer (what `kino generate` encodes), scaled to [0, 1].
    public init(_ frames: VideoFrames) throws {
        try self.init(width: frames.width, height: frames.height, frameCount: frames.frameCount,
                      rgb: frames.pixels.map { Float($0) / 255 })
    }

    /// Frames `range` of this clip (used to cut the ground-truth fixture, whose clips are stored back to back).
    public func frames(_ range: Range<Int>) throws -> EvalClip {
        guard range.lowerBound >= 0, range.upperBound <= frameCount, !range.isEmpty else {
            throw EvalError.invalidClip("frames \(range) are outside a clip of \(frameCount) frames")
        }
        let n = width * height * 3
        return try EvalClip(width: width, height: height, frameCount: range.count,
                            rgb: Array(rgb[range.lowerBound * n..<range.upperBound * n]))
    }

    @inline(__always) func index(_ t: Int, _ x: Int, _ y: Int) -> Int { ((t * height + y) * width + x) * 3 }

    @inline(__always) func pixel(_ t: Int, _ x: Int, _ y: Int) -> RGB {
        let i = index(t, x, y)
        return RGB(r: rgb[i], g: rgb[i + 1], b: rgb[i + 2])
    }
}

/// One colour, components in [0, 1].
public struct RGB: Sendable, Hashable {
    public var r: Float
    public var g: Float
    public var b: Float

    public init(r: Float, g: Float, b: Float) {
        self.r = r
        self.g = g
        self.b = b
    }

    /// Rec. 601 luma, as the world's noir and sketch styles compute it.
    public var luma: Float { 0.299 * r + 0.587 * g + 0.114 * b }
    /// HSV value.
    public var value: Float { max(r, g, b) }
    /// HSV saturation (0 for black).
    public var saturation: Float {
        let v = value
        return v <= 1e-4 ? 0 : (v - min(r, g, b)) / v
    }
    /// HSV hue in degrees [0, 360).
    public var hue: Float {
        let v = value, c = v - min(r, g, b)
        guard c > 1e-6 else { return 0 }
        var h: Float
        if v == r { h = (g - b) / c } else if v == g { h = (b - r) / c + 2 } else { h = (r - g) / c + 4 }
        h *= 60
        return h < 0 ? h + 360 : h
    }
    /// Largest channel difference to `o`.
    func distance(_ o: RGB) -> Float { max(abs(r - o.r), abs(g - o.g), abs(b - o.b)) }
}

public enum EvalError: Error, CustomStringConvertible {
    case invalidClip(String)
    case invalidPromptSet(String)
    case fixture(String)

    public var description: String {
        switch self {
        case .invalidClip(let m): return "invalid clip: \(m)"
        case .invalidPromptSet(let m): return "invalid eval prompt set: \(m)"
        case .fixture(let m): return "ground-truth fixture: \(m)"
        }
    }
}
