import Foundation
import Logging

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
    /// Creates a folder and its parents. A seam for tests that need a disk that fails (full, busy, read-only).
    let createDirectory: @Sendable (URL) throws -> Void

    public init(root: URL, createDirectory: @escaping @Sendable (URL) throws -> Void = OutputStore.createDirectoryOnDisk) throws {
        self.root = root
        self.createDirectory = createDirectory
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

    public static let createDirectoryOnDisk: @Sendable (URL) throws -> Void = { url in
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// Empties (or creates) the folder a render writes into; one attempt.
    public func prepare(videoID: String) throws -> URL {
        let directory = directory(for: videoID)
        do {
            try attemptPrepare(directory)
        } catch {
            throw Self.cannotCreate(directory, error)
        }
        return directory
    }

    /// Empties (or creates) the folder a render writes into, retrying transient failures (a full or busy disk,
    /// an interrupted call: see `StorageRetry`) with backoff; each failed attempt is logged with its path.
    public func prepare(videoID: String, retry: StorageRetry = StorageRetry(), logger: Logger) async throws -> URL {
        let directory = directory(for: videoID)
        do {
            try await retry.run("create \(directory.path)", logger: logger) { try attemptPrepare(directory) }
        } catch {
            throw Self.cannotCreate(directory, error)
        }
        return directory
    }

    private func attemptPrepare(_ directory: URL) throws {
        try? FileManager.default.removeItem(at: directory)
        try createDirectory(directory)
    }

    /// For the operator's log: names the path. Clients never see it (`StorageRetry.clientMessage`).
    private static func cannotCreate(_ directory: URL, _ error: any Error) -> KinoServiceError {
        KinoServiceError.storage("Cannot create \(directory.path): \(error.localizedDescription)")
    }

    public func remove(videoID: String) {
        try? FileManager.default.removeItem(at: directory(for: videoID))
        for name in (try? FileManager.default.contentsOfDirectory(atPath: inputs.path)) ?? [] where name.hasPrefix(videoID + ".") {
            try? FileManager.default.removeItem(at: inputs.appendingPathComponent(name))
        }
    }

    /// Where input pictures wait for their job (`_inputs/<video id>.<ext>`; video ids never start with `_`). They live
    /// apart from the render folder, which a worker empties before every attempt.
    public var inputs: URL { root.appendingPathComponent("_inputs", isDirectory: true) }

    public func input(named name: String) -> URL { inputs.appendingPathComponent(name) }

    /// Stores a job's input picture before the job is queued (so no worker can claim it without its file); returns
    /// the file name the job records.
    public func storeInput(_ bytes: [UInt8], videoID: String, fileExtension: String) throws -> String {
        let name = "\(videoID).\(fileExtension)"
        do {
            try createDirectory(inputs)
            try Data(bytes).write(to: input(named: name), options: .atomic)
        } catch {
            throw KinoServiceError.storage("Cannot store the input picture \(input(named: name).path): \(error.localizedDescription)")
        }
        return name
    }

    /// Where characters' reference videos and stills live (`_characters/<id>.<ext>`), apart from videos and inputs.
    public var characters: URL { root.appendingPathComponent("_characters", isDirectory: true) }

    /// Stores a character's file under `name`; returns the name.
    public func storeCharacterFile(_ bytes: [UInt8], name: String) throws -> String {
        do {
            try createDirectory(characters)
            try Data(bytes).write(to: characters.appendingPathComponent(name), options: .atomic)
        } catch {
            throw KinoServiceError.storage("Cannot store the character file \(characters.appendingPathComponent(name).path): \(error.localizedDescription)")
        }
        return name
    }

    /// Where a by-id extension keeps its source's clean latents (the frames as rendered, before the source's marks).
    public func sourceLatents(videoID: String) -> URL { input(named: "\(videoID).latents.safetensors") }

    /// Copies a source video's latents beside the job, before it is queued; false when the source has none.
    public func storeSourceLatents(from sourceID: String, videoID: String) throws -> Bool {
        let source = latents(for: sourceID)
        guard FileManager.default.fileExists(atPath: source.path) else { return false }
        do {
            try createDirectory(inputs)
            try FileManager.default.copyItem(at: source, to: sourceLatents(videoID: videoID))
        } catch {
            throw KinoServiceError.storage("Cannot copy the source's latents to \(sourceLatents(videoID: videoID).path): \(error.localizedDescription)")
        }
        return true
    }
}
