import Foundation
import KinoTensor

/// A linear map from latent channels to RGB (`rgb = weights·z + bias`, each in [-1, 1]): how a render shows a
/// low-resolution picture of where denoising is going without running the VAE, as ComfyUI's latent previews do.
/// Fitted per model on its own clips (`kino models fit-preview`) and stored in kino.json as `preview_rgb`.
public struct LatentRGBMap: Codable, Sendable, Equatable {
    /// One row per latent channel: its contribution to red, green and blue.
    public var weights: [[Float]]
    public var bias: [Float]

    public init(weights: [[Float]], bias: [Float]) {
        self.weights = weights
        self.bias = bias
    }

    public var channels: Int { weights.count }

    /// Why the map cannot be used as written (nil when it can).
    public var problem: String? {
        if weights.isEmpty { return "preview_rgb.weights is empty" }
        if weights.contains(where: { $0.count != 3 }) { return "preview_rgb.weights needs one [r, g, b] row per latent channel" }
        if bias.count != 3 { return "preview_rgb.bias needs three numbers [r, g, b]" }
        if !(weights.joined() + bias).allSatisfy(\.isFinite) { return "preview_rgb has a number that is not finite" }
        return nil
    }

    /// One latent frame ([1, C, T, h, w], frame `t`; default the middle one) as 8-bit RGB, `h`x`w`, row-major.
    public func image(_ latents: Tensor, frame t: Int? = nil) -> (width: Int, height: Int, rgb: [UInt8])? {
        let s = latents.shape
        guard s.count == 5, s[1] == channels, s[2] > 0 else { return nil }
        let frame = min(max(t ?? s[2] / 2, 0), s[2] - 1)
        let plane = latents.sliced(axis: 2, frame..<(frame + 1)).scalars   // C·h·w
        let (h, w) = (s[3], s[4])
        var rgb: [UInt8] = []
        rgb.reserveCapacity(h * w * 3)
        for p in 0..<(h * w) {
            let latent: [Double] = (0..<channels).map { Double(plane[$0 * h * w + p]) }
            for value in colour(latent) { rgb.append(UInt8(max(0, min(255, ((value + 1) * 127.5).rounded())))) }
        }
        return (w, h, rgb)
    }

    /// One latent pixel's channels and the mean colour of the video block it stands for.
    public struct Sample: Sendable {
        public var latent: [Double]
        public var rgb: [Double]
    }

    /// The video pooled onto the latent grid: latent frame 0 is the first video frame, each later one the frames
    /// it stands for ((F − 1)/(T − 1) of them), each latent pixel the square block of video pixels above it.
    public static func pooledSamples(_ latents: Tensor, _ video: Tensor) throws -> [Sample] {
        let (ls, vs) = (latents.shape, video.shape)
        guard ls.count == 5, vs.count == 5, vs[1] == 3, ls[3] > 0, ls[4] > 0,
              vs[3] % ls[3] == 0, vs[4] % ls[4] == 0, vs[3] / ls[3] == vs[4] / ls[4] else {
            throw PipelineError.invalidRequest("latents \(ls) and video \(vs) do not line up on a latent grid")
        }
        let (c, t, h, w, f) = (ls[1], ls[2], ls[3], ls[4], vs[2])
        let spatial = vs[3] / h
        let temporal = t > 1 ? max(1, (f - 1) / (t - 1)) : 1
        let z = latents.scalars, v = video.scalars
        let (frameSize, videoPlane) = (h * w, vs[3] * vs[4])
        var samples: [Sample] = []
        samples.reserveCapacity(t * h * w)
        for ti in 0..<t {
            let frames = ti == 0 ? 0..<1 : (1 + (ti - 1) * temporal)..<min(f, 1 + ti * temporal)
            guard !frames.isEmpty else { continue }
            for y in 0..<h {
                for x in 0..<w {
                    let latent = (0..<c).map { Double(z[($0 * t + ti) * frameSize + y * w + x]) }
                    let rgb = (0..<3).map { ch in
                        var sum = 0.0
                        for fi in frames {
                            let base = (ch * f + fi) * videoPlane
                            for dy in 0..<spatial {
                                let rowStart = base + (y * spatial + dy) * vs[4] + x * spatial
                                for dx in 0..<spatial { sum += Double(v[rowStart + dx]) }
                            }
                        }
                        return sum / Double(frames.count * spatial * spatial)
                    }
                    samples.append(Sample(latent: latent, rgb: rgb))
                }
            }
        }
        return samples
    }

