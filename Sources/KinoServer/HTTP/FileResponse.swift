import Foundation
import HTTPTypes
import Hummingbird

/// What a `Range` header asks of a file of `size` bytes (one range; browsers seek and stream video with them,
/// Safari needs them to play).
enum ByteRange: Equatable {
    /// No header, or one this server does not serve (several ranges, bad syntax): send the whole file.
    case whole
    case partial(ClosedRange<Int>)
    /// Well-formed but past the end of the file: 416 with `Content-Range: bytes */size`.
    case unsatisfiable

    /// Parses `bytes=start-end`, `bytes=start-` or `bytes=-suffix`.
    static func parse(_ header: String?, size: Int) -> ByteRange {
        guard let header, header.hasPrefix("bytes="), !header.contains(",") else { return .whole }
        let spec = header.dropFirst("bytes=".count).split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard spec.count == 2 else { return .whole }
        if spec[0].isEmpty {
            guard let suffix = Int(spec[1]) else { return .whole }
            guard suffix > 0, size > 0 else { return .unsatisfiable }
            return .partial(max(0, size - suffix)...(size - 1))
        }
        guard let first = Int(spec[0]), spec[1].isEmpty || Int(spec[1]) != nil else { return .whole }
        let last = spec[1].isEmpty ? size - 1 : min(Int(spec[1]) ?? (size - 1), size - 1)
        if let end = Int(spec[1]), end < first { return .whole }
        guard first < size else { return .unsatisfiable }
        return .partial(first...last)
    }
}

/// A file as an HTTP response with `Accept-Ranges` and single-range support.
func fileResponse(_ file: URL, contentType: String, headers extra: HTTPFields, request: Request,
                  context: KinoRequestContext) async throws -> Response {
    let size = ((try? FileManager.default.attributesOfItem(atPath: file.path)[.size]) as? Int) ?? 0
    var headers = extra
    headers[.contentType] = contentType
    headers[.acceptRanges] = "bytes"
    switch ByteRange.parse(request.headers[.range], size: size) {
    case .partial(let range):
        headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(size)"
        headers[.contentLength] = String(range.count)
        return Response(status: .partialContent, headers: headers,
                        body: try await FileIO().loadFile(path: file.path, range: range, context: context))
    case .unsatisfiable:
        var fields: HTTPFields = [.contentRange: "bytes */\(size)"]
        fields[.contentType] = "application/json"
        let data = encodeJSON(ErrorMapping.Body(error: .init(
            message: "The requested range starts past the end of the file (\(size) bytes).", type: "invalid_request_error",
            param: nil, code: "range_not_satisfiable")))
        return Response(status: .rangeNotSatisfiable, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    case .whole:
        headers[.contentLength] = String(size)
        return Response(status: .ok, headers: headers, body: try await FileIO().loadFile(path: file.path, context: context))
    }
}
