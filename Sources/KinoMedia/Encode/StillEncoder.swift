import Foundation

/// Layout of a spritesheet: evenly spaced frames in a grid, left to right then top to bottom.
public struct SpritesheetOptions: Sendable, Hashable {
    public var columns: Int
    public var rows: Int
    /// Width of one tile in pixels; its height follows the clip's aspect ratio.
    public var tileWidth: Int
    /// JPEG quality on ffmpeg's `-q:v` scale, 2 (best) ... 31 (worst).
    public var jpegQScale: Int

    public init(columns: Int = 5, rows: Int = 5, tileWidth: Int = 256, jpegQScale: Int = 3) {
        self.columns = columns
        self.rows = rows
        self.tileWidth = tileWidth
        self.jpegQScale = jpegQScale
    }
}

/// The API's image `variant`s: a WebP thumbnail and a JPEG spritesheet, encoded by ffmpeg from raw RGB on
/// stdin. Blocking, like `MP4Encoder`.
public enum StillEncoder {
    /// Writes frame `frameIndex` (default: the middle frame) as a WebP picture, at most `maxWidth` wide
    /// (scaled down with Lanczos keeping the aspect ratio, never up). `quality` is libwebp's 0...100.
    public static func writeThumbnail(_ frames: VideoFrames, to url: URL, frameIndex: Int? = nil,
                                      maxWidth: Int? = nil, quality: Int = 85,
                                      timeoutSeconds: Double = 60) throws {
        guard frames.frameCount > 0 else { throw MediaError.invalidArgument("no frames to make a thumbnail from") }
        let index = frameIndex ?? frames.frameCount / 2
        var picture = try frames.selecting(frames: [index])
        if let maxWidth, maxWidth < picture.width {
            let height = max(1, Int((Double(picture.height) * Double(maxWidth) / Double(picture.width)).rounded()))
            picture = try Resizer.resize(picture, width: maxWidth, height: height, policy: .stretch)
        }
        try writeStill(picture, to: url, codecArguments: [
            "-c:v", "libwebp", "-lossless", "0", "-quality", String(max(0, min(100, quality))), "-f", "webp",
        ], timeoutSeconds: timeoutSeconds)
    }

    /// Writes a JPEG grid of `columns x rows` evenly spaced frames (fewer tiles for short clips; unused cells
    /// stay black).
    public static func writeSpritesheet(_ frames: VideoFrames, to url: URL,
                                        options: SpritesheetOptions = SpritesheetOptions(),
                                        timeoutSeconds: Double = 60) throws {
        let sheet = try spritesheet(frames, options: options)
        try writeStill(sheet, to: url, codecArguments: [
            "-c:v", "mjpeg", "-q:v", String(max(2, min(31, options.jpegQScale))),
            "-pix_fmt", "yuvj420p", "-f", "image2", "-update", "1",
        ], timeoutSeconds: timeoutSeconds)
    }

    /// The spritesheet picture itself (one frame), before JPEG encoding.
    public static func spritesheet(_ frames: VideoFrames, options: SpritesheetOptions) throws -> VideoFrames {
        guard options.columns > 0, options.rows > 0, options.tileWidth >= 2 else {
            throw MediaError.invalidArgument("spritesheet needs at least one column, one row and tiles 2 px wide")
        }
        guard frames.frameCount > 0 else { throw MediaError.invalidArgument("no frames to make a spritesheet from") }
        let tileW = options.tileWidth
        let tileH = max(2, Int((Double(frames.height) * Double(tileW) / Double(frames.width)).rounded()))
        let indices = frames.evenlySpacedFrameIndices(count: options.columns * options.rows)
        let tiles = try Resizer.resize(try frames.selecting(frames: indices), width: tileW, height: tileH,
                                       policy: .stretch)
        let sheetW = tileW * options.columns, sheetH = tileH * options.rows
        var sheet = [UInt8](repeating: 0, count: sheetW * sheetH * 3)
        for t in 0..<tiles.frameCount {
            let ox = (t % options.columns) * tileW, oy = (t / options.columns) * tileH
            let tile = tiles.frame(t)
            for y in 0..<tileH {
                let src = tile.startIndex + y * tileW * 3
                let dst = ((oy + y) * sheetW + ox) * 3
                sheet.replaceSubrange(dst..<dst + tileW * 3, with: tile[src..<src + tileW * 3])
            }
        }
        return try VideoFrames(width: sheetW, height: sheetH, frameRate: 1, pixels: sheet)
    }

    private static func writeStill(_ picture: VideoFrames, to url: URL, codecArguments: [String],
                                   timeoutSeconds: Double) throws {
        let args = [
            "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "\(picture.width)x\(picture.height)", "-i", "pipe:0",
            "-frames:v", "1",
        ] + codecArguments + [url.path]
        let bytes = picture.frame(0)
        _ = try ToolRunner.run(.ffmpeg, arguments: args, timeoutSeconds: timeoutSeconds, stdin: { write in
            _ = Array(bytes).withUnsafeBytes { write($0) }
        })
    }
}