    /// Least squares (lightly ridge-regularised) from latents to their decoded video (`pooledSamples`). `pairs`:
    /// (latents [1, C, T, h, w], video [1, 3, F, H, W] in [-1, 1]) from the model's own renders.
    public static func fit(_ pairs: [(latents: Tensor, video: Tensor)], ridge: Double = 1e-3) throws -> LatentRGBMap {
        guard let first = pairs.first else { throw PipelineError.invalidRequest("fitting a preview map needs at least one clip") }
        let c = first.latents.shape[1]
        let n = c + 1
        var xtx = [Double](repeating: 0, count: n * n)
        var xty = [Double](repeating: 0, count: n * 3)
        for pair in pairs {
            guard pair.latents.shape.count == 5, pair.latents.shape[1] == c else {
                throw PipelineError.invalidRequest("every clip must have \(c) latent channels, got \(pair.latents.shape)")
            }
            for sample in try pooledSamples(pair.latents, pair.video) {
                let row = sample.latent + [1]
                for i in 0..<n {
                    for j in 0..<n { xtx[i * n + j] += row[i] * row[j] }
                    for ch in 0..<3 { xty[i * 3 + ch] += row[i] * sample.rgb[ch] }
                }
            }
        }
        let meanDiagonal = (0..<c).reduce(0.0) { $0 + xtx[$1 * n + $1] } / Double(c)
        for i in 0..<c { xtx[i * n + i] += ridge * meanDiagonal }
        let solution = try solve(xtx, xty, n: n, columns: 3)
        let weights = (0..<c).map { k in (0..<3).map { Float(solution[k * 3 + $0]) } }
        return LatentRGBMap(weights: weights, bias: (0..<3).map { Float(solution[c * 3 + $0]) })
    }

    /// The map's colour for one sample's latent channels, on the [-1, 1] scale.
    public func colour(_ latent: [Double]) -> [Double] {
        (0..<3).map { c in latent.indices.reduce(Double(bias[c])) { $0 + Double(weights[$1][c]) * latent[$1] } }
    }

    /// Gaussian elimination with partial pivoting on a small dense system A·X = B (A n×n, B n×columns).
    static func solve(_ a: [Double], _ b: [Double], n: Int, columns: Int) throws -> [Double] {
        var a = a, b = b
        for col in 0..<n {
            let pivot = (col..<n).max { abs(a[$0 * n + col]) < abs(a[$1 * n + col]) } ?? col
            guard abs(a[pivot * n + col]) > 1e-12 else {
                throw PipelineError.invalidRequest("the clips do not determine a preview map (a latent channel never varies)")
            }
            if pivot != col {
                for j in 0..<n { a.swapAt(pivot * n + j, col * n + j) }
                for j in 0..<columns { b.swapAt(pivot * columns + j, col * columns + j) }
            }
            for row in 0..<n where row != col {
                let factor = a[row * n + col] / a[col * n + col]
                if factor == 0 { continue }
                for j in col..<n { a[row * n + j] -= factor * a[col * n + j] }
                for j in 0..<columns { b[row * columns + j] -= factor * b[col * columns + j] }
            }
        }
        return (0..<(n * columns)).map { b[$0] / a[($0 / columns) * n + $0 / columns] }
    }
}
