/// The generic cell rate algorithm: a token bucket stored as one number per key, the theoretical arrival time
/// (TAT) of the next request. A request is allowed when it does not arrive more than `burst` emission intervals
/// before its TAT. Times are Unix milliseconds; the caller stores `newTAT` only when the request is allowed.
public struct GCRA: Sendable, Equatable {
    public var ratePerMinute: Int
    public var burst: Int

    public init(ratePerMinute: Int, burst: Int? = nil) {
        self.ratePerMinute = max(1, ratePerMinute)
        self.burst = max(1, burst ?? ratePerMinute)
    }

    /// Milliseconds between requests at the steady rate.
    public var interval: Double { 60_000 / Double(ratePerMinute) }

    public struct Decision: Sendable, Equatable {
        public var allowed: Bool
        /// The TAT to store (unchanged when refused).
        public var newTAT: Int64
        /// Requests that could still be made right now.
        public var remaining: Int
        /// Milliseconds until the bucket is full again.
        public var resetMillis: Int64
        /// Milliseconds until the next request would be allowed (0 when allowed).
        public var retryAfterMillis: Int64
    }

    public func decide(tat storedTAT: Int64?, now: Int64) -> Decision {
        let window = interval * Double(burst)
        let tat = Double(max(storedTAT ?? now, now))
        let newTAT = tat + interval
        let allowAt = newTAT - window
        if Double(now) < allowAt {
            let remaining = 0
            return Decision(
                allowed: false, newTAT: storedTAT ?? now, remaining: remaining,
                resetMillis: Int64((tat - Double(now)).rounded(.up)),
                retryAfterMillis: Int64((allowAt - Double(now)).rounded(.up)))
        }
        let remaining = Int(((Double(now) + window - newTAT) / interval).rounded(.down))
        return Decision(
            allowed: true, newTAT: Int64(newTAT.rounded(.up)), remaining: max(0, remaining),
            resetMillis: Int64((newTAT - Double(now)).rounded(.up)), retryAfterMillis: 0)
    }
}

/// OpenAI's duration spelling in `x-ratelimit-reset-requests`: "12ms", "1.5s", "6m0s".
public func rateLimitDuration(millis: Int64) -> String {
    if millis < 1000 { return "\(max(0, millis))ms" }
    if millis < 60_000 {
        let seconds = Double(millis) / 1000
        var text = String(format: "%.3f", seconds)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text + "s"
    }
    let minutes = millis / 60_000
    let seconds = (millis % 60_000) / 1000
    return "\(minutes)m\(seconds)s"
}
