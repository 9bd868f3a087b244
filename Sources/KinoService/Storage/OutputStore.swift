import Foundation

/// The downloadable assets of a video.
public enum VideoVariant: String, Sendable, CaseIterable {
    case video, thumbnail, spritesheet

    public var fileName: String {
        switch self {
        case .video: RenderOutput.video
        case .thumbnail: RenderOutput.thumbnail
        case .spritesheet: RenderOutput.spritesheet
        }
    }

    public var contentType: String {
        switch self {
        case .video: "video/mp4"
        case .thumbnail: "image/webp"
        case .spritesheet: "image/jpeg"
        }
    }
}

/// Where rendered files live: `<root>/<video id>/video.mp4` and friends. Local folder now; an object store with
/// the same shape can come later for workers on other machines.
public struct OutputStore: Sendable {
    public let root: URL

    public init(root: URL) throws {
        self.root = root
        do {
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        } catch {
            throw KinoServiceError.storage("Cannot create the output folder \(root.path): \(error.localizedDescription)")
        }
    }

    public func directory(for videoID: String) -> URL {
        root.appendingPathComponent(videoID, isDirectory: true)
    }

    public func file(for videoID: String, _ variant: VideoVariant) -> URL {
        directory(for: videoID).appendingPathComponent(variant.fileName)
    }

    public func latents(for videoID: String) -> URL {
        directory(for: videoID).appendingPathComponent(RenderOutput.latents)
    }

    /// Empties (or creates) the folder a render writes into.
    public func prepare(videoID: String) throws -> URL {
        let directory = directory(for: videoID)
        try? FileManager.default.removeItem(at: directory)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw KinoServiceError.storage("Cannot create \(directory.path): \(error.localizedDescription)")
        }
        return directory
    }

    public func remove(videoID: String) {
        try? FileManager.default.removeItem(at: directory(for: videoID))
    }
}
