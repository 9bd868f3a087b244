import Foundation
import KinoTestSupport
import Synchronization
import Testing
@testable import KinoService

/// A disk that fails: transient faults are retried with backoff, permanent ones fail at once, and a job that
/// fails on storage tells its client only that storage failed (code `storage_error`, no path), while the
/// operator's log names the path.
@Suite("Storage failures")
struct StorageFailureTests {
    /// A `createDirectory` that throws `errno` for its first `failures` calls, then creates the folder.
    final class FlakyDisk: Sendable {
        let failures: Int
        let errno: POSIXErrorCode
        let calls = Mutex(0)

        init(failures: Int, errno: POSIXErrorCode) {
            self.failures = failures
            self.errno = errno
        }

        var create: @Sendable (URL) throws -> Void {
            { [self] url in
                let call = calls.withLock { $0 += 1; return $0 }
                if call <= failures { throw POSIXError(errno) }
                try OutputStore.createDirectoryOnDisk(url)
            }
        }
    }

    func outputs(_ disk: FlakyDisk) throws -> OutputStore {
        try OutputStore(root: FileManager.default.temporaryDirectory.appendingPathComponent("kino-disk-\(UUID().uuidString)"), createDirectory: disk.create)
    }

    let quick = StorageRetry(attempts: 4, backoff: .milliseconds(1))

    @Test func transientFaultsAreRetried() async throws {
        for errno in [POSIXErrorCode.EAGAIN, .EINTR, .ENOSPC] {
            let disk = FlakyDisk(failures: 2, errno: errno)
            let log = LogCapture()
            let folder = try await outputs(disk).prepare(videoID: "video_1", retry: quick, logger: log.logger())
            #expect(FileManager.default.fileExists(atPath: folder.path), "\(errno)")
            #expect(disk.calls.withLock { $0 } == 3, "\(errno)")
            #expect(log.messages.count == 2 && log.messages.allSatisfy { $0.contains(folder.path) }, "\(log.messages)")
        }
    }

    @Test func permanentFaultsFailAtOnceAndPersistentOnesAfterTheLastAttempt() async throws {
        let denied = FlakyDisk(failures: .max, errno: .EACCES)
        await #expect(throws: KinoServiceError.self) {
            _ = try await outputs(denied).prepare(videoID: "video_1", retry: quick, logger: LogCapture().logger())
        }
        #expect(denied.calls.withLock { $0 } == 1)
        let full = FlakyDisk(failures: .max, errno: .ENOSPC)
        do {
            _ = try await outputs(full).prepare(videoID: "video_1", retry: quick, logger: LogCapture().logger())
            Issue.record("a disk that stays full must fail")
        } catch let error as KinoServiceError {
            #expect(error.kind == .storage && error.message.contains("video_1"))
        }
        #expect(full.calls.withLock { $0 } == 4)
    }

    @Test func whatCountsAsAStorageFault() {
        #expect(StorageRetry.isStorage(POSIXError(.EACCES)) && StorageRetry.isStorage(CocoaError(.fileWriteNoPermission)))
        #expect(StorageRetry.isStorage(KinoServiceError(.storage, "disk")))
        #expect(!StorageRetry.isStorage(CocoaError(.coderReadCorrupt)) && !StorageRetry.isStorage(ScriptedRenderer.Failure(description: "x")))
        #expect(StorageRetry.isTransient(POSIXError(.EAGAIN)) && StorageRetry.isTransient(POSIXError(.ENOSPC)))
        #expect(!StorageRetry.isTransient(POSIXError(.EACCES)) && !StorageRetry.isTransient(POSIXError(.EROFS)))
    }

    /// The output root replaced by a plain file: creating a video's folder under it fails (ENOTDIR), for good.
    @Test func aJobThatCannotStoreItsFilesFailsWithoutNamingThem() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("kino-broken-\(UUID().uuidString)")
        let outputs = try OutputStore(root: root)
        try FileManager.default.removeItem(at: root)
        try Data("not a folder".utf8).write(to: root)
        let log = LogCapture()
        let job = try await runOneJob(outputs: outputs, renderer: ScriptedRenderer(), logger: log.logger())
        #expect(job.status == .failed && job.errorCode == "storage_error", "\(job.errorCode ?? "nil")")
        let message = try #require(job.errorMessage)
        #expect(!message.contains("/") && !message.contains("Cannot create"), "\(message)")
        #expect(log.messages.contains { $0.contains(root.path) }, "\(log.messages)")
    }

    /// A renderer error that names a file on the server is replaced too; plain messages pass through.
    @Test func renderErrorsNamingServerPathsAreReplaced() async throws {
        let outputs = try OutputStore(root: FileManager.default.temporaryDirectory.appendingPathComponent("kino-paths-\(UUID().uuidString)"))
        let log = LogCapture()
        let job = try await runOneJob(outputs: outputs, renderer: ScriptedRenderer(failure: "ffmpeg could not write /var/lib/kino/videos/x/video.mp4"),
                                      logger: log.logger())
        #expect(job.errorCode == "generation_failed" && job.errorMessage?.contains("/var/lib") == false, "\(job.errorMessage ?? "")")
        #expect(log.messages.contains { $0.contains("/var/lib/kino/videos/x/video.mp4") })
    }
}
