/// Padding of a 3D convolution. `front`/`back` pad the time axis (a causal convolution puts all of it in
/// front), `top`/`bottom`/`left`/`right` the spatial axes. Padded positions read as zero.
public struct Padding3D: Sendable, Equatable {
    public var front, back, top, bottom, left, right: Int

    public init(front: Int = 0, back: Int = 0, top: Int = 0, bottom: Int = 0, left: Int = 0, right: Int = 0) {
        (self.front, self.back, self.top, self.bottom, self.left, self.right) = (front, back, top, bottom, left, right)
    }

    /// PyTorch's symmetric padding (t, h, w).
    public static func symmetric(_ t: Int, _ h: Int, _ w: Int) -> Padding3D {
        Padding3D(front: t, back: t, top: h, bottom: h, left: w, right: w)
    }

    /// Causal in time (2·t frames in front, none behind), symmetric in space: Wan's CausalConv3d.
    public static func causal(_ t: Int, _ h: Int, _ w: Int) -> Padding3D {
        Padding3D(front: 2 * t, back: 0, top: h, bottom: h, left: w, right: w)
    }
}

/// Convolutions as im2col + GEMM. Output pixels are processed in column tiles so the im2col buffer is
/// bounded (`columnTile` pixels × Cin·kt·kh·kw), and the tiles are spread over the thread pool.
public enum Convolution {
    public static let columnTile = 2048

    /// Output rows per tile: about `columns` output columns per GEMM, but small enough that `frames` frames give
    /// every worker at least two tiles (a 32x32 frame in one or two tiles left one of two cores idle).
    static func rowsPerTile(rows: Int, rowWidth: Int, columns: Int, frames: Int) -> Int {
        let bySize = Swift.max(1, Swift.min(rows, columns / Swift.max(rowWidth, 1)))
        let tilesWanted = (2 * Parallel.threads + frames - 1) / Swift.max(frames, 1)
        let byBalance = Swift.max(1, (rows + tilesWanted - 1) / tilesWanted)
        return Swift.min(bySize, byBalance)
    }
}

