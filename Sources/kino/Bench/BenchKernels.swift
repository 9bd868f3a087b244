import ArgumentParser
import Foundation
import KinoTensor

struct BenchKernels: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernels",
        abstract: "GFLOP/s of Kino's kernels on Wan 2.1 1.3B shapes, next to the BLAS's own GEMM peak.",
        discussion: "Writes a Markdown report (default bench/kernels.md). Takes about two minutes on 2 cores.")

    @Option(help: "Where to write the report.")
    var output = "bench/kernels.md"

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    @Flag(help: "Small shapes only (a quick smoke run).")
    var quick = false

    @Option(help: "Only these sections (comma-separated: gemm, attention, memory, conv).")
    var only: String?

    func run() async throws {
        if let threads { Compute.threads = threads }
        let sections = Set((only ?? "gemm,attention,memory,conv").split(separator: ",").map(String.init))
        let report = try await runOnThread { [quick] in
            KernelBenchmark(quick: quick, sections: sections).run()
        }
        try FileManager.default.createDirectory(atPath: (output as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try report.write(toFile: output, atomically: true, encoding: .utf8)
        print(report)
        print("wrote \(output)")
    }
}

/// The measurements behind `kino bench kernels`.
struct KernelBenchmark {
    let quick: Bool
    let sections: Set<String>

    func run() -> String {
        let threads = Compute.threads
        var lines = ["# Kernel benchmark", "",
                     "`kino bench kernels` on \(Measure.cpuDescription()), \(threads) threads, \(Date().formatted(.iso8601)).", "",
                     "\(CPUFeatures.summary).", "",
                     "## GEMM (fp32), C[M,N] = A[M,K]·W[N,K]ᵀ", "",
                     "| M | K | N | OpenBLAS own threading GFLOP/s | oneDNN sgemm GFLOP/s | Kino `Tensor.linear` GFLOP/s | Kino / best BLAS |",
                     "|---|---|---|---|---|---|---|"]
        let gemmShapes = !sections.contains("gemm") ? [] : quick ? [(320, 256, 512)] : [(1280, 1536, 1536), (1280, 1536, 8960), (1280, 8960, 1536), (320, 1536, 1536), (320, 1536, 8960)]
        var worstRatio = Double.infinity
        for (m, k, n) in gemmShapes {
            var g = SeededGenerator(seed: 1)
            let a = Tensor.randomUniform([m, k], using: &g), w = Tensor.randomUniform([n, k], using: &g)
            let c = Tensor.uninitialized([m, n])
            let flops = 2.0 * Double(m * n * k)
            let blas = Measure.best { ReferenceGEMM.openBLAS(a, w, into: c, threads: threads) }
            let dnnl = Measure.best { ReferenceGEMM.oneDNN(a, w, into: c, threads: threads) }
            let kino = Measure.best { _ = a.linear(w) }
            let best = min(blas, dnnl)
            worstRatio = min(worstRatio, best / kino)
            lines.append("| \(m) | \(k) | \(n) | \(gf(flops, blas)) | \(gf(flops, dnnl)) | \(gf(flops, kino)) | \(pct(best / kino)) |")
        }
        lines += ["", "Kino's GEMM is oneDNN's sgemm, one single-threaded call per worker on its share of the output; the worst shape reaches \(pct(worstRatio)) of the faster BLAS's own multithreaded throughput.", ""]

        lines += ["## GEMM with bf16 weights, C[M,N] = A[M,K]·W[N,K]ᵀ (A and C f32)", "",
                  "Path on this CPU: \(BF16GEMM.path.rawValue). GFLOP/s counts the same 2·M·N·K as fp32.", "",
                  "| M | K | N | Kino fp32 weights GFLOP/s | Kino bf16 weights GFLOP/s | bf16 / fp32 |", "|---|---|---|---|---|---|"]
        for (m, k, n) in gemmShapes {
            var g = SeededGenerator(seed: 1)
            let a = Tensor.randomUniform([m, k], using: &g), w = Tensor.randomUniform([n, k], using: &g)
            let wb = w.converted(to: .bf16)
            let flops = 2.0 * Double(m * n * k)
            let f32 = Measure.best { _ = a.linear(w) }
            let bf16 = Measure.best { _ = a.linear(wb) }
            lines.append("| \(m) | \(k) | \(n) | \(gf(flops, f32)) | \(gf(flops, bf16)) | \(String(format: "%.2fx", f32 / bf16)) |")
        }
        lines.append("")

        lines += ["## Attention (fp32, tiled, online softmax), head dim 128", "",
                  "| N (tokens) | heads | seconds | GFLOP/s |", "|---|---|---|---|"]
        for n in !sections.contains("attention") ? [] : quick ? [256] : [1280, 4096] {
            let heads = n > 2000 ? 4 : 12
            var g = SeededGenerator(seed: 2)
            let q = Tensor.randomUniform([1, n, heads, 128], using: &g)
            let flops = 4.0 * Double(n) * Double(n) * 128 * Double(heads)
            let t = Measure.best(repeats: 2) { _ = Tensor.attention(query: q, key: q, value: q) }
            lines.append("| \(n) | \(heads) | \(String(format: "%.3f", t)) | \(gf(flops, t)) |")
        }

        lines += ["", "## Attention memory (head dim 128, 2 heads): peak RSS added by the call (output included)", "",
                  "A materialised score matrix would add 2·N²·4 bytes (2.1 GB at N = 16,384); the tiled kernel adds its output",
                  "(N·2·128·4 bytes) plus one score tile per thread.", "",
                  "| N | extra peak MB | of which output MB | extra bytes per token |", "|---|---|---|---|"]
        for n in !sections.contains("memory") ? [] : quick ? [1024, 2048] : [4096, 8192, 16384] {
            var g = SeededGenerator(seed: 3)
            let q = Tensor.randomUniform([1, n, 2, 128], using: &g)
            let base = Measure.residentBytes().current
            Measure.resetPeak()
            let out = Tensor.attention(query: q, key: q, value: q)
            let extra = max(0, Measure.residentBytes().peak - base)
            let outputMB = Double(out.count * 4) / 1e6
            lines.append("| \(n) | \(String(format: "%.1f", Double(extra) / 1e6)) | \(String(format: "%.1f", outputMB)) | \(extra / n) |")
            _ = out.count
        }

        let convPeak: Double = {
            guard sections.contains("conv") else { return 1 }
            var g = SeededGenerator(seed: 1)
            let a = Tensor.randomUniform([1280, 1536], using: &g), w = Tensor.randomUniform([8960, 1536], using: &g)
            return 2.0 * 1280 * 1536 * 8960 / Measure.best { _ = a.linear(w) } / 1e9
        }()
        lines += ["", "## Conv3d (fp32), Wan VAE shapes", "",
                  "Two lowerings: the VAE's stride-1 causal convolutions run one GEMM per kernel tap over padded rows "
                  + "(`causalConv3d`, no im2col); strided ones run row-wise im2col + one GEMM (`conv3d`). Inputs with 2 cached frames "
                  + "in front, as inside a decode; \(String(format: "%.0f", convPeak)) GFLOP/s is Kino's fp32 GEMM on 1280x1536x8960 in this run.", "",
                  "| input [B,C,T,H,W] | kernel | lowering | seconds | GFLOP/s | % of GEMM peak |", "|---|---|---|---|---|---|"]
        let convShapes: [([Int], Int, [Int])] = !sections.contains("conv") ? [] : quick ? [([1, 16, 3, 32, 32], 16, [3, 3, 3])]
            : [([1, 96, 3, 128, 128], 96, [3, 3, 3]), ([1, 384, 3, 32, 32], 384, [3, 3, 3]), ([1, 192, 1, 64, 64], 192, [1, 3, 3]),
               ([1, 96, 6, 96, 208], 96, [3, 3, 3]), ([1, 192, 6, 120, 208], 192, [3, 3, 3])]
        for (inShape, cout, kernel) in convShapes {
            var g = SeededGenerator(seed: 4)
            let x = Tensor.randomUniform(inShape, using: &g)
            let w = Tensor.randomUniform([cout, inShape[1]] + kernel, using: &g)
            let pad = Padding3D.causal(kernel[0] / 2, 1, 1)
            let y = x.conv3d(weight: w, bias: nil, padding: pad)
            let flops = 2.0 * Double(y.count) * Double(inShape[1] * kernel.reduce(1, *))
            let t = Measure.best(repeats: 2) { _ = x.conv3d(weight: w, bias: nil, padding: pad) }
            lines.append("| \(inShape) | \(kernel) | im2col | \(String(format: "%.3f", t)) | \(gf(flops, t)) | \(pct(flops / t / 1e9 / convPeak)) |")
            // The same output through the causal lowering: 2 cached frames plus the chunk's own.
            let taps = w.reshaped([cout, inShape[1], kernel.reduce(1, *)]).permuted([2, 0, 1]).contiguous()
            let cached = inShape[2] > 2 ? x.sliced(axis: 2, 0..<2).contiguous() : nil
            let current = cached == nil ? x : x.sliced(axis: 2, 2..<inShape[2]).contiguous()
            let front = 2 * (kernel[0] / 2) - (cached?.shape[2] ?? 0)
            let causal = { current.causalConv3d(previous: cached, taps: taps, kernel: (kernel[0], kernel[1], kernel[2]), bias: nil,
                                                front: front, padH: 1, padW: 1) }
            let causalFlops = 2.0 * Double(causal().count) * Double(inShape[1] * kernel.reduce(1, *))
            let tc = Measure.best(repeats: 2) { _ = causal() }
            lines.append("| \(inShape) | \(kernel) | causal taps | \(String(format: "%.3f", tc)) | \(gf(causalFlops, tc)) | \(pct(causalFlops / tc / 1e9 / convPeak)) |")
        }
        lines += ["", "Peak RSS of the whole run: \(Measure.residentBytes().peak / 1_000_000) MB.", ""]
        return lines.joined(separator: "\n")
    }

    private func gf(_ flops: Double, _ seconds: Double) -> String { String(format: "%.1f", flops / seconds / 1e9) }
    private func pct(_ x: Double) -> String { String(format: "%.0f%%", x * 100) }
}
