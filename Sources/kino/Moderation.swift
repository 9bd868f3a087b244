import ArgumentParser
import Foundation
import KinoService

struct Moderation: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check prompts against the moderation policy, measure it, print it, read the audit log.",
        discussion: """
            Examples:
              kino moderation check "a shot of espresso"      allowed, or blocked with category and rule
              kino moderation eval                            recall and false positives -> bench/moderation.md
              kino moderation policy > DATA/moderation.json   start an editable policy from the default
              kino moderation log --limit 20                  recent decisions (allowed and blocked)
            See docs/moderation.md.
            """,
        subcommands: [ModerationCheck.self, ModerationEval.self, ModerationPolicyCommand.self, ModerationLog.self]
    )
}

/// The policy of a data folder (its moderation.json, else the default), or a file given with --policy.
struct PolicyOption: ParsableArguments {
    @Option(help: "Data folder whose moderation.json to use (default: $KINO_DATA, else ~/.local/share/kino).")
    var data: String?
    @Option(help: "A policy file to use instead.")
    var policy: String?

    func moderator() throws -> Moderator {
        if let policy {
            guard let data = FileManager.default.contents(atPath: policy) else {
                throw ValidationError("Cannot read the policy file \(policy).")
            }
            return Moderator(policy: try ModerationPolicy(json: data, source: policy), source: policy)
        }
        let folder = DataFolder(explicit: data).url
        return try Moderator(policyFile: folder.appendingPathComponent(Moderator.policyFileName))
    }
}

struct ModerationCheck: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check", abstract: "Say whether a prompt is allowed; exits 1 when blocked.")
    @OptionGroup var policyOption: PolicyOption
    @Argument(help: "The prompt.") var prompt: String

    func run() throws {
        let decision = try policyOption.moderator().check(prompt)
        if decision.allowed {
            print("allowed")
        } else {
            print("blocked: category=\(decision.category ?? "?") rule=\(decision.rule ?? "?")")
            throw ExitCode(1)
        }
    }
}

struct ModerationEval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Blocked recall and false-positive rate on the labelled corpora; writes a report.")
    @Option(help: "Folder with dev.jsonl, eval.jsonl and benign.jsonl.") var corpus = "Tests/Fixtures/moderation"
    @Option(help: "A policy file (default: the built-in policy).") var policy: String?
    @Option(help: "Where to write the report (- for standard output only).") var out = "bench/moderation.md"

    func run() throws {
        let moderationPolicy: ModerationPolicy
        let source: String
        if let policy {
            guard let data = FileManager.default.contents(atPath: policy) else { throw ValidationError("Cannot read the policy file \(policy).") }
            moderationPolicy = try ModerationPolicy(json: data, source: policy)
            source = policy
        } else {
            moderationPolicy = try Moderator.defaultPolicy()
            source = "built-in default (Sources/KinoService/Safety/DefaultModerationPolicy.swift)"
        }
        let folder = URL(fileURLWithPath: corpus, isDirectory: true)
        var scores: [ModerationEvaluation.Score] = []
        for name in ["dev", "eval", "benign"] {
            let url = folder.appendingPathComponent("\(name).jsonl")
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw ValidationError("\(url.path) is missing; run from the repository root or pass --corpus DIR.")
            }
            let rows = try ModerationEvaluation.load(url)
            scores.append(ModerationEvaluation.score(moderationPolicy, rows, corpus: name))
        }
        var command = "kino moderation eval"
        if policy != nil { command += " --policy \(policy ?? "")" }
        var report = ModerationEvaluation.markdown(scores, policySource: source, command: command)
        report += speedSection(moderationPolicy, corpusPrompts: try ["dev", "eval", "benign"].flatMap {
            try ModerationEvaluation.load(folder.appendingPathComponent("\($0).jsonl")).map(\.prompt)
        })
        print(report, terminator: "")
        if out != "-" {
            try Data(report.utf8).write(to: URL(fileURLWithPath: out))
            print("wrote \(out)")
        }
        let eval = scores[1]
        let benign = scores[2]
        if eval.recall < 0.95 || benign.falsePositiveRate > 0.02 { throw ExitCode(1) }
    }
}

/// Time per corpus prompt and for a worst-case prompt: 32,000 characters of distinct made-up words (fixed seed).
func speedSection(_ policy: ModerationPolicy, corpusPrompts: [String]) -> String {
    func millis(_ body: () -> Void) -> Double {
        let start = ContinuousClock.now
        body()
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
    }
    var state: UInt64 = 8
    func next() -> UInt64 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return state >> 33
    }
    var long = ""
    while long.count < VideoLimits.maximumPromptLength {
        let length = 3 + Int(next() % 5)
        long += String((0..<length).map { _ in Character(Unicode.Scalar(UInt8(97 + next() % 26))) }) + " "
    }
    long = String(long.prefix(VideoLimits.maximumPromptLength))
    let rounds = 3
    let corpus = millis { for _ in 0..<rounds { for prompt in corpusPrompts { _ = policy.evaluate(prompt) } } } / Double(rounds * corpusPrompts.count)
    let worst = millis { for _ in 0..<rounds { _ = policy.evaluate(long) } } / Double(rounds)
    #if DEBUG
    let build = "debug build"
    #else
    let build = "release build"
    #endif
    return String(format: """

        ## Speed (\(build), this machine)

        | prompt | time per check |
        |---|---|
        | corpus prompts (mean of %d) | %.3f ms |
        | 32,000 characters of distinct made-up words (worst case for the word index) | %.1f ms |

        """, corpusPrompts.count, corpus, worst)
}

struct ModerationPolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "policy", abstract: "Print the built-in policy (JSON), to copy and edit.")

    func run() throws {
        print(DefaultModerationPolicy.json)
    }
}

struct ModerationLog: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log", abstract: "Recent decisions, tab-separated: time, decision, category, rule, key, project, route, video, prompt.")
    @OptionGroup var dataOption: DataOption
    @Option(help: "How many (newest first).") var limit = 50

    func run() async throws {
        let formatter = ISO8601DateFormatter()
        for entry in try await dataOption.openStore().moderationLog(limit: limit) {
            let time = formatter.string(from: Date(timeIntervalSince1970: Double(entry.at) / 1000))
            print([time, entry.decision, entry.category ?? "-", entry.rule ?? "-", entry.keyID ?? "-", entry.project, entry.route,
                   entry.videoID ?? "-", entry.prompt.replacingOccurrences(of: "\n", with: " ")].joined(separator: "\t"))
        }
    }
}
