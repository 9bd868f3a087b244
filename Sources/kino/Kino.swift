import ArgumentParser

@main
struct Kino: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kino",
        abstract: "Self-hosted text-to-video: generate clips, serve the /v1/videos API, benchmark the engine.",
        discussion: """
            Examples:
              kino bench kernels            measure the CPU kernels against the BLAS's own peak
            """,
        subcommands: [Generate.self, Serve.self, Keys.self, Webhooks.self, Admin.self, Moderation.self, Verify.self, Models.self, Eval.self, Bench.self]
    )
}
