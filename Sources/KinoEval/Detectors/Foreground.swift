/// A connected foreground region of one frame.
public struct Blob: Sendable {
    /// Pixel indices `y * width + x` within the frame.
    public var pixels: [Int]
    public var minX: Int, maxX: Int, minY: Int, maxY: Int
    public var area: Int { pixels.count }

    func centroid(width: Int) -> (x: Double, y: Double) {
        var sx = 0, sy = 0
        for p in pixels { sx += p % width; sy += p / width }
        return (Double(sx) / Double(max(1, area)), Double(sy) / Double(max(1, area)))
    }
}

/// Foreground/background separation of a clip, the base of the colour, motion, count and flicker detectors.
///
/// Background model: the world's scenes are vertical gradients with small horizontal texture (grass stripes,
/// waves, drifts), and an object covers well under half of any row, so the per-row, per-channel median over all
/// frames and columns is the background colour of that row. A pixel is foreground when one of its channels
/// differs from its row's background by more than `threshold`. A 3x3 opening removes thin texture (wave crests,
/// stars), keeping the dark outline every object is drawn with; regions less than `mergeGap` pixels apart form
/// one object (a boat's sail and hull). Regions that stay in place for 80% of the clip and look like scenery
/// (sun, moon, clouds, snow drifts: see `looksLikeSceneFeature`) are not objects.
public struct Foreground: Sendable {
    public struct Settings: Sendable {
        public var threshold: Float = 0.2
        /// Smallest region kept, as a fraction of the frame area.
        public var minimumAreaFraction: Double = 0.004
        public var mergeGap = 4
        public init() {}
    }

    public let width: Int
    public let height: Int
    /// Background colour of each row.
    public let background: [RGB]
    /// Object regions per frame (scene features removed).
    public let objects: [[Blob]]
    /// Scene-feature regions found (sun, moon, clouds), per frame.
    public let sceneFeatures: [[Blob]]

    public init(_ clip: EvalClip, settings: Settings = Settings()) {
        let w = clip.width, h = clip.height, n = w * h, frames = clip.frameCount
        width = w
        height = h
        let bg = Foreground.rowMedians(clip)
        background = bg
        var masks = [[Bool]](repeating: [], count: frames)
        var always = [Int](repeating: 0, count: n)
        for t in 0..<frames {
            var m = [Bool](repeating: false, count: n), outline = m
            for y in 0..<h {
                for x in 0..<w {
                    let c = clip.pixel(t, x, y)
                    guard c.distance(bg[y]) > settings.threshold else { continue }
                    m[y * w + x] = true
                    outline[y * w + x] = c.luma < bg[y].luma - settings.threshold
                }
            }
            // the opening removes thin texture; objects' dark outlines (thin too) are put back, since they hold
            // together objects whose fill is close to the background (a green cube on grass)
            m = Morphology.open(m, width: w, height: h)
            for p in 0..<n where outline[p] { m[p] = true }
            for p in 0..<n where m[p] { always[p] += 1 }
            masks[t] = m
        }
        let minArea = max(4, Int(settings.minimumAreaFraction * Double(n)))
        let persistentFrames = max(1, Int((0.8 * Double(frames)).rounded(.up)))
        var objects: [[Blob]] = [], features: [[Blob]] = []
        for t in 0..<frames {
            let blobs = Morphology.groups(masks[t], width: w, height: h, gap: settings.mergeGap, minimumArea: minArea)
            var o: [Blob] = [], f: [Blob] = []
            for b in blobs {
                let persistent = b.pixels.reduce(0) { $0 + (always[$1] >= persistentFrames ? 1 : 0) }
                if Double(persistent) >= 0.7 * Double(b.area)
                    && Foreground.looksLikeSceneFeature(b, clip: clip, frame: t, background: bg) {
                    f.append(b)
                } else {
                    o.append(b)
                }
            }
            objects.append(o)
            features.append(f)
        }
        self.objects = objects
        sceneFeatures = features
    }

    /// Sun, moon, cloud or a static patch of scene texture: white-ish or sun yellow, and on a bright background
    /// without the dark outline every object is drawn with; on a dark (night) background, where outlines do not
    /// show, only a moon-sized region in the top 40% of the frame.
    static func looksLikeSceneFeature(_ b: Blob, clip: EvalClip, frame t: Int, background bg: [RGB]) -> Bool {
        let w = clip.width
        var dark = 0, sum = RGB(r: 0, g: 0, b: 0), bgLuma: Float = 0
        for p in b.pixels {
            let c = clip.pixel(t, p % w, p / w)
            if c.luma < bg[p / w].luma - 0.2 { dark += 1 }
            sum.r += c.r; sum.g += c.g; sum.b += c.b
            bgLuma += bg[p / w].luma
        }
        let k = Float(b.area)
        let mean = RGB(r: sum.r / k, g: sum.g / k, b: sum.b / k)
        guard mean.saturation < 0.3 || (35...70).contains(mean.hue) else { return false }
        if bgLuma / k > 0.35 { return Double(dark) < 0.03 * Double(b.area) }
        let moonArea = 1.5 * Double.pi * 8 * 8 * Double(clip.width * clip.height) / (128 * 80)
        return b.centroid(width: w).y < 0.4 * Double(clip.height) && Double(b.area) <= moonArea
    }

