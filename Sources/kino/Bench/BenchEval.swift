import KinoEval

extension EvalPromptSet {
    /// An evenly spread subset of `limit` prompts (nil, or at least the set's size: every prompt), for quick
    /// comparisons; reports meant to be final use every prompt.
    func spread(_ limit: Int?) -> EvalPromptSet {
        guard let limit, limit < prompts.count else { return self }
        var subset = self
        let stride = Double(prompts.count) / Double(max(limit, 1))
        subset.prompts = (0..<max(limit, 1)).map { prompts[Int(Double($0) * stride)] }
        return subset
    }
}

extension Array where Element == Verdict {
    /// The mean change, in points, over the criteria both sets score: `self` against `baseline`.
    func meanChange(from baseline: [Verdict]) -> Double {
        var total = 0.0, scored = 0
        for c in Criterion.allCases {
            guard let a = baseline.tally(c).fraction, let b = tally(c).fraction else { continue }
            total += 100 * (b - a)
            scored += 1
        }
        return total / Double(Swift.max(scored, 1))
    }
}
