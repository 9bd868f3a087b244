import HTTPTypes
import Hummingbird
import Synchronization

/// The methods each registered path answers, for telling "no such route" (404) from "this route exists but not
/// with that method" (405 with `Allow`, RFC 9110 §15.5.6). A client that sends OPTIONS, TRACE or PUT to
/// `/v1/videos` learns what the route does accept instead of being told it does not exist.
///
/// Filled once from `Router.routes` after every route is registered; the router keeps its own table private.
final class RouteMethods: Sendable {
    private struct Route {
        var components: [RouterPath.Element]
        var methods: Set<HTTPRequest.Method>
    }

    private let routes = Mutex<[Route]>([])

    func load(_ descriptions: [Router<KinoRequestContext>.RouteDescription]) {
        var grouped: [String: Route] = [:]
        for route in descriptions {
            grouped[route.path.description, default: Route(components: route.path.components, methods: [])].methods.insert(route.method)
        }
        routes.withLock { $0 = Array(grouped.values) }
    }

    /// The methods the route matching `path` accepts, sorted, GET implying HEAD (HeadResponder answers HEAD
    /// wherever GET exists); nil when no route matches. Like the router's trie, a literal segment beats a
    /// parameter, so `/v1/videos/characters` is the POST-only route, not `/v1/videos/{video_id}`.
    func allowed(for path: String) -> [String]? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        let best = routes.withLock { routes in
            routes.filter { route in
                route.components.count == segments.count && zip(route.components, segments).allSatisfy { $0 ~= $1 }
            }
            .max { Self.specificity($0.components, segments).lexicographicallyPrecedes(Self.specificity($1.components, segments)) }
        }
        guard let best else { return nil }
        var methods = Set(best.methods.map(\.rawValue))
        if methods.contains("GET") { methods.insert("HEAD") }
        return methods.sorted()
    }

    /// Which of the matching routes the trie would pick: the first literal segment where they differ decides.
    private static func specificity(_ components: [RouterPath.Element], _ segments: [Substring]) -> [Int] {
        zip(components, segments).map { $0 == $1 ? 1 : 0 }
    }
}

/// Turns the router's "no route" 404 into a 405 with `Allow` when the path exists under other methods. It sits
/// at the router level, inside `APIResponseMiddleware`, because the router runs router-level middleware around
/// its not-found responder too; a handler's own 404 (an unknown video) passes through untouched.
struct MethodNotAllowedMiddleware: RouterMiddleware {
    typealias Context = KinoRequestContext
    let routes: RouteMethods

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound && context.endpointPath == "NotFound" {
            guard let allowed = routes.allowed(for: request.uri.path) else { throw error }
            throw HTTPError(
                .methodNotAllowed, headers: [.allow: allowed.joined(separator: ", ")],
                message: "\(request.method.rawValue) is not allowed on \(request.uri.path). This route accepts: \(allowed.joined(separator: ", ")).")
        }
    }
}
