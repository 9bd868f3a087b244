import Testing
@testable import KinoService

/// The one size parser the API, the CLI and the benches share.
@Suite struct VideoLimitsTests {
    @Test func sizesParseWithinBounds() {
        #expect(VideoLimits.parseSize("1280x720") == VideoSize(width: 1280, height: 720))
        #expect(VideoLimits.parseSize("1280X720") == VideoSize(width: 1280, height: 720))
        for bad in ["1280*720", "1280x", "x720", "0x720", "1280x-1", "9000x720", "12x34x56", "", "big"] {
            #expect(VideoLimits.parseSize(bad) == nil, "\(bad)")
        }
    }
}
