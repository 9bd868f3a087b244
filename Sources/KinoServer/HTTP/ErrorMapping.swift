import Foundation
import HTTPTypes
import Hummingbird
import KinoService
import Logging
import NIOCore

/// The one place where errors become HTTP responses, in OpenAI's shape:
/// `{"error": {"message", "type", "param", "code"}}`.
enum ErrorMapping {
    struct Body: Encodable {
        struct Detail: Encodable {
            var message: String
            var type: String
            var param: String?
            var code: String?

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(message, forKey: .message)
                try container.encode(type, forKey: .type)
                try container.encode(param, forKey: .param)
                try container.encode(code, forKey: .code)
            }

            enum CodingKeys: String, CodingKey { case message, type, param, code }
        }
        var error: Detail
    }

    static func status(for kind: KinoServiceError.Kind) -> HTTPResponse.Status {
        switch kind {
        case .invalidRequest, .unsupported: .badRequest
        case .unauthenticated: .unauthorized
        case .permissionDenied: .forbidden
        case .notFound: .notFound
        case .conflict: .conflict
        case .idempotencyMismatch: .unprocessableContent
        case .leaseLost, .storage: .internalServerError
        case .rateLimited: .tooManyRequests
        case .tooLarge: HTTPResponse.Status(code: 413, reasonPhrase: "Content Too Large")
        case .unavailable: .serviceUnavailable
        }
    }

    static func type(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 401: "authentication_error"
        case 403: "permission_error"
        case 404: "not_found_error"
        case 429: "rate_limit_error"
        case 500...: "server_error"
        default: "invalid_request_error"
        }
    }

    /// Maps any error to status + body. Unknown errors become a 500 whose detail goes only to the log.
    static func response(for error: any Error, logger: Logger) -> Response {
        let (status, data) = payload(for: error, logger: logger)
        return jsonResponse(data, status: status, headers: headers(for: error))
    }

    /// `retry-after` and any `x-ratelimit-*` headers the error carries.
    static func headers(for error: any Error) -> HTTPFields {
        // A router error's own headers (405's `Allow`) are the client's to see.
        if let error = error as? HTTPError { return error.headers }
        guard let error = error as? KinoServiceError else { return [:] }
        var fields = HTTPFields()
        if let retry = error.retryAfterSeconds { fields[HTTPField.Name("retry-after")!] = String(retry) }
        for (name, value) in error.headers.sorted(by: { $0.key < $1.key }) {
            if let field = HTTPField.Name(name) { fields[field] = value }
        }
        return fields
    }

    static func payload(for error: any Error, logger: Logger) -> (HTTPResponse.Status, Data) {
        let status: HTTPResponse.Status
        let detail: Body.Detail
        switch error {
        case let error as KinoServiceError:
            status = Self.status(for: error.kind)
            let hidden = status.code >= 500 && error.kind != .unavailable
            if hidden { logger.error("request failed: \(error.message)") }
            let message = hidden ? "The server had an error while processing your request. Check the server log." : error.message
            detail = .init(message: message, type: type(for: status), param: error.param, code: error.code)
        case is NIOTooManyBytesError:
            // A route's own body limit (sign-in, pause, review decisions): the client sent too much, not a fault here.
            status = .init(code: 413, reasonPhrase: "Content Too Large")
            detail = .init(message: "The request body is larger than this route accepts; send a smaller body.",
                           type: type(for: status), param: nil, code: "request_too_large")
        case let error as HTTPError:
            status = error.status
            let message = error.body ?? defaultMessage(for: status)
            detail = .init(message: message, type: type(for: status), param: nil, code: code(for: status))
        default:
            status = .internalServerError
            logger.error("unexpected error: \(error)")
            detail = .init(message: "The server had an error while processing your request. Check the server log.", type: "server_error", param: nil, code: nil)
        }
        return (status, encodeJSON(Body(error: detail)))
    }

    static func code(for status: HTTPResponse.Status) -> String? {
        switch status.code {
        case 404: "not_found"
        case 405: "method_not_allowed"
        default: nil
        }
    }

    static func defaultMessage(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 404: "Unknown route. See /v1/openapi.yaml for the routes this server has."
        case 405: "This route does not accept that method."
        case 413: "The request body is too large."
        default: status.reasonPhrase
        }
    }
}

/// Encodes `value` as a JSON response.
func json(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
    jsonResponse(encodeJSON(value), status: status, headers: headers)
}

func encodeJSON(_ value: some Encodable) -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return (try? encoder.encode(value)) ?? Data(#"{"error":{"message":"encoding failed","type":"server_error","param":null,"code":null}}"#.utf8)
}

func jsonResponse(_ data: Data, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
    var fields = headers
    fields[.contentType] = "application/json"
    return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

/// Outermost middleware: assigns the request id, maps thrown errors (the only catch site), and stamps
/// `x-request-id` and `openai-processing-ms` on every response.
struct APIResponseMiddleware: RouterMiddleware {
    typealias Context = KinoRequestContext
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var context = context
        var generator = SystemRandomNumberGenerator()
        context.requestID = "req_" + hexString((0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) })
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            var log = logger
            log[metadataKey: "request"] = "\(context.requestID)"
            response = ErrorMapping.response(for: error, logger: log)
        }
        let elapsed = ContinuousClock.now - start
        let millis = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        response.headers[.requestID] = context.requestID
        response.headers[.processingMS] = String(millis)
        return response
    }
}
