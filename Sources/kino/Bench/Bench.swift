import ArgumentParser

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks; reports are written under bench/.",
        subcommands: [BenchKernels.self, BenchTransformer.self, BenchWan.self, BenchEngine.self, BenchRealScale.self, BenchWan22.self,
                      BenchCaching.self, BenchWatermark.self]
    )
}
