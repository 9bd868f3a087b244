import Foundation
import Testing
@testable import KinoService

/// The service's side of the invisible watermark: which serials a render embeds (look-ups: ProvenanceLookupTests).
@Suite struct WatermarkPayloadTests {
    @Test func renderJobCarriesKeyAndVideoSerials() async throws {
        let store = try SQLiteStore.inMemory()
        _ = try await store.insert(newJob("video_a"))
        let job = try await store.insert(newJob("video_b"))
        let serials = RenderJob(job: job).watermarkSerials
        #expect(serials.key == 7)
        #expect(serials.video == 2 && job.seq == 2)
    }
}