extension Tensor {
    /// 3D convolution: self [B, Cin, T, H, W], weight [Cout, Cin, kt, kh, kw] (any dtype), bias [Cout].
    func cpuConv3d(weight: Tensor, bias: Tensor?, stride: (Int, Int, Int), padding: Padding3D) -> Tensor {
        precondition(rank == 5 && weight.rank == 5, "conv3d expects [B, C, T, H, W] input and 5-d weight, got \(shape), \(weight.shape)")
        let (b, cin, t, h, w) = (shape[0], shape[1], shape[2], shape[3], shape[4])
        let (cout, kt, kh, kw) = (weight.shape[0], weight.shape[2], weight.shape[3], weight.shape[4])
        precondition(weight.shape[1] == cin, "conv3d: input has \(cin) channels, weight \(weight.shape)")
        let (st, sh, sw) = stride
        let to = (t + padding.front + padding.back - kt) / st + 1
        let ho = (h + padding.top + padding.bottom - kh) / sh + 1
        let wo = (w + padding.left + padding.right - kw) / sw + 1
        precondition(to > 0 && ho > 0 && wo > 0, "conv3d: output would be empty for input \(shape), kernel \(weight.shape)")
        let x = toF32(), wf = weight.toF32()
        let out = Tensor.uninitialized([b, cout, to, ho, wo])
        let xp = x.f32, wp = wf.f32, op = out.mutableF32
        let bp = bias?.toF32().f32
        let kdim = cin * kt * kh * kw
        let pixels = ho * wo
        // Tiles are whole output rows, so im2col copies row segments instead of indexing pixel by pixel
        // (the per-pixel division and bounds test cost as much as the GEMM on the VAE's shapes).
        let rowsPerTile = Convolution.rowsPerTile(rows: ho, rowWidth: wo, columns: Convolution.columnTile, frames: b * to)
        let tilesPerFrame = (ho + rowsPerTile - 1) / rowsPerTile
        let frameItems = b * to
        Parallel.forEach(frameItems * tilesPerFrame) { items in
            let col = UnsafeMutablePointer<Float>.allocate(capacity: kdim * Swift.min(ho, rowsPerTile) * wo)
            defer { col.deallocate() }
            for item in items {
                let tileIndex = item % tilesPerFrame, frame = item / tilesPerFrame
                let bi = frame / to, oz = frame % to
                let y0 = tileIndex * rowsPerTile, rows = Swift.min(rowsPerTile, ho - y0)
                let np = rows * wo, p0 = y0 * wo
                // im2col: row r = ((c·kt + dz)·kh + dy)·kw + dx, column = output pixel of this tile.
                var r = 0
                for c in 0..<cin {
                    for dz in 0..<kt {
                        let iz = oz * st + dz - padding.front
                        let planeValid = iz >= 0 && iz < t
                        let plane = xp + ((bi * cin + c) * t + Swift.max(0, Swift.min(iz, t - 1))) * h * w
                        for dy in 0..<kh {
                            for dx in 0..<kw {
                                let dst = col + r * np
                                r += 1
                                guard planeValid else { dst.initialize(repeating: 0, count: np); continue }
                                // Output columns whose input column is inside the image: [xLow, xHigh).
                                let shift = dx - padding.left
                                let xLow = Swift.min(wo, Swift.max(0, (-shift + sw - 1) / sw))
                                let xHigh = Swift.max(xLow, Swift.min(wo, (w - shift + sw - 1) / sw))
                                for y in 0..<rows {
                                    let out = dst + y * wo
                                    let iy = (y0 + y) * sh + dy - padding.top
                                    guard iy >= 0 && iy < h else { out.initialize(repeating: 0, count: wo); continue }
                                    let source = plane + iy * w + shift
                                    if xLow > 0 { out.initialize(repeating: 0, count: xLow) }
                                    if sw == 1 {
                                        (out + xLow).update(from: source + xLow, count: xHigh - xLow)
                                    } else {
                                        for x in xLow..<xHigh { out[x] = source[x * sw] }
                                    }
                                    if xHigh < wo { (out + xHigh).initialize(repeating: 0, count: wo - xHigh) }
                                }
                            }
                        }
                    }
                }
                let outBase = op + (bi * cout * to + oz) * pixels + p0
                // out[co, p] for this frame lives at ((bi·cout + co)·to + oz)·pixels + p: row stride to·pixels.
                if let bp {
                    for co in 0..<cout {
                        let row = outBase + co * to * pixels
                        for p in 0..<np { row[p] = bp[co] }
                    }
                }
                GEMM.sgemm(m: cout, n: np, k: kdim, a: wp, lda: kdim, b: col, ldb: np, transB: false,
                           c: outBase, ldc: to * pixels, accumulate: bp != nil)
            }
        }
        return out
    }

    /// 2D convolution: self [B, Cin, H, W], weight [Cout, Cin, kh, kw].
    func cpuConv2d(weight: Tensor, bias: Tensor?, stride: (Int, Int), padding: (top: Int, bottom: Int, left: Int, right: Int)) -> Tensor {
        precondition(rank == 4 && weight.rank == 4, "conv2d expects [B, C, H, W] input and 4-d weight, got \(shape), \(weight.shape)")
        let x5 = reshaped([shape[0], shape[1], 1, shape[2], shape[3]])
        let w5 = weight.reshaped([weight.shape[0], weight.shape[1], 1, weight.shape[2], weight.shape[3]])
        let y = x5.conv3d(weight: w5, bias: bias, stride: (1, stride.0, stride.1),
                          padding: Padding3D(top: padding.top, bottom: padding.bottom, left: padding.left, right: padding.right))
        return y.reshaped([y.shape[0], y.shape[1], y.shape[3], y.shape[4]])
    }

    /// Nearest-neighbour upsampling of the last two axes by integer factors.
    public func upsampledNearest(scaleH: Int = 2, scaleW: Int = 2) -> Tensor {
        precondition(rank >= 2, "upsample needs at least 2 axes")
        let h = shape[rank - 2], w = shape[rank - 1]
        let planes = count / Swift.max(h * w, 1)
        let x = toF32()
        let out = Tensor.uninitialized(Array(shape.dropLast(2)) + [h * scaleH, w * scaleW])
        let src = x.f32, dst = out.mutableF32
        let ow = w * scaleW
        Parallel.forEach(planes) { range in
            for p in range {
                let s = src + p * h * w, d = dst + p * h * scaleH * ow
                for y in 0..<(h * scaleH) {
                    let row = s + (y / scaleH) * w, drow = d + y * ow
                    for x in 0..<ow { drow[x] = row[x / scaleW] }
                }
            }
        }
        return out
    }
}