    /// Per-row, per-channel median over all frames and columns (256-bin histograms).
    static func rowMedians(_ clip: EvalClip) -> [RGB] {
        var rows: [RGB] = []
        let samples = clip.frameCount * clip.width
        for y in 0..<clip.height {
            var hist = [[Int]](repeating: [Int](repeating: 0, count: 256), count: 3)
            for t in 0..<clip.frameCount {
                for x in 0..<clip.width {
                    let i = clip.index(t, x, y)
                    for c in 0..<3 { hist[c][min(255, max(0, Int(clip.rgb[i + c] * 255 + 0.5)))] += 1 }
                }
            }
            var m = [Float](repeating: 0, count: 3)
            for c in 0..<3 {
                var acc = 0
                for v in 0..<256 {
                    acc += hist[c][v]
                    if 2 * acc >= samples { m[c] = Float(v) / 255; break }
                }
            }
            rows.append(RGB(r: m[0], g: m[1], b: m[2]))
        }
        return rows
    }

    /// All object pixels of frame t (indices within the frame).
    public func objectPixels(frame t: Int) -> [Int] { objects[t].flatMap(\.pixels) }

    /// Area-weighted centroid of the objects in frame t, nil when there are none.
    public func centroid(frame t: Int) -> (x: Double, y: Double)? {
        var sx = 0, sy = 0, n = 0
        for b in objects[t] {
            for p in b.pixels { sx += p % width; sy += p / width }
            n += b.area
        }
        return n == 0 ? nil : (Double(sx) / Double(n), Double(sy) / Double(n))
    }
}

/// Binary morphology and connected components on row-major masks.
enum Morphology {
    static func open(_ m: [Bool], width w: Int, height h: Int) -> [Bool] {
        dilate(erode(m, width: w, height: h), width: w, height: h)
    }

    static func erode(_ m: [Bool], width w: Int, height h: Int) -> [Bool] {
        var out = [Bool](repeating: false, count: m.count)
        for y in 1..<max(1, h - 1) {
            for x in 1..<max(1, w - 1) where m[y * w + x] {
                var all = true
                for dy in -1...1 where all { for dx in -1...1 where !m[(y + dy) * w + x + dx] { all = false; break } }
                out[y * w + x] = all
            }
        }
        return out
    }

    static func dilate(_ m: [Bool], width w: Int, height h: Int) -> [Bool] {
        var out = m
        for y in 0..<h {
            for x in 0..<w where m[y * w + x] {
                for dy in -1...1 where y + dy >= 0 && y + dy < h {
                    for dx in -1...1 where x + dx >= 0 && x + dx < w { out[(y + dy) * w + x + dx] = true }
                }
            }
        }
        return out
    }

    /// 8-connected regions of at least `minimumArea` pixels.
    static func components(_ m: [Bool], width w: Int, height h: Int, minimumArea: Int) -> [Blob] {
        var seen = [Bool](repeating: false, count: m.count)
        var blobs: [Blob] = []
        var stack: [Int] = []
        for start in 0..<m.count where m[start] && !seen[start] {
            seen[start] = true
            stack.append(start)
            var b = Blob(pixels: [], minX: w, maxX: 0, minY: h, maxY: 0)
            while let p = stack.popLast() {
                let x = p % w, y = p / w
                b.pixels.append(p)
                b.minX = min(b.minX, x); b.maxX = max(b.maxX, x); b.minY = min(b.minY, y); b.maxY = max(b.maxY, y)
                for dy in -1...1 {
                    let yy = y + dy
                    guard yy >= 0, yy < h else { continue }
                    for dx in -1...1 {
                        let xx = x + dx
                        guard xx >= 0, xx < w else { continue }
                        let q = yy * w + xx
                        if m[q] && !seen[q] { seen[q] = true; stack.append(q) }
                    }
                }
            }
            if b.area >= minimumArea { blobs.append(b) }
        }
        return blobs
    }

    /// Regions of `m` grouped when less than `gap` pixels apart (a boat's sail and hull), at least `minimumArea`
    /// pixels each: components of the mask dilated `gap / 2` times, restricted to the mask's own pixels.
    static func groups(_ m: [Bool], width w: Int, height h: Int, gap: Int, minimumArea: Int) -> [Blob] {
        var grown = m
        for _ in 0..<max(0, gap / 2) { grown = dilate(grown, width: w, height: h) }
        return components(grown, width: w, height: h, minimumArea: 1).compactMap { g in
            var b = Blob(pixels: [], minX: w, maxX: 0, minY: h, maxY: 0)
            for p in g.pixels where m[p] {
                b.pixels.append(p)
                b.minX = min(b.minX, p % w); b.maxX = max(b.maxX, p % w); b.minY = min(b.minY, p / w); b.maxY = max(b.maxY, p / w)
            }
            return b.area >= minimumArea ? b : nil
        }
    }
}
