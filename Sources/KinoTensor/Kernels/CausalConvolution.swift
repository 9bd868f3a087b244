/// The VAE's stride-1 causal 3D convolution without im2col: one GEMM per kernel tap (Cout × Cin times
/// Cin × pixels) over a spatially padded copy of the rows a tile of output rows reads, with outputs computed on
/// the padded-width grid and the 2·padW extra columns per row dropped when copying out. Taps that would read the
/// causal zero frames in front are skipped. On the kino-tiny decode this took about 25% less CPU than row-wise
/// im2col + GEMM (which spent ~22% of its time building and ~14% packing the im2col matrix).
///
/// Padding per tile (a few rows × Cin × kt frames, a few MB per thread) instead of padding the whole
/// [cached ++ current] input at once keeps memory to the output plus small scratch: at 832x480 with 96 channels
/// the whole padded copy of 6 frames was 0.9 GB per convolution. The copying is about 1/(2·Cout·kh) of the
/// arithmetic. KinoTensor's general `conv3d` still serves the strided convolutions.
extension Tensor {
    /// Convolves `[previous ++ self]` along time: self [B, Cin, t, H, W], previous [B, Cin, p, H, W] or nil,
    /// `taps` the weight [Cout, Cin, kt, kh, kw] rearranged to [kt·kh·kw, Cout, Cin], bias [Cout]. `front`
    /// zero frames precede the sequence; H and W get `padH`/`padW` zeros on both sides.
    /// Returns [B, Cout, front + p + t - kt + 1, H + 2·padH - kh + 1, W + 2·padW - kw + 1].
    func cpuCausalConv3d(previous: Tensor?, taps: Tensor, kernel: (Int, Int, Int), bias: Tensor?, front: Int, padH: Int, padW: Int) -> Tensor {
        let x = toF32(), prev = previous?.toF32()
        let (b, cin, t, h, wd) = (shape[0], shape[1], shape[2], shape[3], shape[4])
        let pf = prev?.shape[2] ?? 0
        let (kt, kh, kw) = kernel
        let cout = taps.shape[1]
        precondition(taps.shape == [kt * kh * kw, cout, cin], "causalConv3d: taps \(taps.shape) for input \(shape)")
        if let prev { precondition(prev.shape == [b, cin, pf, h, wd], "causalConv3d: cached frames \(prev.shape) for input \(shape)") }
        let frames = pf + t
        let to = front + frames - kt + 1
        let hp = h + 2 * padH, wp = wd + 2 * padW
        let ho = hp - kh + 1, wo = wp - kw + 1
        precondition(to > 0 && ho > 0 && wo > 0, "causalConv3d: empty output for input \(shape)")
        let xp = x.f32, prevp = prev?.f32
        let out = Tensor.uninitialized([b, cout, to, ho, wo])
        let op = out.mutableF32, tp = taps.toF32().f32
        let bp = bias?.toF32().f32
        // About 1024 output columns per GEMM (a tile of Cout × 1024 accumulators stays in L2 over the taps), and
        // at least two tiles per thread so that small frames still spread evenly over the pool.
        let rowsPerTile = Convolution.rowsPerTile(rows: ho, rowWidth: wp, columns: 1024, frames: b * to)
        let tilesPerFrame = (ho + rowsPerTile - 1) / rowsPerTile
        let windowRows = rowsPerTile + kh - 1                // padded input rows one tile reads
        let windowPlane = windowRows * wp
        Parallel.forEach(b * to * tilesPerFrame) { items in
            let acc = UnsafeMutablePointer<Float>.allocate(capacity: cout * rowsPerTile * wp)
            let window = UnsafeMutablePointer<Float>.allocate(capacity: kt * cin * windowPlane)
            defer { acc.deallocate(); window.deallocate() }
            for item in items {
                let tile = item % tilesPerFrame, frame = item / tilesPerFrame
                let bi = frame / to, oz = frame % to
                let y0 = tile * rowsPerTile, ny = Swift.min(rowsPerTile, ho - y0)
                let ldc = rowsPerTile * wp
                let n = (ny - 1) * wp + wo
                for co in 0..<cout { (acc + co * ldc).initialize(repeating: bp?[co] ?? 0, count: n) }
                for dz in 0..<kt {
                    let v = oz + dz - front
                    if v < 0 { continue }
                    // Padded rows y0 ..< y0 + ny + kh - 1 of frame v, every channel: [Cin, windowRows, Wp].
                    let base = window + dz * cin * windowPlane
                    for c in 0..<cin {
                        let src: UnsafePointer<Float>
                        if v < pf, let prevp { src = prevp + ((bi * cin + c) * pf + v) * h * wd }
                        else { src = xp + ((bi * cin + c) * t + v - pf) * h * wd }
                        let plane = base + c * windowPlane
                        for r in 0..<(ny + kh - 1) {
                            let row = plane + r * wp
                            let iy = y0 + r - padH
                            guard iy >= 0 && iy < h else { row.initialize(repeating: 0, count: wp); continue }
                            if padW > 0 {
                                row.initialize(repeating: 0, count: padW)
                                (row + padW + wd).initialize(repeating: 0, count: padW)
                            }
                            (row + padW).update(from: src + iy * wd, count: wd)
                        }
                    }
                    for dy in 0..<kh {
                        for dx in 0..<kw {
                            let tap = (dz * kh + dy) * kw + dx
                            GEMM.sgemm(m: cout, n: n, k: cin, a: tp + tap * cout * cin, lda: cin,
                                       b: base + dy * wp + dx, ldb: windowPlane, transB: false,
                                       c: acc, ldc: ldc, accumulate: true)
                        }
                    }
                }
                for co in 0..<cout {
                    let dst = op + ((bi * cout + co) * to + oz) * ho * wo + y0 * wo
                    for yy in 0..<ny { (dst + yy * wo).update(from: acc + co * ldc + yy * wp, count: wo) }
                }
            }
        }
        return out
    }
}
