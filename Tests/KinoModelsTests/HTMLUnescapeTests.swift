import Testing
@testable import KinoModels

/// Expected values are what Python 3.11's html.unescape returns.
struct HTMLUnescapeTests {
    @Test(arguments: [
        ("&amp;", "&"),
        ("&amp", "&"),
        ("&ampx", "&x"),
        ("&notit;", "¬it;"),
        ("&notin;", "∉"),
        ("&NotEqualTilde;", "\u{2242}\u{338}"),
        ("&bogus;", "&bogus;"),
        ("&#65;&#x42;&#X43", "ABC"),
        ("&#0;", "\u{FFFD}"),
        ("&#150;", "–"),
        ("&#xD800;", "\u{FFFD}"),
        ("&#x110000;", "\u{FFFD}"),
        ("&#99999999999999999999999;", "\u{FFFD}"),
        ("&#1;x", "x"),
        ("&#x;", "&#x;"),
        ("&#;", "&#;"),
        ("& amp;", "& amp;"),
        ("&&amp;", "&&"),
        ("&Tab;&NewLine;", "\t\n"),
        ("&amp;amp;", "&amp;"),
    ])
    func matchesPython(_ input: String, _ expected: String) {
        #expect(HTMLUnescape.unescape(input) == expected)
    }

    @Test func tableIsComplete() {
        #expect(HTMLUnescape.named.count == 2231)
        #expect(HTMLUnescape.named["hearts;"] == ["\u{2665}"])
    }

    @Test func cleaningUnescapesTwiceAndCollapsesWhitespace() {
        #expect(WanPromptCleaner.clean("  a&amp;amp;lt;b \t\r\n c\u{1C}") == "a&lt;b c")
        #expect(WanPromptCleaner.clean("x\u{1C}y") == "x\u{1C}y")
    }
}
