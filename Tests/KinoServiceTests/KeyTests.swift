import Foundation
import Testing
@testable import KinoService

@Suite("API keys")
struct KeyTests {
    @Test func tokenFormatAndChecksum() throws {
        var generator = SystemRandomNumberGenerator()
        let token = APIKeyToken.generate(using: &generator)
        #expect(token.token.hasPrefix("kino_") && token.token.count == 5 + 12 + 1 + 32 + 6)
        #expect(APIKeyToken.parse(token.token) == token)
        var chars = Array(token.token)
        chars[20] = chars[20] == "A" ? "B" : "A"
        #expect(APIKeyToken.parse(String(chars)) == nil, "a typo fails the checksum")
        #expect(APIKeyToken.parse("sk-123") == nil)
        #expect(token.hash.count == 64 && token.hash != token.token)
    }

    @Test func constantTimeCompare() {
        #expect(constantTimeEquals(Array("abc".utf8), Array("abc".utf8)))
        #expect(!constantTimeEquals(Array("abc".utf8), Array("abd".utf8)))
        #expect(!constantTimeEquals(Array("abc".utf8), Array("abcd".utf8)))
    }

    @Test(arguments: StoreKind.allCases)
    func createAuthenticateRevoke(kind: StoreKind) async throws {
        let store = try kind.make()
        let keys = KeyService(store: store)
        let alice = try await keys.create(name: "alice")
        let bob = try await keys.create(name: "bob", scopes: [.read], project: "team")
        let carol = try await keys.create(name: "carol", project: "team")
        #expect(alice.record.project == "key-\(alice.record.id)" && alice.record.scopes == [.generate, .read])
        #expect(bob.record.project == "team" && carol.record.project == "team")
        #expect(Set([alice, bob, carol].map(\.record.serial)).count == 3)
        let principal = try await keys.authenticate(token: alice.token)
        #expect(principal.project == alice.record.project && principal.keyID == alice.record.id)
        await #expect(throws: KinoServiceError.self) { try await keys.authenticate(token: bob.token).require(.generate) }
        // A well-formed token whose secret does not match the stored hash.
        let forged = APIKeyToken.parse(alice.token).map { _ in alice.token.replacingOccurrences(of: alice.record.id, with: bob.record.id) }
        await #expect(throws: KinoServiceError.self) { try await keys.authenticate(token: forged ?? "") }
        try await keys.revoke(id: alice.record.id)
        await #expect(throws: KinoServiceError(.unauthenticated, "This API key (\(alice.record.id)) has been revoked. Ask an administrator for a new key.", code: "revoked_api_key")) {
            try await keys.authenticate(token: alice.token)
        }
        await #expect(try await keys.list().filter { !$0.isActive }.map(\.id) == [alice.record.id])
        await #expect(throws: KinoServiceError.self) { try await keys.revoke(id: "nosuchkey") }
        #expect(store is SQLiteStore)
    }

    @Test func revocationReachesAnotherProcessOnTheNextRequest() async throws {
        let path = temporaryDatabasePath()
        let server = KeyService(store: try SQLiteStore(path: path))
        let cli = KeyService(store: try SQLiteStore(path: path))
        let key = try await cli.create(name: "k")
        await #expect(try await server.authenticate(token: key.token).keyName == "k")
        try await cli.revoke(id: key.record.id)
        await #expect(throws: KinoServiceError.self) { try await server.authenticate(token: key.token) }
    }

    @Test func sessionsEndWithTheirKey() async throws {
        let keys = KeyService(store: try SQLiteStore.inMemory())
        let key = try await keys.create(name: "studio")
        let session = try await keys.startSession(token: key.token, lifetimeMillis: 60_000)
        #expect(session.cookie != key.token && session.csrf != session.cookie)
        await #expect(try await keys.session(cookie: session.cookie).csrf == session.csrf)
        try await keys.revoke(id: key.record.id)
        await #expect(throws: KinoServiceError.self) { try await keys.session(cookie: session.cookie) }
    }

    @Test func scopeParsing() throws {
        #expect(try Scope.parseList("generate, read,watermark-free") == [.generate, .read, .watermarkFree])
        #expect(throws: KinoServiceError.self) { try Scope.parseList("generate,fly") }
        #expect(throws: KinoServiceError.self) { try Scope.parseList("") }
        #expect(Scope.format([.read, .admin, .generate]) == "generate,read,admin")
    }

    @Test func bootstrapCreatesOneAdminKey() async throws {
        let keys = KeyService(store: try SQLiteStore.inMemory())
        let admin = try await await #require(try await keys.bootstrapAdminKeyIfNeeded())
        #expect(admin.record.scopes.contains(.admin))
        await await #expect(try await keys.bootstrapAdminKeyIfNeeded() == nil)
    }
}
