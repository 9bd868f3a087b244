import Foundation
import Testing
@testable import KinoService

/// `kino verify` turns the serials an invisible watermark carries back into a key and a video.
@Suite struct ProvenanceLookupTests {
    @Test func serialsFindTheirKeyAndVideo() throws {
        let store = try SQLiteStore(path: temporaryDatabasePath())
        let alice = try store.insertKey(id: "k_alice", name: "alice", project: "p1", scopes: [.generate], secretHash: "h1", now: 1)
        let bob = try store.insertKey(id: "k_bob", name: "bob", project: "p2", scopes: [.generate], secretHash: "h2", now: 2)
        let first = try store.insert(newJob("video_a"))
        let second = try store.insert(newJob("video_b"))
        #expect(try store.key(serial: alice.serial)?.name == "alice")
        #expect(try store.key(serial: bob.serial)?.id == "k_bob")
        #expect(try store.key(serial: bob.serial + 100) == nil)
        #expect(try store.videoID(serial: first.seq) == "video_a")
        #expect(try store.videoID(serial: second.seq) == "video_b")
        #expect(try store.videoID(serial: second.seq + 100) == nil)
    }
}
