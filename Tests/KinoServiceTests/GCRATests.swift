import Testing
@testable import KinoService

@Suite("GCRA")
struct GCRATests {
    @Test func burstThenSteadyRate() {
        let gcra = GCRA(ratePerMinute: 60, burst: 3)  // one per second, three at once
        var tat: Int64?
        var remaining: [Int] = []
        for _ in 0..<3 {
            let d = gcra.decide(tat: tat, now: 10_000)
            #expect(d.allowed)
            tat = d.newTAT
            remaining.append(d.remaining)
        }
        #expect(remaining == [2, 1, 0])
        let refused = gcra.decide(tat: tat, now: 10_000)
        #expect(!refused.allowed && refused.retryAfterMillis == 1_000 && refused.newTAT == tat)
        #expect(refused.resetMillis == 3_000, "the bucket refills in three intervals")
        #expect(!gcra.decide(tat: tat, now: 10_999).allowed)
        let later = gcra.decide(tat: tat, now: 11_000)
        #expect(later.allowed && later.remaining == 0)
    }

    @Test func idleKeyRefills() {
        let gcra = GCRA(ratePerMinute: 2)  // burst defaults to one minute's worth
        let first = gcra.decide(tat: nil, now: 0)
        let second = gcra.decide(tat: first.newTAT, now: 0)
        #expect(first.allowed && second.allowed && second.remaining == 0)
        #expect(!gcra.decide(tat: second.newTAT, now: 1).allowed)
        let afterAMinute = gcra.decide(tat: second.newTAT, now: 60_000)
        #expect(afterAMinute.allowed && afterAMinute.remaining == 1)
    }

    @Test func durationsAreSpelledLikeOpenAI() {
        #expect(rateLimitDuration(millis: 12) == "12ms")
        #expect(rateLimitDuration(millis: 1_000) == "1s")
        #expect(rateLimitDuration(millis: 1_500) == "1.5s")
        #expect(rateLimitDuration(millis: 360_000) == "6m0s")
    }
}
