import Foundation
import Hummingbird
import KinoService

/// Turns a create/remix body (multipart/form-data, JSON, or url-encoded) into `RequestFields`.
enum RequestBody {
    static func fields(contentType: String?, body: [UInt8]) throws -> RequestFields {
        let type = (contentType ?? "").lowercased()
        if type.hasPrefix("multipart/form-data") {
            guard let boundary = parameter("boundary", in: contentType ?? "") else {
                throw KinoServiceError(.invalidRequest, "multipart/form-data needs a boundary parameter in Content-Type.", code: "invalid_body")
            }
            return try Multipart.parse(body, boundary: boundary)
        }
        if type.hasPrefix("application/x-www-form-urlencoded") {
            return RequestFields(values: try strictFormDecode(body))
        }
        if body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            return RequestFields()
        }
        return try json(body)
    }

    static func json(_ body: [UInt8]) throws -> RequestFields {
        let object: [String: JSONValue]
        do {
            object = try JSONDecoder().decode([String: JSONValue].self, from: Data(body))
        } catch {
            throw KinoServiceError(.invalidRequest, "The request body is not a valid JSON object. Send a JSON object or multipart/form-data.", code: "invalid_json")
        }
        // After decoding, so a body that is not JSON at all gets the JSON error rather than a duplicate-key one.
        if let key = JSONDuplicateKeys.firstDuplicate(in: body) { throw duplicate(key) }
        var fields = RequestFields()
        for (name, value) in object.sorted(by: { $0.key < $1.key }) {
            let expected = jsonKinds[name] ?? .string
            switch value {
            case .null:
                throw KinoServiceError(.invalidRequest, "'\(name)' is null. Leave it out to use the default, or send a \(expected.rawValue).",
                                       param: name, code: "invalid_type")
            case .scalar(let text, let kind):
                guard kind == expected else {
                    throw KinoServiceError(.invalidRequest, "'\(name)' must be a JSON \(expected.rawValue), got a \(kind.rawValue)"
                                           + (expected == .string ? " (write it in quotes, e.g. \"\(text)\")." : "."),
                                           param: name, code: "invalid_type")
                }
                fields.values[name] = text
            case .object(let members) where flattened.contains(name):
                // `{"input_reference": {"image_url": "..."}}` arrives as the SDK's multipart form would send it.
                for (member, value) in members.sorted(by: { $0.key < $1.key }) {
                    guard case .scalar(let text, .string) = value else {
                        throw KinoServiceError(.invalidRequest, "'\(name).\(member)' must be a string.", param: "\(name)[\(member)]", code: "invalid_type")
                    }
                    fields.values["\(name)[\(member)]"] = text
                }
            case .list(let items) where listed.contains(name) && items.allSatisfy({ !$0.contains(",") }):
                // A list of names (`"event_types": ["video.completed", ...]`) arrives as a form would send it.
                fields.values[name] = items.joined(separator: ",")
            case .structured, .object, .list: fields.objects.insert(name)
            }
        }
        return fields
    }

    /// Fields that are lists of strings; their items become one comma-separated value.
    static let listed: Set<String> = ["event_types"]

    /// Object fields whose string members become `name[member]` fields.
    static let flattened: Set<String> = ["input_reference", "video"]

    /// The JSON type of each non-string field a route takes (OpenAPI document: CreateVideo, RemixVideo); every
    /// other field is a string. A value of another type is refused rather than converted: `"turbo": "yes"` or
    /// `"reason": true` is a client bug to report, not a guess to make.
    static let jsonKinds: [String: JSONValue.Kind] = [
        "seed": .number, "steps": .number, "guidance": .number, "strength": .number, "turbo": .boolean, "watermark": .boolean,
        "keep_old_secret_active_for_24_hours": .boolean, "allow_download": .boolean,
    ]

    /// The value of `name=` in a header such as `multipart/form-data; boundary=xyz`.
    static func parameter(_ name: String, in header: String) -> String? {
        for part in header.split(separator: ";").dropFirst() {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, pair[0].lowercased() == name else { continue }
            return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return nil
    }

    /// A url-encoded API body: invalid UTF-8 or percent-encoding, and repeated names, are errors naming the field.
    static func strictFormDecode(_ body: [UInt8]) throws -> [String: String] {
        guard let text = String(validating: body, as: UTF8.self) else {
            throw KinoServiceError(.invalidRequest, "The form body is not valid UTF-8.", code: "invalid_body")
        }
        var result: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let raw = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ") }
            guard let name = raw.first?.removingPercentEncoding, !name.isEmpty,
                  let value = (raw.count > 1 ? raw[1] : "").removingPercentEncoding else {
                throw KinoServiceError(.invalidRequest, "The form field '\(raw.first ?? "")' is not valid percent-encoded UTF-8.",
                                       param: raw.first, code: "invalid_body")
            }
            guard result[name] == nil else { throw duplicate(name) }
            result[name] = value
        }
        return result
    }

    static func duplicate(_ name: String) -> KinoServiceError {
        KinoServiceError(.invalidRequest, "The field '\(name)' appears more than once; send it once.", param: name, code: "duplicate_parameter")
    }

    static func formDecode(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
            }
            guard let name = parts.first, !name.isEmpty else { continue }
            result[name] = parts.count > 1 ? parts[1] : ""
        }
        return result
    }
}

