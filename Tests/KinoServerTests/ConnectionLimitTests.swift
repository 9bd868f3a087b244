#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import KinoServer
import Testing

/// Sockets are a server's scarcest resource: a connection that sends nothing, or stops halfway through a
/// request head, is closed after the idle timeout, and connections beyond the cap get a 503 and are closed.
/// Each test configures small limits so it runs in about a second.
@Suite("Connection limits")
struct ConnectionLimitTests {
    @Test func silentAndHalfSentConnectionsAreClosed() async throws {
        var app = try await TestApp()
        app.configuration.idleTimeout = .milliseconds(400)
        try await app.runLive { _, port in
            let silent = try RawConnection(port: port)
            let halfHead = try RawConnection(port: port)
            halfHead.send("GET /healthz HTTP/1.1\r\nHost: local")
            let start = ContinuousClock.now
            #expect(await silent.readUntilClosed(timeout: 5) == .closed)
            #expect(await halfHead.readUntilClosed(timeout: 5) == .closed)
            #expect(ContinuousClock.now - start < .seconds(4))
            // A connection that keeps talking is served.
            let live = try RawConnection(port: port)
            live.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            #expect(await live.readResponseHead(timeout: 5)?.hasPrefix("HTTP/1.1 200") == true)
        }
    }

    @Test func connectionsBeyondTheCapGet503() async throws {
        var app = try await TestApp()
        app.configuration.maxConnections = 2
        try await app.runLive { _, port in
            // The test client may hold one of the two places already; the third raw connection is over the cap
            // either way.
            let first = try RawConnection(port: port)
            first.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            #expect(await first.readResponseHead(timeout: 5)?.hasPrefix("HTTP/1.1 200") == true)
            let second = try RawConnection(port: port)
            let third = try RawConnection(port: port)
            let refused = await third.readAll(timeout: 5)
            #expect(refused.hasPrefix("HTTP/1.1 503"), "\(refused)")
            #expect(refused.contains(#""code":"too_many_connections""#), "\(refused)")
            second.close()
            first.close()
            // Places come back when connections close.
            try await Task.sleep(for: .milliseconds(200))
            let again = try RawConnection(port: port)
            again.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            #expect(await again.readResponseHead(timeout: 5)?.hasPrefix("HTTP/1.1 200") == true)
        }
    }
}

/// A blocking TCP client on 127.0.0.1, for sending exactly the bytes a test wants.
final class RawConnection {
    enum Outcome: Equatable { case closed, stillOpen }
    private var fd: Int32

    init(port: Int) throws {
        #if canImport(Glibc)
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, result == 0 else { throw POSIXError(.ECONNREFUSED) }
    }

    deinit { close() }

    func close() {
        #if canImport(Glibc)
        if fd >= 0 { _ = Glibc.close(fd) }
        #else
        if fd >= 0 { _ = Darwin.close(fd) }
        #endif
        fd = -1
    }

    func send(_ text: String) {
        _ = Array(text.utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    enum Chunk { case bytes([UInt8]), closed, timedOut }

    /// The next bytes the server sends, polled without blocking: a blocking read would hold one of the few
    /// cooperative-pool threads that the in-process server needs to answer.
    private func next(until deadline: ContinuousClock.Instant) async -> Chunk {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while ContinuousClock.now < deadline {
            let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if count > 0 { return .bytes(Array(buffer[0..<count])) }
            if count == 0 { return .closed }
            guard errno == EAGAIN || errno == EWOULDBLOCK else { return .closed }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return .timedOut
    }

    /// Reads until the peer closes (or resets) the connection, or `timeout` seconds pass without it.
    func readUntilClosed(timeout: Double) async -> Outcome {
        let deadline = ContinuousClock.now + .seconds(timeout)
        while true {
            switch await next(until: deadline) {
            case .bytes: continue
            case .closed: return .closed
            case .timedOut: return .stillOpen
            }
        }
    }

    /// Everything the server sends until it closes the connection (or `timeout` passes).
    func readAll(timeout: Double) async -> String {
        let deadline = ContinuousClock.now + .seconds(timeout)
        var bytes: [UInt8] = []
        while case .bytes(let chunk) = await next(until: deadline) { bytes += chunk }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The response's status line and headers (and whatever followed them in the same reads), without waiting
    /// for the connection to close.
    func readResponseHead(timeout: Double) async -> String? {
        let deadline = ContinuousClock.now + .seconds(timeout)
        var bytes: [UInt8] = []
        while case .bytes(let chunk) = await next(until: deadline) {
            bytes += chunk
            let text = String(decoding: bytes, as: UTF8.self)
            if text.contains("\r\n\r\n") { return text }
        }
        return nil
    }
}
