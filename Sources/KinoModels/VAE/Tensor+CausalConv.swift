import KinoTensor

/// The VAE's causal 3D convolution with stride 1 as im2col + GEMM, reading its input frames from the cached
/// frames of the previous chunk followed by the current chunk (no concatenated copy), and building the
/// im2col rows by whole image rows (a shifted copy per row) instead of per pixel. KinoTensor's general
/// `conv3d` handles strides; this is the hot path of the decoder.
extension Tensor {
    /// Convolves `[previous ++ self]` along time: self [B, Cin, t, H, W], previous [B, Cin, p, H, W] or nil,
    /// weight [Cout, Cin, kt, kh, kw] (contiguous f32), bias [Cout]. `front` zero frames precede the
    /// sequence; H and W get `padH`/`padW` zeros on both sides. Returns [B, Cout, front + p + t - kt + 1, H', W'].
    func causalConv3d(previous: Tensor?, weight: Tensor, bias: Tensor?, front: Int, padH: Int, padW: Int) -> Tensor {
        precondition(rank == 5 && weight.rank == 5 && weight.shape[1] == shape[1], "causalConv3d: input \(shape), weight \(weight.shape)")
        let x = toF32(), prev = previous?.toF32(), w = weight.toF32()
        let (b, cin, t, h, wd) = (shape[0], shape[1], shape[2], shape[3], shape[4])
        let pf = prev?.shape[2] ?? 0
        if let prev { precondition(prev.shape == [b, cin, pf, h, wd], "causalConv3d: cached frames \(prev.shape) for input \(shape)") }
        let (cout, kt, kh, kw) = (w.shape[0], w.shape[2], w.shape[3], w.shape[4])
        let to = front + pf + t - kt + 1
        let ho = h + 2 * padH - kh + 1, wo = wd + 2 * padW - kw + 1
        precondition(to > 0 && ho > 0 && wo > 0, "causalConv3d: empty output for input \(shape), kernel \(w.shape)")
        let out = Tensor.uninitialized([b, cout, to, ho, wo])
        let xp = x.f32, pp = prev?.f32, wp = w.f32, op = out.mutableF32
        let bp = bias?.toF32().f32
        let kdim = cin * kt * kh * kw
        let pixels = ho * wo
        // Whole output rows per tile, with the im2col tile near 1 MB so that it stays in L2 while OpenBLAS packs
        // it (4 MB tiles measured 10-15% slower on the kino-tiny decode).
        let tileFloats = 262_144
        let rowsPerTile = Swift.max(1, Swift.min(ho, tileFloats / kdim / Swift.max(wo, 1)))
        let tilesPerFrame = (ho + rowsPerTile - 1) / rowsPerTile
        let plane = h * wd
        Parallel.forEach(b * to * tilesPerFrame) { items in
            let col = UnsafeMutablePointer<Float>.allocate(capacity: kdim * rowsPerTile * wo)
            defer { col.deallocate() }
            for item in items {
                let tile = item % tilesPerFrame, frame = item / tilesPerFrame
                let bi = frame / to, oz = frame % to
                let y0 = tile * rowsPerTile, ny = Swift.min(rowsPerTile, ho - y0), np = ny * wo
                // im2col: row r = ((c·kt + dz)·kh + dy)·kw + dx, column = output pixel of this tile.
                var r = 0
                for c in 0..<cin {
                    for dz in 0..<kt {
                        let v = oz + dz - front  // index into [previous ++ self]
                        let source: UnsafePointer<Float>? =
                            v < 0 ? nil : v < pf ? pp.map { $0 + ((bi * cin + c) * pf + v) * plane } : xp + ((bi * cin + c) * t + v - pf) * plane
                        for dy in 0..<kh {
                            for dx in 0..<kw {
                                let dst = col + r * np
                                r += 1
                                guard let source else {
                                    dst.initialize(repeating: 0, count: np)
                                    continue
                                }
                                // Output column ox reads input column ox + dx - padW; valid for ox in lo..<hi.
                                let shift = dx - padW
                                let lo = Swift.max(0, -shift), hi = Swift.min(wo, wd - shift)
                                for yy in 0..<ny {
                                    let iy = y0 + yy + dy - padH
                                    let drow = dst + yy * wo
                                    if iy < 0 || iy >= h || lo >= hi {
                                        drow.initialize(repeating: 0, count: wo)
                                        continue
                                    }
                                    if lo > 0 { drow.initialize(repeating: 0, count: lo) }
                                    drow.advanced(by: lo).update(from: source + iy * wd + lo + shift, count: hi - lo)
                                    if hi < wo { drow.advanced(by: hi).initialize(repeating: 0, count: wo - hi) }
                                }
                            }
                        }
                    }
                }
                let outBase = op + (bi * cout * to + oz) * pixels + y0 * wo
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
}
