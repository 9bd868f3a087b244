import Foundation
import KinoMedia
import KinoPipeline

/// The step from decoded frames to the files a person receives: keep the planned frames, resize to the output
/// size, draw the visible watermark, embed the invisible watermark (always, whatever the visible mark says),
/// encode the MP4 and its variants, then sign the MP4's C2PA content credentials (every MP4 Kino writes carries
/// both).
enum ClipExport {
    /// Frames [1, 3, F, H, W] in [-1, 1] -> 8-bit frames at the plan's fps, keeping the plan's frame count.
    static func frames(from result: GenerationResult, plan: GenerationPlan) throws -> VideoFrames {
        let video = result.video
        let kept = min(plan.keptFrames, video.shape[2])
        let values = video.sliced(axis: 2, 0..<kept).contiguous().scalars
        return try VideoFrames(planarRGB: values, frameCount: kept, height: video.shape[3], width: video.shape[4],
                               frameRate: FrameRate(plan.fps))
    }

    /// x264 preset for turbo clips: at the same CRF, a quarter of `medium`'s encode time for a file about 2.3x
    /// larger (a 512x320 kino-tiny clip: 0.16 s against 0.64 s, 387 KB against 166 KB; docs/engine.md). The encode
    /// is fixed cost that no step saving touches, so turbo trades file size for it.
    static let turboPreset = "ultrafast"

    static func export(_ frames: VideoFrames, plan: GenerationPlan, to url: URL, outputs: ClipOutputs, marks: ClipMarks,
                       crf: Int?, turbo: Bool, provenance: ClipProvenance, progress: (ClipProgress) -> Void,
                       isCancelled: () -> Bool) throws -> ExportResult {
        func checkpoint() throws { if isCancelled() { throw ClipRenderError.cancelled } }
        var options = ExportOptions(width: plan.outputWidth, height: plan.outputHeight,
                                    watermark: marks.visible ? VisibleWatermark() : nil)
        if let crf { options.encoding.crf = crf }
        if turbo { options.encoding.preset = turboPreset }
        options.thumbnailURL = outputs.thumbnail
        options.spritesheetURL = outputs.spritesheet
        // Order matters: the invisible mark goes on the final pixels (after resizing and the visible mark), and
        // the C2PA hard binding on the final bytes.
        progress(ClipProgress(.finishing, fraction: nil))
        var prepared = try VideoExporter.prepare(frames, options: options)
        try checkpoint()
        InvisibleWatermark.embed(&prepared, payload: provenance.watermarkPayload)
        try checkpoint()
        progress(ClipProgress(.encodingVideo, fraction: nil))
        let exported = try VideoExporter.write(prepared, to: url, options: options, isCancelled: isCancelled)
        try checkpoint()
        progress(ClipProgress(.signing, fraction: nil))
        try provenance.sign(url)
        progress(ClipProgress(.signing, fraction: 1))
        return exported
    }
}
