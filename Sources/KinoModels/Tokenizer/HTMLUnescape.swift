/// HTML character-reference unescaping with the exact rules of Python's `html.unescape`:
/// named references from the HTML5 table (longest legacy prefix without ';' as the standard says), decimal and
/// hexadecimal references with the Windows-1252 fix-ups, U+FFFD for surrogates and out-of-range values, and
/// removal of the code points Python treats as invalid.
public enum HTMLUnescape {
    /// Named references, keyed by name including the trailing ';' where the table has one.
    static let named: [String: [Unicode.Scalar]] = {
        var table: [String: [Unicode.Scalar]] = [:]
        table.reserveCapacity(2300)
        for line in HTMLEntityTable.named.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard let name = fields.first else { continue }
            let scalars = fields.dropFirst().compactMap { UInt32($0, radix: 16).flatMap(Unicode.Scalar.init) }
            table[String(name)] = scalars
        }
        return table
    }()

    public static func unescape(_ text: String) -> String {
        let input = Array(text.unicodeScalars)
        guard input.contains("&") else { return text }
        var output = String.UnicodeScalarView()
        var i = 0
        while i < input.count {
            if input[i] == "&", let (replacement, consumed) = reference(in: input, at: i + 1) {
                output.append(contentsOf: replacement)
                i += 1 + consumed
            } else {
                output.append(input[i])
                i += 1
            }
        }
        return String(output)
    }

    /// Matches Python's `&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)` at `start` (just after '&')
    /// and returns the replacement and the number of scalars matched after the '&'.
    private static func reference(in s: [Unicode.Scalar], at start: Int) -> ([Unicode.Scalar], Int)? {
        guard start < s.count else { return nil }
        if s[start] == "#" {
            return numericReference(in: s, at: start)
        }
        var end = start
        while end < s.count, end - start < 32, !isNameTerminator(s[end]) { end += 1 }
        guard end > start else { return nil }
        var name = String(String.UnicodeScalarView(s[start..<end]))
        if end < s.count, s[end] == ";" {
            name.append(";")
            end += 1
        }
        let consumed = end - start
        if let value = named[name] { return (value, consumed) }
        // The longest prefix (at least 2 scalars) that is a legacy name without ';'.
        let scalars = Array(name.unicodeScalars)
        var length = scalars.count - 1
        while length > 1 {
            let prefix = String(String.UnicodeScalarView(scalars[0..<length]))
            if let value = named[prefix] {
                return (value + scalars[length...], consumed)
            }
            length -= 1
        }
        return (["&"] + scalars, consumed)
    }

    private static func isNameTerminator(_ c: Unicode.Scalar) -> Bool {
        c == "\t" || c == "\n" || c == "\u{0C}" || c == " " || c == "<" || c == "&" || c == "#" || c == ";"
    }

    private static func numericReference(in s: [Unicode.Scalar], at start: Int) -> ([Unicode.Scalar], Int)? {
        var i = start + 1
        var radix: UInt64 = 10
        if i < s.count, s[i] == "x" || s[i] == "X" {
            radix = 16
            i += 1
        }
        let digitsStart = i
        var value: UInt64 = 0
        var overflow = false
        while i < s.count, let digit = digitValue(s[i], radix: radix) {
            if !overflow {
                let (product, o1) = value.multipliedReportingOverflow(by: radix)
                let (sum, o2) = product.addingReportingOverflow(digit)
                overflow = o1 || o2
                value = sum
            }
            i += 1
        }
        guard i > digitsStart else { return nil }
        if i < s.count, s[i] == ";" { i += 1 }
        let consumed = i - start
        if overflow || value > 0x10FFFF { return (["\u{FFFD}"], consumed) }
        let code = UInt32(value)
        if let fixed = HTMLEntityTable.numericReplacements[code], let scalar = Unicode.Scalar(fixed) {
            return ([scalar], consumed)
        }
        if (0xD800...0xDFFF).contains(code) { return (["\u{FFFD}"], consumed) }
        if HTMLEntityTable.removedCodePoints.contains(code) { return ([], consumed) }
        guard let scalar = Unicode.Scalar(code) else { return (["\u{FFFD}"], consumed) }
        return ([scalar], consumed)
    }

    private static func digitValue(_ c: Unicode.Scalar, radix: UInt64) -> UInt64? {
        switch c.value {
        case 0x30...0x39: return UInt64(c.value - 0x30)
        case 0x41...0x46 where radix == 16: return UInt64(c.value - 0x41 + 10)
        case 0x61...0x66 where radix == 16: return UInt64(c.value - 0x61 + 10)
        default: return nil
        }
    }
}
