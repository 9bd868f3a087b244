import HTTPTypes
import Hummingbird

/// HEAD wherever GET exists: the request runs as a GET and the answer keeps its status and headers (length and
/// type included) without the body, so a streamed body (a file, an event stream) is never produced. It wraps the
/// whole router because routes match on the method before any router middleware runs.
struct HeadResponder<Base: HTTPResponder>: HTTPResponder where Base.Context == KinoRequestContext {
    let base: Base

    func respond(to request: Request, context: KinoRequestContext) async throws -> Response {
        guard request.method == .head else { return try await base.respond(to: request, context: context) }
        var head = request.head
        head.method = .get
        var response = try await base.respond(to: Request(head: head, body: request.body), context: context)
        let length = response.headers[.contentLength]
        response.body = ResponseBody()
        if let length { response.headers[.contentLength] = length }
        return response
    }
}
