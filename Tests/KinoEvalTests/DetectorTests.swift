import Foundation
import KinoMedia
import Testing
@testable import KinoEval

/// Metamorphic checks: changing what a clip shows must change what the detectors say.
@Suite("KinoEval detectors")
struct DetectorTests {
    @Test("mirroring or reversing a clip flips the detected direction", arguments: [Direction.left, .right])
    func direction(_ travel: Direction) throws {
        let item = try Fixture.clip { $0.direction == travel && $0.style == .plain && $0.count == 1 }
        let opposite: Direction = travel == .left ? .right : .left
        #expect(Detectors.direction(Foreground(item.clip)) == travel)
        #expect(Detectors.direction(Foreground(try item.clip.mirrored())) == opposite)
        #expect(Detectors.direction(Foreground(try item.clip.reversed())) == opposite)
    }

    @Test("reversing a falling clip makes it rise; a spinning object goes nowhere")
    func vertical() throws {
        let fall = try Fixture.clip { $0.motion == "fall" && $0.style == .plain }
        #expect(Detectors.direction(Foreground(fall.clip)) == .down)
        #expect(Detectors.direction(Foreground(try fall.clip.reversed())) == .up)
        let spin = try Fixture.clip { $0.motion == "spin" && $0.style == .plain }
        #expect(Detectors.direction(Foreground(spin.clip)) == Direction.none)
    }

    @Test("swapping red and blue turns a red object blue")
    func colourSwap() throws {
        let item = try Fixture.clip { $0.colour == .red && $0.style == .plain }
        #expect(Detectors.colour(item.clip, Foreground(item.clip)) == .red)
        let swapped = try item.clip.swappingRedBlue()
        #expect(Detectors.colour(swapped, Foreground(swapped)) == .blue)
    }

    @Test("a clip of the bare background shows no object")
    func empty() throws {
        let item = try Fixture.clip { $0.scene == .grass && $0.style == .plain }
        let fg = Foreground(item.clip)
        let w = item.clip.width, h = item.clip.height
        var rgb: [Float] = []
        for _ in 0..<item.clip.frameCount { for y in 0..<h { for _ in 0..<w { rgb += [fg.background[y].r, fg.background[y].g, fg.background[y].b] } } }
        let bare = try EvalClip(width: w, height: h, frameCount: item.clip.frameCount, rgb: rgb)
        let bareFg = Foreground(bare)
        #expect(Detectors.count(bareFg) == 0)
        #expect(Detectors.direction(bareFg) == nil)
        #expect(Detectors.colour(bare, bareFg) == nil)
        #expect(Detectors.scene(bareFg) == .grass)
    }

    @Test("turning a clip grey makes it noir and hides its scene palette")
    func grey() throws {
        let item = try Fixture.clip { $0.scene == .sea && $0.style == .plain }
        #expect(StyleFeatures(item.clip).style == .plain)
        let grey = try item.clip.mapFrames { _, v in v }.greyscale()
        #expect(StyleFeatures(grey).style == .noir)
    }

    @Test("the contact sheet shows each clip's middle frame in a numbered grid")
    func contactSheet() throws {
        let clips = try (0..<5).map { k in try Fixture.clip { $0.id == k }.clip }
        let sheet = try ContactSheet.make(clips.enumerated().map { .init(clip: $0.element, label: "\($0.offset)H") }, columns: 3)
        let tileH = clips[0].height + PixelFont.glyphHeight + 2
        #expect(sheet.width == 3 * clips[0].width && sheet.height == 2 * tileH)
        let c = clips[4].pixel(clips[4].frameCount / 2, 10, 20)
        let o = ((tileH + 20) * sheet.width + clips[0].width + 10) * 3   // tile 4: column 1, row 1
        #expect(sheet.pixels[o] == VideoFrames.quantize(c.r * 2 - 1))
        #expect(sheet.pixels[o + 2] == VideoFrames.quantize(c.b * 2 - 1))
    }

    @Test("the report lists seen and held-out scores and every clip")
    func report() throws {
        let verdicts = Array(try Fixture.verdicts.get().prefix(12))
        let md = QualityReport(model: "m", modelDescription: "d (step 1)", command: "kino eval", settings: "s",
                               machine: "x", seconds: 1, verdicts: verdicts, groundTruth: verdicts, sheetPath: "q.jpg").markdown
        #expect(md.contains("| colour % | \(verdicts.split(.seen).tally(.colour))"))
        #expect(md.contains("| \(verdicts.split(.heldOut).tally(.direction)) |"))
        #expect(verdicts.allSatisfy { md.contains($0.prompt.prompt) })
    }
}

extension EvalClip {
    func greyscale() throws -> EvalClip {
        var out = rgb
        for i in stride(from: 0, to: rgb.count, by: 3) {
            let l = 0.299 * rgb[i] + 0.587 * rgb[i + 1] + 0.114 * rgb[i + 2]
            out[i] = l; out[i + 1] = l; out[i + 2] = l
        }
        return try EvalClip(width: width, height: height, frameCount: frameCount, rgb: out)
    }
}
