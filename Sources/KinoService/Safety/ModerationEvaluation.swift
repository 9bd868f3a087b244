import Foundation

/// One labelled prompt of a moderation corpus (`Tests/Fixtures/moderation/*.jsonl`).
public struct LabelledPrompt: Codable, Sendable, Equatable {
    public var prompt: String
    /// "block" or "allow".
    public var expect: String
    public var category: String?
    public var evasion: String?

    public var shouldBlock: Bool { expect == "block" }
}

/// Scores a policy on labelled corpora: blocked recall on the prompts that must be blocked, and the false-positive
/// rate on the prompts that must be allowed.
public struct ModerationEvaluation: Sendable {
    public struct Miss: Sendable, Equatable {
        public var prompt: String
        public var expected: String
        public var got: String
    }

    public struct Score: Sendable, Equatable {
        public var corpus: String
        public var blockedTotal = 0
        public var blockedCaught = 0
        /// Caught and filed under the labelled category.
        public var categoryAgreed = 0
        public var evasionTotal = 0
        public var evasionCaught = 0
        public var allowedTotal = 0
        public var falsePositives = 0
        public var misses: [Miss] = []

        public var recall: Double { blockedTotal == 0 ? 1 : Double(blockedCaught) / Double(blockedTotal) }
        public var falsePositiveRate: Double { allowedTotal == 0 ? 0 : Double(falsePositives) / Double(allowedTotal) }
    }

    public static func load(_ url: URL) throws -> [LabelledPrompt] {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw KinoServiceError.invalid("Cannot read the moderation corpus \(url.path): \(error.localizedDescription)", param: "corpus")
        }
        var rows: [LabelledPrompt] = []
        for (number, line) in text.split(separator: "\n").enumerated() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            do {
                rows.append(try JSONDecoder().decode(LabelledPrompt.self, from: Data(line.utf8)))
            } catch {
                throw KinoServiceError.invalid("\(url.lastPathComponent) line \(number + 1) is not a labelled prompt: \(error)", param: "corpus")
            }
        }
        return rows
    }

    public static func score(_ policy: ModerationPolicy, _ rows: [LabelledPrompt], corpus: String) -> Score {
        var score = Score(corpus: corpus)
        for row in rows {
            let decision = policy.evaluate(row.prompt)
            if row.shouldBlock {
                score.blockedTotal += 1
                if row.evasion != nil { score.evasionTotal += 1 }
                if let decision {
                    score.blockedCaught += 1
                    if row.evasion != nil { score.evasionCaught += 1 }
                    if decision.category == row.category { score.categoryAgreed += 1 }
                } else {
                    score.misses.append(Miss(prompt: row.prompt, expected: "block (\(row.category ?? "?"))", got: "allowed"))
                }
            } else {
                score.allowedTotal += 1
                if let decision {
                    score.falsePositives += 1
                    score.misses.append(Miss(prompt: row.prompt, expected: "allow", got: "blocked by \(decision.rule) (\(decision.category))"))
                }
            }
        }
        return score
    }

    /// The report written to bench/moderation.md.
    public static func markdown(_ scores: [Score], policySource: String, command: String) -> String {
        func pct(_ x: Double) -> String { String(format: "%.1f%%", x * 100) }
        var lines = [
            "# Moderation: measured quality of the prompt policy",
            "",
            "Written by `\(command)`. Policy: \(policySource).",
            "`dev.jsonl` is the corpus the rules were written against; `eval.jsonl` (blocked prompts, evasions and",
            "tricky allowed prompts) and `benign.jsonl` (ordinary video prompts) were written and committed before the",
            "rules and are not tuned against (see docs/moderation.md). Acceptance: blocked recall >= 95% on eval,",
            "false positives <= 2% on benign.",
            "",
            "| corpus | blocked caught | recall | evasions caught | right category | allowed | false positives | FP rate |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for s in scores {
            lines.append("| \(s.corpus) | \(s.blockedCaught)/\(s.blockedTotal) | \(pct(s.recall)) | \(s.evasionCaught)/\(s.evasionTotal) | \(s.categoryAgreed)/\(s.blockedCaught) | \(s.allowedTotal) | \(s.falsePositives) | \(pct(s.falsePositiveRate)) |")
        }
        for s in scores where !s.misses.isEmpty && s.corpus != "dev" {
            lines += ["", "## Mistakes on \(s.corpus)", ""]
            for miss in s.misses {
                lines.append("- `\(miss.prompt.replacingOccurrences(of: "`", with: "'"))`: expected \(miss.expected), got \(miss.got)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
