import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import KinoService

/// `Idempotency-Key` on POST, the Stripe model: the first result (success or client error) is stored for 24 h and
/// replayed; a key still in flight gives 409; the same key with a different request gives 422. Server errors
/// and 429s release the key so that a retry runs again. The request is identified by its parsed fields (not raw bytes,
/// since multipart boundaries change between retries).
enum Idempotency {
    static func run(
        _ request: Request, context: KinoRequestContext, route: String, fields: RequestFields, store: any IdempotencyStore,
        retentionMillis: Int64, body: () async throws -> (HTTPResponse.Status, Data)
    ) async throws -> Response {
        guard let key = request.headers[.idempotencyKey], !key.isEmpty else {
            let (status, data) = try await body()
            return jsonResponse(data, status: status)
        }
        guard VideoLimits.length(key) <= 255 else {
            throw KinoServiceError(.invalidRequest, "Idempotency-Key must be at most 255 characters.", param: "Idempotency-Key", code: "invalid_idempotency_key")
        }
        let principal = try context.requirePrincipal()
        let hash = fingerprint(route: route, fields: fields)
        switch try await store.beginIdempotent(project: principal.project, key: key, requestHash: hash, now: Clock.nowMillis(), retentionMillis: retentionMillis) {
        case .replay(let status, let stored):
            var headers: HTTPFields = [.contentType: "application/json"]
            headers[.idempotentReplayed] = "true"
            return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(string: stored)))
        case .inFlight:
            throw KinoServiceError(.conflict, "A request with this Idempotency-Key is still being processed. Retry shortly.", code: "idempotency_key_in_use")
        case .mismatch:
            throw KinoServiceError(.idempotencyMismatch, "This Idempotency-Key was already used with a different request. Use a new key for a new request.", code: "idempotency_key_reused")
        case .proceed:
            break
        }
        let status: HTTPResponse.Status
        let data: Data
        do {
            (status, data) = try await body()
        } catch {
            let (errorStatus, errorData) = ErrorMapping.payload(for: error, logger: context.logger)
            // Server errors and 429 (a limit that clears with time) are not stored: a retry runs again.
            if errorStatus.code >= 500 || errorStatus.code == 429 {
                try? await store.abandonIdempotent(project: principal.project, key: key)
                throw error
            }
            (status, data) = (errorStatus, errorData)
        }
        try await store.finishIdempotent(project: principal.project, key: key, status: status.code, body: String(decoding: data, as: UTF8.self))
        return jsonResponse(data, status: status)
    }

    static func fingerprint(route: String, fields: RequestFields) -> String {
        var text = route + "\n"
        for name in fields.values.keys.sorted() { text += "v:\(name)=\(fields.values[name] ?? "")\n" }
        // A file's bytes count: the same key with another picture is another request.
        for name in fields.files.sorted() { text += "f:\(name)=\(fields.uploads[name].map { hexString(SHA256.hash(data: $0)) } ?? "")\n" }
        for name in fields.objects.sorted() { text += "o:\(name)\n" }
        return hexString(SHA256.hash(data: Array(text.utf8)))
    }
}
