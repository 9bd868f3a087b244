import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Requests Kino makes to addresses its users give it (webhook endpoints, remote input pictures). A user must not
/// be able to make the server reach into its own network (server-side request forgery): the host is resolved
/// here, every address it resolves to is checked, and the connection goes to the checked address (pinned, so a
/// second DNS answer cannot differ). No proxies from the environment, no redirects followed blindly.
public enum OutboundHTTP {
    /// A URL that passed the checks, with the address to connect to.
    public struct Target: Sendable {
        public var url: URL
        public var host: String
        public var address: String
    }

    public struct Response: Sendable {
        public var status: Int
        public var contentType: String?
        public var location: String?
        public var body: [UInt8]
    }

    /// Parses and checks `text`: http(s) only, plain http and private or loopback addresses only when
    /// `allowPrivate`, no user name or password in the URL.
    public static func target(_ text: String, allowPrivate: Bool, param: String, flag: String) async throws -> Target {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let rawHost = url.host, !rawHost.isEmpty else {
            throw KinoServiceError.invalid("\(param) must be an https:// URL; got '\(text.prefix(200))'.", param: param)
        }
        guard url.user == nil, url.password == nil else {
            throw KinoServiceError.invalid("\(param) must not carry a user name or password.", param: param)
        }
        guard scheme == "https" || allowPrivate else {
            throw KinoServiceError.invalid("\(param) must use https:// (plain http:// is allowed only with \(flag)).", param: param)
        }
        let host = rawHost.hasPrefix("[") && rawHost.hasSuffix("]") ? String(rawHost.dropFirst().dropLast()) : rawHost
        let addresses: [String]
        do {
            addresses = try await onOwnThread(named: "kino-resolve") { try resolve(host) }
        } catch {
            throw KinoServiceError.invalid("The host of \(param) ('\(host)') could not be resolved.", param: param, code: "unreachable_url")
        }
        guard let first = addresses.first else {
            throw KinoServiceError.invalid("The host of \(param) ('\(host)') has no address.", param: param, code: "unreachable_url")
        }
        if !allowPrivate, let blocked = addresses.first(where: isPrivate) {
            throw KinoServiceError.invalid(
                "\(param) points at \(blocked), a private, loopback or reserved address; this server only reaches public addresses "
                + "(its operator can allow private ones with \(flag)).", param: param, code: "private_address")
        }
        return Target(url: url, host: host, address: first)
    }

    /// Sends one request to a checked target and reads at most `maxBytes` of the answer. Redirects are returned,
    /// not followed: the caller checks the next URL like the first.
    public static func send(_ target: Target, method: HTTPMethod, headers: [(String, String)] = [], body: [UInt8]? = nil,
                            timeout: Duration, maxBytes: Int) async throws -> Response {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow,
                                                     timeout: .init(connect: .seconds(5), read: .seconds(Int64(timeout.components.seconds))))
        configuration.dnsOverride = [target.host: target.address]
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            var request = HTTPClientRequest(url: target.url.absoluteString)
            request.method = method
            request.headers.add(name: "user-agent", value: "Kino")
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
            let answer = try await client.execute(request, timeout: .seconds(Int64(timeout.components.seconds)))
            let buffer = try await answer.body.collect(upTo: maxBytes)
            let response = Response(status: Int(answer.status.code), contentType: answer.headers.first(name: "content-type"),
                                    location: answer.headers.first(name: "location"), body: Array(buffer.readableBytesView))
            try await client.shutdown()
            return response
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    static func resolve(_ host: String) throws -> [String] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let list else { throw KinoServiceError.invalid("unresolvable", param: nil) }
        defer { freeaddrinfo(list) }
        var result: [String] = []
        var node: UnsafeMutablePointer<addrinfo>? = list
        while let current = node {
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(current.pointee.ai_addr, current.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if !result.contains(text) { result.append(text) }
            }
            node = current.pointee.ai_next
        }
        return result
    }

    /// Loopback, private, link-local, carrier-grade NAT, multicast, documentation and other reserved ranges, in
    /// IPv4 and IPv6 (and IPv4 written inside IPv6).
    public static func isPrivate(_ address: String) -> Bool {
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 {
            return isPrivateV4(withUnsafeBytes(of: v4.s_addr) { Array($0) })
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, address.split(separator: "%").first.map(String.init) ?? address, &v6) == 1 else { return true }
        let b = withUnsafeBytes(of: v6) { Array($0) }
        if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xFF && b[11] == 0xFF { return isPrivateV4(Array(b[12..<16])) }
        if b[0..<12].allSatisfy({ $0 == 0 }) { return true }              // ::, ::1, IPv4-compatible
        if b[0] & 0xFE == 0xFC { return true }                               // fc00::/7 unique local
        if b[0] == 0xFE && b[1] & 0xC0 == 0x80 { return true }               // fe80::/10 link-local
        if b[0] == 0xFE && b[1] & 0xC0 == 0xC0 { return true }               // fec0::/10 site-local
        if b[0] == 0xFF { return true }                                      // multicast
        if b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B { return true } // 64:ff9b::/96 NAT64
        if b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8 { return true } // 2001:db8::/32 documentation
        if b[0] == 0x20 && b[1] == 0x02 { return true }                      // 6to4 may carry a private IPv4
        return false
    }

    static func isPrivateV4(_ b: [UInt8]) -> Bool {
        switch (b[0], b[1]) {
        case (0, _), (10, _), (127, _), (169, 254), (192, 168), (255, _): return true
        case (100, 64...127), (172, 16...31), (198, 18...19): return true
        case (192, 0) where b[2] == 0 || b[2] == 2: return true
        case (198, 51) where b[2] == 100, (203, 0) where b[2] == 113: return true
        case (224..., _): return true
        default: return false
        }
    }
}
