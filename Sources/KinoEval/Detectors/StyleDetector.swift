/// Style of a clip from whole-frame statistics, tested in this order:
/// - noir: grey everywhere (90th percentile of HSV saturation below 0.06);
/// - sketch: mostly warm, pale paper (over half the pixels bright, unsaturated and red >= blue);
/// - pixel art: blocky (horizontal and vertical colour steps concentrated on one phase of a 4-pixel grid);
/// - neon: dark and edge-dominated (mean HSV value below 0.45 and mean colour step between neighbours above
///   0.15 of the mean value: bright only along lines);
/// - plain otherwise.
public struct StyleFeatures: Sendable {
    public var saturationP90: Float
    public var paperFraction: Double
    public var blockiness: Double
    public var meanValue: Double
    /// Mean colour step between neighbouring pixels over the mean value.
    public var edgeRatio: Double

    public init(_ clip: EvalClip) {
        let w = clip.width, h = clip.height, n = w * h
        var sats: [Float] = []
        sats.reserveCapacity(n * clip.frameCount)
        var paper = 0, valueSum = 0.0
        var phase = [[Double]](repeating: [Double](repeating: 0, count: 4), count: 2)
        for t in 0..<clip.frameCount {
            for y in 0..<h {
                for x in 0..<w {
                    let c = clip.pixel(t, x, y)
                    sats.append(c.saturation)
                    valueSum += Double(c.value)
                    if c.luma > 0.75 && c.saturation < 0.2 && c.r >= c.b { paper += 1 }
                    if x + 1 < w { phase[0][x % 4] += Double(c.distance(clip.pixel(t, x + 1, y))) }
                    if y + 1 < h { phase[1][y % 4] += Double(c.distance(clip.pixel(t, x, y + 1))) }
                }
            }
        }
        sats.sort()
        saturationP90 = sats[sats.count * 9 / 10]
        meanValue = valueSum / Double(sats.count)
        let f = Double(clip.frameCount)
        let step = (phase[0].reduce(0, +) / (f * Double(h * max(1, w - 1)))
                    + phase[1].reduce(0, +) / (f * Double(max(1, h - 1) * w))) / 2
        edgeRatio = meanValue <= 1e-6 ? 0 : step / meanValue
        paperFraction = Double(paper) / Double(sats.count)
        // energy on the strongest grid phase relative to the mean phase, averaged over both axes (1 = no grid)
        blockiness = phase.map { p in
            let mean = p.reduce(0, +) / 4
            return mean <= 1e-9 ? 1 : (p.max() ?? 0) / mean
        }.reduce(0, +) / 2
    }

    public var style: VisualStyle {
        if saturationP90 < 0.06 { return .noir }
        if paperFraction > 0.5 { return .sketch }
        if blockiness > 2.0 { return .pixel }
        if meanValue < 0.45 && edgeRatio > 0.15 { return .neon }
        return .plain
    }
}
