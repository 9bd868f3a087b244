import Foundation
@testable import KinoService

typealias FullStore = any ServiceStore

/// The stores every contract test runs against. PostgreSQL joins this list when it exists.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqliteMemory
    case sqliteFile

    var testDescription: String { rawValue }

    func make() throws -> FullStore {
        switch self {
        case .sqliteMemory: return try SQLiteStore.inMemory()
        case .sqliteFile: return try SQLiteStore(path: temporaryDatabasePath())
        }
    }
}

func temporaryDatabasePath() -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kino-tests-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder.appendingPathComponent("kino.sqlite").path
}

func newJob(_ id: String, project: String = "p1", at time: Int64 = 0, maxAttempts: Int = 3) -> NewVideoJob {
    NewVideoJob(
        id: id, project: project, keyID: nil, keySerial: 7, model: "sora-2", engineModel: "kino-tiny", prompt: "prompt \(id)",
        seconds: 4, size: VideoSize(width: 1280, height: 720), settings: GenerationSettings(seed: 42), watermark: true,
        maxAttempts: maxAttempts, createdAt: time)
}

import Testing
