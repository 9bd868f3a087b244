import Foundation
import NIOCore

/// Fetching input pictures given as http(s) URLs. Off unless the operator turns it on: the server then makes
/// requests its users choose, so every hop is checked like a webhook target (public addresses only, unless
/// allowed), redirects are followed by hand and re-checked, and size, time and content type are capped.
public struct RemoteReferenceSettings: Sendable {
    public var maxBytes: Int
    public var timeout: Duration = .seconds(15)
    public var maxRedirects = 3
    /// Lets URLs reach private and loopback addresses (`--allow-private-references`; for tests and closed networks).
    public var allowPrivate = false
    public static let contentTypes = ["image/png", "image/jpeg", "image/webp"]

    public init(maxBytes: Int = 20 << 20) {
        self.maxBytes = maxBytes
    }
}

extension VideoService {
    static let remoteFlag = "--allow-remote-references"

    /// The http(s) `input_reference` of a create request (the field itself or its `image_url`) and the request's
    /// other fields, when the server fetches remote pictures; nil otherwise (validation then refuses the URL).
    func remoteReference(in fields: RequestFields) -> (param: String, url: String, others: RequestFields)? {
        guard configuration.remoteReferences != nil, configuration.checkImage != nil else { return nil }
        for param in ["input_reference[image_url]", "input_reference"] {
            guard let text = fields[param], ["http://", "https://"].contains(where: { text.prefix(8).lowercased().hasPrefix($0) }) else { continue }
            // Two references are refused by validation, which sees the other one.
            guard !(param == "input_reference[image_url]" && fields.has("input_reference")) else { continue }
            var others = fields
            others.values[param] = nil
            return (param, text, others)
        }
        return nil
    }

    func fetchPicture(_ url: String, param: String, settings: RemoteReferenceSettings) async throws -> [UInt8] {
        var next = url
        for _ in 0...settings.maxRedirects {
            let target = try await OutboundHTTP.target(next, allowPrivate: settings.allowPrivate, param: param, flag: "`kino serve --allow-private-references`")
            let response: OutboundHTTP.Response
            do {
                response = try await OutboundHTTP.send(target, method: .GET, headers: [("accept", RemoteReferenceSettings.contentTypes.joined(separator: ", "))],
                                                       timeout: settings.timeout, maxBytes: settings.maxBytes)
            } catch is NIOTooManyBytesError {
                throw KinoServiceError.invalid("The picture at \(param) is larger than \(settings.maxBytes) bytes, the most this server fetches.", param: param)
            } catch {
                throw KinoServiceError.invalid("The picture at \(param) could not be fetched (\(error)); upload it instead.", param: param, code: "unreachable_url")
            }
            if (300..<400).contains(response.status), let location = response.location,
               let resolved = URL(string: location, relativeTo: target.url)?.absoluteString {
                next = resolved
                continue
            }
            guard response.status == 200 else {
                throw KinoServiceError.invalid("Fetching \(param) answered HTTP \(response.status); it must answer 200 with a picture.", param: param, code: "unreachable_url")
            }
            let type = (response.contentType ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
            guard RemoteReferenceSettings.contentTypes.contains(type) else {
                throw KinoServiceError.invalid("\(param) served '\(type.isEmpty ? "no content type" : type)'; a picture must be "
                                               + RemoteReferenceSettings.contentTypes.joined(separator: ", ") + ".", param: param, code: "invalid_image")
            }
            return response.body
        }
        throw KinoServiceError.invalid("\(param) redirected more than \(settings.maxRedirects) times.", param: param, code: "unreachable_url")
    }
}
