import Foundation
import KinoTensor
import Testing
import KinoModels

/// Decode time of the kino-tiny clip's VAE (base_dim 32, dim_mult [1,2,2,2], random weights) for a
/// 9×10×16 latent (33 frames of 80×128). A measurement, not an assertion on time: it runs only with
/// KINO_BENCH_VAE=1, best in release (the tests use @testable, hence -enable-testing):
/// `KINO_BENCH_VAE=1 swift test -c release -Xswiftc -enable-testing --filter WanVAEBenchmark`.
/// On the development VM set OPENBLAS_CORETYPE=SkylakeX too: OpenBLAS 0.3.21 does not recognise its CPU and
/// falls back to the SSE3 (Prescott) GEMM kernel, which made this decode about 3× slower.
struct WanVAEBenchmark {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["KINO_BENCH_VAE"] != nil))
    func decodeKinoTinyClip() throws {
        let config = WanVAE.Configuration(baseDim: 32, zDim: 16, dimMult: [1, 2, 2, 2])
        var generator = SeededGenerator(seed: 7)
        var weights: [String: Tensor] = [:]
        for (key, shape) in WanVAE.checkpointShapes(for: config) {
            if key.hasSuffix(".gamma") {
                weights[key] = Tensor(shape: shape, repeating: 1)
            } else if key.hasSuffix(".bias") {
                weights[key] = Tensor(zeros: shape)
            } else {
                let fanIn = shape.dropFirst().reduce(1, *)
                weights[key] = Tensor.randomNormal(shape, using: &generator) * (1 / Float(fanIn).squareRoot())
            }
        }
        let vae = try WanVAE(configuration: config, weights: weights)
        let latents = Tensor.randomNormal([1, 16, 9, 10, 16], using: &generator)
        for run in 1...2 {
            var chunkTimes: [Double] = []
            var last = Date()
            let start = last
            let cpuStart = Self.processCPUSeconds()
            let video = try vae.decode(latents, progress: { _ in
                let now = Date()
                chunkTimes.append(now.timeIntervalSince(last))
                last = now
            })
            let total = Date().timeIntervalSince(start)
            let cpu = Self.processCPUSeconds() - cpuStart
            #expect(video.shape == [1, 3, 33, 80, 128])
            let chunks = chunkTimes.map { String(format: "%.3f", $0) }.joined(separator: " ")
            print("WanVAE decode 9x10x16 -> 33x80x128 (run \(run), \(Compute.threads) threads): \(String(format: "%.3f", total)) s wall, \(String(format: "%.3f", cpu)) s CPU; per latent frame: \(chunks)")
        }
    }

    /// CPU time of the whole process (all threads): robust to other jobs sharing the machine, unlike wall time.
    static func processCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}
