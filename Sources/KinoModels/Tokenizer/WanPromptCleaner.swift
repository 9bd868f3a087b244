/// Wan's prompt cleaning as diffusers' `pipeline_wan.prompt_clean` does it when ftfy is not installed:
/// HTML-unescape twice, strip, collapse every run of whitespace to one space, strip again.
///
/// Two different whitespace sets are involved, as in Python: `str.strip()` uses `str.isspace()`, which also
/// counts U+001C...U+001F; the collapsing uses the `regex` module's `\s`, which is Unicode White_Space.
/// Everything works on Unicode scalars (a Swift `Character` would treat "\r\n" as one unit).
public enum WanPromptCleaner {
    public static func clean(_ prompt: String) -> String {
        let unescaped = HTMLUnescape.unescape(HTMLUnescape.unescape(prompt))
        let stripped = strip(Array(unescaped.unicodeScalars), isPythonSpace)
        var collapsed: [Unicode.Scalar] = []
        collapsed.reserveCapacity(stripped.count)
        var inRun = false
        for scalar in stripped {
            if isWhiteSpace(scalar) {
                if !inRun { collapsed.append(" ") }
                inRun = true
            } else {
                collapsed.append(scalar)
                inRun = false
            }
        }
        return String(String.UnicodeScalarView(strip(collapsed, isPythonSpace)))
    }

    /// Unicode White_Space (what `regex`'s `\s` matches).
    static func isWhiteSpace(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    /// Python's `str.isspace()`: White_Space plus the information separators U+001C...U+001F.
    static func isPythonSpace(_ c: Unicode.Scalar) -> Bool {
        isWhiteSpace(c) || (0x1C...0x1F).contains(c.value)
    }

    private static func strip(_ s: [Unicode.Scalar], _ isSpace: (Unicode.Scalar) -> Bool) -> ArraySlice<Unicode.Scalar> {
        var start = s.startIndex
        var end = s.endIndex
        while start < end, isSpace(s[start]) { start += 1 }
        while end > start, isSpace(s[end - 1]) { end -= 1 }
        return s[start..<end]
    }
}
