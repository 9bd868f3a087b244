import Foundation
import Logging

/// Storage faults, as the service treats them: transient ones (a disk momentarily full or busy, an interrupted
/// call) are retried a few times with backoff before a job fails; whatever the fault, the client is told only
/// that the server could not store its files, with a code, while the operator's log gets the path and the
/// system's error. A client cannot act on `/srv/kino/videos/video_…: Permission denied`, and should not learn
/// the server's layout from it.
public struct StorageRetry: Sendable {
    /// Attempts in all, the first included.
    public var attempts: Int
    /// Wait before the second attempt; doubled before each one after.
    public var backoff: Duration

    public init(attempts: Int = 4, backoff: Duration = .milliseconds(100)) {
        self.attempts = max(1, attempts)
        self.backoff = backoff
    }

    /// What a client sees when a job fails on storage (`error.code` is `storage_error`).
    public static let clientMessage = "The server could not store this video's files. Try again later; the server's operator can find the details in its log."
    public static let clientCode = "storage_error"

    /// Runs `operation` until it succeeds, fails with a non-transient error, or runs out of attempts.
    func run<T>(_ what: String, logger: Logger, _ operation: () throws -> T) async throws -> T {
        var wait = backoff
        var attempt = 1
        while true {
            do {
                return try operation()
            } catch where attempt < attempts && Self.isTransient(error) {
                logger.warning("storage: could not \(what) (attempt \(attempt) of \(attempts)): \(error); retrying in \(wait)")
                try? await Task.sleep(for: wait)
                wait *= 2
                attempt += 1
            }
        }
    }

    /// Errno values worth another try: the condition may clear by itself in a moment.
    static let transientCodes: Set<POSIXErrorCode> = [.EAGAIN, .EINTR, .EBUSY, .ENOSPC, .EDQUOT, .EIO, .EMFILE, .ENFILE, .ETIMEDOUT]

    /// Whether `error` (a POSIX error, or a Foundation file error wrapping one) is worth retrying. Permission,
    /// missing-parent and read-only errors are not: they need the operator.
    public static func isTransient(_ error: any Error) -> Bool {
        posixCode(error).map { transientCodes.contains($0) } ?? false
    }

    /// Whether `error` is a storage fault (file system or database) rather than something about the request.
    public static func isStorage(_ error: any Error) -> Bool {
        if let error = error as? KinoServiceError { return error.kind == .storage }
        // Foundation's file errors are CocoaError codes 0...1023 (NSFileErrorMinimum...NSFileErrorMaximum); its
        // other codes (a JSON decoding error, say) are not about storage.
        if let error = error as? CocoaError, (0...1023).contains(error.code.rawValue) { return true }
        return posixCode(error) != nil
    }

    static func posixCode(_ error: any Error) -> POSIXErrorCode? {
        if let error = error as? POSIXError { return error.code }
        let error = error as NSError
        if error.domain == NSPOSIXErrorDomain { return POSIXErrorCode(rawValue: Int32(error.code)) }
        if let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return POSIXErrorCode(rawValue: Int32(underlying.code))
        }
        return nil
    }
}
