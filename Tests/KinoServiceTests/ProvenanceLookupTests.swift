import Foundation
import Testing
@testable import KinoService

/// `kino verify` turns the serials an invisible watermark carries back into a key and a video.
@Suite struct ProvenanceLookupTests {
    @Test func serialsFindTheirKeyAndVideo() async throws {
        let store = try SQLiteStore(path: temporaryDatabasePath())
        let alice = try await store.insertKey(id: "k_alice", name: "alice", project: "p1", scopes: [.generate], secretHash: "h1", now: 1)
        let bob = try await store.insertKey(id: "k_bob", name: "bob", project: "p2", scopes: [.generate], secretHash: "h2", now: 2)
        let first = try await store.insert(newJob("video_a"))
        let second = try await store.insert(newJob("video_b"))
        await #expect(try await store.key(serial: alice.serial)?.name == "alice")
        await #expect(try await store.key(serial: bob.serial)?.id == "k_bob")
        await #expect(try await store.key(serial: bob.serial + 100) == nil)
        await #expect(try await store.videoID(serial: first.seq) == "video_a")
        await #expect(try await store.videoID(serial: second.seq) == "video_b")
        await #expect(try await store.videoID(serial: second.seq + 100) == nil)
    }
}
