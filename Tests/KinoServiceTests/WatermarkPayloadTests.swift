import Foundation
import KinoMedia
import Testing
@testable import KinoService

/// The service's side of the invisible watermark: which serials a render embeds, and looking them up again.
@Suite struct WatermarkPayloadTests {
    @Test func renderJobCarriesKeyAndVideoSerials() {
        let job = RenderJob(videoID: "video_x", model: "kino-tiny", prompt: "p", negativePrompt: nil, width: 512, height: 320,
                            seconds: 4, seed: 1, steps: nil, guidance: nil, style: nil, remix: nil, watermark: false,
                            keySerial: 12, videoSerial: 3456)
        #expect(job.watermarkPayload == WatermarkPayload(keySerial: 12, videoSerial: 3456))
    }

    @Test func ownerLookupFindsTheKeyAndTheVideo() throws {
        let store = try SQLiteStore.inMemory()
        let first = try store.insertKey(id: "k1", name: "alice", project: "p1", scopes: [.generate], secretHash: "h1", now: 0)
        let second = try store.insertKey(id: "k2", name: "bob", project: "p1", scopes: [.generate], secretHash: "h2", now: 0)
        _ = try store.insert(newJob("v1"))
        let video = try store.insert(newJob("v2"))
        let owner = try store.watermarkOwner(WatermarkPayload(keySerial: UInt32(second.serial), videoSerial: UInt32(video.seq)))
        #expect(owner.key?.name == "bob")
        #expect(owner.key?.id != first.id)
        #expect(owner.video?.id == "v2")
        let local = try store.watermarkOwner(.local)
        #expect(local.key == nil && local.video == nil)
        let unknown = try store.watermarkOwner(WatermarkPayload(keySerial: 999, videoSerial: 999))
        #expect(unknown.key == nil && unknown.video == nil)
    }
}
