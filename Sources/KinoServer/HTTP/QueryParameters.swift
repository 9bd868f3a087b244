import Hummingbird
import KinoService

/// The `limit` query parameter of a list route: a whole number in `range`, or nil when absent; anything else is a
/// 400 naming it (never a silent default).
func limitParameter(_ request: Request, range: ClosedRange<Int>) throws -> Int? {
    guard let text = request.uri.queryParameters.get("limit") else { return nil }
    guard let value = Int(text), range.contains(value) else {
        throw KinoServiceError(.invalidRequest, "limit must be a whole number from \(range.lowerBound) to \(range.upperBound), got '\(text)'.",
                               param: "limit", code: "invalid_value")
    }
    return value
}
