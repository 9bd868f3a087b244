import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import Synchronization

/// The server's HTTP/1 channel with two protections Hummingbird's defaults leave off:
/// - an idle timeout (`HTTP1Channel.Configuration.idleTimeout`): a connection that sends nothing, or only part
///   of a request head, or sits idle between requests, is closed after `idleTimeout`. Without it half-open and
///   idle sockets (a slowloris, a crashed client) stayed open indefinitely and each held a file descriptor.
///   A response in progress (a download, an event stream) is never cut by it.
/// - a cap on open connections: beyond `maxConnections`, a new connection gets an immediate 503 in OpenAI's
///   error shape and is closed, so the limit is visible to the client instead of a silent stall in the
///   accept queue (what Hummingbird's own `MaximumAvailableConnections` back-pressure does).
struct CappedHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value
    let base: HTTP1Channel
    let gate: ConnectionGate

    static func builder(idleTimeout: Duration, maxConnections: Int, logger: Logger) -> HTTPServerBuilder {
        let gate = ConnectionGate(limit: maxConnections, logger: logger)
        let configuration = HTTP1Channel.Configuration(idleTimeout: TimeAmount(idleTimeout))
        return HTTPServerBuilder { responder in
            CappedHTTP1Channel(base: HTTP1Channel(responder: responder, configuration: configuration), gate: gate)
        }
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        guard gate.enter() else {
            // The HTTP pipeline is still built so the connection ends the ordinary way; the handler in front
            // answers before any request is read.
            let refuse = channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(RefuseConnectionHandler(), position: .first)
            }
            return refuse.flatMap { base.setup(channel: channel, logger: logger) }
        }
        let gate = self.gate
        channel.closeFuture.whenComplete { _ in gate.leave() }
        return base.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

/// Counts open connections against the cap.
final class ConnectionGate: Sendable {
    let limit: Int
    let logger: Logger
    private let open = Atomic<Int>(0)

    init(limit: Int, logger: Logger) {
        self.limit = max(1, limit)
        self.logger = logger
    }

    /// Takes a place for a new connection; false (and no place taken) when all `limit` places are in use.
    func enter() -> Bool {
        let now = open.add(1, ordering: .sequentiallyConsistent).newValue
        guard now > limit else { return true }
        open.subtract(1, ordering: .sequentiallyConsistent)
        logger.warning("refused a connection: \(limit) connections are open (--max-connections)")
        return false
    }

    func leave() {
        open.subtract(1, ordering: .sequentiallyConsistent)
    }
}

/// Answers 503 with `Connection: close` as soon as the connection is active, then closes it; anything the
/// client sends is dropped unread.
final class RefuseConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private var answered = false

    static let response: String = {
        let status = HTTPResponse.Status.serviceUnavailable
        let body = String(decoding: encodeJSON(ErrorMapping.Body(error: .init(
            message: "The server has too many open connections. Try again in a moment.",
            type: ErrorMapping.type(for: status), param: nil, code: "too_many_connections"))), as: UTF8.self)
        return "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: \(body.utf8.count)\r\n"
            + "retry-after: 1\r\nconnection: close\r\n\r\n" + body
    }()

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { answer(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        answer(context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    private func answer(_ context: ChannelHandlerContext) {
        guard !answered else { return }
        answered = true
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: Self.response))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}
