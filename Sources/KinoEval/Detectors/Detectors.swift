import Foundation

/// The procedural detectors of `kino eval`. Each reads a clip (and its foreground analysis) and answers one
/// question about what it shows; they are tuned on ground-truth clips rendered by training/world, never on model
/// output (see docs/eval.md and Tests/KinoEvalTests).
public enum Detectors {
    // MARK: colour

    /// Dominant colour of the objects: every bright object pixel votes for the nearest palette hue when saturated,
    /// for white when pale; nil when no object pixel votes.
    public static func colour(_ clip: EvalClip, _ fg: Foreground) -> ObjectColour? {
        let chromatic = ObjectColour.allCases.filter { $0 != .white }
        let hues = chromatic.map { $0.reference.hue }
        var votes = [ObjectColour: Int]()
        for t in 0..<clip.frameCount {
            for p in fg.objectPixels(frame: t) {
                let c = clip.pixel(t, p % clip.width, p / clip.width)
                if c.saturation >= 0.35 && c.value >= 0.35 {
                    var best = 0, bestD: Float = .infinity
                    for (k, h) in hues.enumerated() {
                        let d = min(abs(c.hue - h), 360 - abs(c.hue - h))
                        if d < bestD { bestD = d; best = k }
                    }
                    votes[chromatic[best], default: 0] += 1
                } else if c.saturation < 0.2 && c.value >= 0.7 {
                    votes[.white, default: 0] += 1
                }
            }
        }
        return votes.max { a, b in a.value != b.value ? a.value < b.value : a.key.rawValue > b.key.rawValue }?.key
    }

    // MARK: motion direction

    /// Direction of travel of the objects' centroid from the start of the clip to its end (means of the first
    /// and last sixteenth of the frames that show an object); `none` when it moved less than 15% of the frame
    /// (spinning, growing, a full orbit), nil when no frame shows an object.
    public static func direction(_ fg: Foreground) -> Direction? {
        let track = (0..<fg.objects.count).compactMap { fg.centroid(frame: $0) }
        guard !track.isEmpty else { return nil }
        let k = max(1, track.count / 16)
        func mean(_ s: ArraySlice<(x: Double, y: Double)>) -> (x: Double, y: Double) {
            (s.reduce(0) { $0 + $1.x } / Double(s.count), s.reduce(0) { $0 + $1.y } / Double(s.count))
        }
        let a = mean(track.prefix(k)), b = mean(track.suffix(k))
        let dx = (b.x - a.x) / Double(fg.width), dy = (b.y - a.y) / Double(fg.height)
        guard max(abs(dx), abs(dy)) >= 0.15 else { return Direction.none }
        if abs(dx) >= abs(dy) { return dx > 0 ? .right : .left }
        return dy > 0 ? .down : .up
    }

    // MARK: object count

    /// Median over frames of the number of object regions.
    public static func count(_ fg: Foreground) -> Int {
        let counts = fg.objects.map(\.count).sorted()
        return counts.isEmpty ? 0 : counts[counts.count / 2]
    }

    // MARK: scene

    /// Mean background colour of the top and bottom fifth of the frame for each scene, from the world's palettes
    /// (training/world/render.py `background`: row medians of the plain scene averaged over 20 layouts).
    static let scenePrototypes: [(SceneClass, RGB, RGB)] = [
        (.sky, RGB(r: 0.287, g: 0.530, b: 0.955), RGB(r: 0.608, g: 0.786, b: 0.995)),
        (.night, RGB(r: 0.028, g: 0.038, b: 0.137), RGB(r: 0.092, g: 0.110, b: 0.281)),
        (.sea, RGB(r: 0.507, g: 0.734, b: 1.000), RGB(r: 0.000, g: 0.181, b: 0.420)),
        (.grass, RGB(r: 0.469, g: 0.721, b: 1.000), RGB(r: 0.144, g: 0.481, b: 0.093)),
        (.snow, RGB(r: 0.750, g: 0.803, b: 0.891), RGB(r: 0.872, g: 0.913, b: 0.984)),
    ]

    /// Scene whose palette is nearest the background model's top and bottom bands.
    public static func scene(_ fg: Foreground) -> SceneClass {
        let h = fg.background.count
        func band(_ r: Range<Int>) -> RGB {
            var s = RGB(r: 0, g: 0, b: 0)
            for y in r { s.r += fg.background[y].r; s.g += fg.background[y].g; s.b += fg.background[y].b }
            let k = Float(max(1, r.count))
            return RGB(r: s.r / k, g: s.g / k, b: s.b / k)
        }
        let top = band(0..<max(1, h / 5)), bottom = band(h - max(1, h / 5)..<h)
        func d2(_ a: RGB, _ b: RGB) -> Float { (a.r - b.r) * (a.r - b.r) + (a.g - b.g) * (a.g - b.g) + (a.b - b.b) * (a.b - b.b) }
        return scenePrototypes.min { d2(top, $0.1) + d2(bottom, $0.2) < d2(top, $1.1) + d2(bottom, $1.2) }?.0 ?? .sky
    }

    // MARK: temporal consistency

    /// Mean absolute frame-to-frame change of background pixels (away from any object), in 8-bit levels.
    public static func flicker(_ clip: EvalClip, _ fg: Foreground) -> Double {
        guard clip.frameCount > 1 else { return 0 }
        let w = clip.width, n = w * clip.height
        var total = 0.0, samples = 0
        for t in 1..<clip.frameCount {
            var near = [Bool](repeating: false, count: n)
            for p in fg.objectPixels(frame: t) + fg.objectPixels(frame: t - 1) { near[p] = true }
            near = Morphology.dilate(Morphology.dilate(near, width: w, height: clip.height), width: w, height: clip.height)
            for p in 0..<n where !near[p] {
                let a = clip.pixel(t, p % w, p / w), b = clip.pixel(t - 1, p % w, p / w)
                total += Double(abs(a.r - b.r) + abs(a.g - b.g) + abs(a.b - b.b)) / 3
                samples += 1
            }
        }
        return samples == 0 ? 0 : 255 * total / Double(samples)
    }
}
