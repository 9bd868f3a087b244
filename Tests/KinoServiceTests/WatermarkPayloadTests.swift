import Foundation
import KinoMedia
import Testing
@testable import KinoService

/// The service's side of the invisible watermark: which serials a render embeds (look-ups: ProvenanceLookupTests).
@Suite struct WatermarkPayloadTests {
    @Test func renderJobCarriesKeyAndVideoSerials() {
        let job = RenderJob(videoID: "video_x", model: "kino-tiny", prompt: "p", negativePrompt: nil, width: 512, height: 320,
                            seconds: 4, seed: 1, steps: nil, guidance: nil, style: nil, remix: nil, watermark: false,
                            keySerial: 12, videoSerial: 3456)
        #expect(job.watermarkPayload == WatermarkPayload(keySerial: 12, videoSerial: 3456))
    }
}
