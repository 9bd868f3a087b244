import ArgumentParser

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks; reports are written under bench/.",
        subcommands: [BenchKernels.self]
    )
}

struct BenchKernels: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernels",
        abstract: "GFLOP/s of Kino's kernels on Wan 2.1 1.3B shapes, next to the BLAS's own GEMM peak.")
    func run() async throws {}
}