/// A small multipart/form-data parser (RFC 7578): text parts become values, parts with a filename become files.
enum Multipart {
    static func parse(_ body: [UInt8], boundary: String) throws -> RequestFields {
        let delimiter = Array("--\(boundary)".utf8)
        var fields = RequestFields()
        var positions: [Int] = []
        var index = 0
        while let found = find(delimiter, in: body, from: index) {
            positions.append(found)
            index = found + delimiter.count
        }
        guard positions.count >= 2 else {
            throw KinoServiceError(.invalidRequest, "The multipart body has no parts for boundary '\(boundary)'.", code: "invalid_body")
        }
        // The closing delimiter ends with "--": without it the body was cut short and its last part may be partial.
        let closing = positions[positions.count - 1] + delimiter.count
        guard closing + 1 < body.count, body[closing] == 0x2D, body[closing + 1] == 0x2D else {
            throw KinoServiceError(.invalidRequest, "The multipart body ends without its closing boundary '--\(boundary)--'; it was cut short. Send it again.",
                                   code: "invalid_body")
        }
        for (start, end) in zip(positions, positions.dropFirst()) {
            var partStart = start + delimiter.count
            // Skip the CRLF after the delimiter; the part ends before the CRLF preceding the next delimiter.
            if partStart + 1 < body.count, body[partStart] == 0x0D, body[partStart + 1] == 0x0A { partStart += 2 }
            var partEnd = end
            if partEnd >= 2, body[partEnd - 2] == 0x0D, body[partEnd - 1] == 0x0A { partEnd -= 2 }
            guard partStart <= partEnd else { continue }
            let part = Array(body[partStart..<partEnd])
            guard let split = find(Array("\r\n\r\n".utf8), in: part, from: 0) else { continue }
            let headers = String(decoding: part[0..<split], as: UTF8.self)
            let content = Array(part[(split + 4)...])
            var name: String?
            var isFile = false
            for line in headers.components(separatedBy: "\r\n") where line.lowercased().hasPrefix("content-disposition:") {
                name = RequestBody.parameter("name", in: line)
                isFile = RequestBody.parameter("filename", in: line) != nil
            }
            guard let name else { continue }
            guard !fields.has(name) else { throw RequestBody.duplicate(name) }
            if isFile {
                fields.files.insert(name)
                fields.uploads[name] = content
            } else {
                guard let text = String(validating: content, as: UTF8.self) else {
                    throw KinoServiceError(.invalidRequest, "The multipart field '\(name)' is not valid UTF-8.", param: name, code: "invalid_body")
                }
                fields.values[name] = text
            }
        }
        return fields
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        var i = start
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == needle[0] {
                var match = true
                for j in 1..<needle.count where haystack[i + j] != needle[j] {
                    match = false
                    break
                }
                if match { return i }
            }
            i += 1
        }
        return nil
    }
}

/// A JSON value reduced to what request validation needs: scalars as their text and JSON type, containers as
/// "structured".
enum JSONValue: Decodable {
    enum Kind: String { case string, number, boolean }

    case null
    case scalar(String, Kind)
    case object([String: JSONValue])
    case list([String])
    case structured

    init(from decoder: any Decoder) throws {
        if let container = try? decoder.singleValueContainer() {
            if container.decodeNil() { self = .null; return }
            if let value = try? container.decode(Bool.self) { self = .scalar(value ? "true" : "false", .boolean); return }
            if let value = try? container.decode(Int64.self) { self = .scalar(String(value), .number); return }
            if let value = try? container.decode(Double.self) { self = .scalar(String(value), .number); return }
            if let value = try? container.decode(String.self) { self = .scalar(value, .string); return }
            if let value = try? container.decode([String: JSONValue].self) { self = .object(value); return }
            if let value = try? container.decode([String].self) { self = .list(value); return }
        }
        self = .structured
    }
}
