import CKinoSQLite
import Foundation

/// A value bound to or read from a SQL statement. Only types that PostgreSQL has too.
public enum SQLValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

/// One result row, addressed by column name.
public struct SQLRow: Sendable {
    var columns: [String: SQLValue]

    public subscript(_ name: String) -> SQLValue { columns[name] ?? .null }

    public func int(_ name: String) -> Int64? {
        if case .integer(let v) = self[name] { return v }
        return nil
    }

    public func double(_ name: String) -> Double? {
        switch self[name] {
        case .real(let v): return v
        case .integer(let v): return Double(v)
        default: return nil
        }
    }

    public func string(_ name: String) -> String? {
        if case .text(let v) = self[name] { return v }
        return nil
    }

    public func bytes(_ name: String) -> [UInt8]? {
        if case .blob(let v) = self[name] { return v }
        return nil
    }
}

/// A single SQLite connection (WAL mode) used from many threads, serialised by a lock.
///
/// Each `write` runs in `BEGIN IMMEDIATE`, so a claim is one atomic transaction even when another process
/// (`kino keys`, a second server) shares the file; `busy_timeout` makes the other side wait instead of failing.
public final class SQLiteDatabase: @unchecked Sendable {
    private let handle: OpaquePointer
    private let lock = NSLock()
    /// The thread every store call runs on, one at a time (the connection is serialised anyway).
    private let queue = DispatchQueue(label: "kino.sqlite")
    /// Prepared statements by SQL text, reused under `lock` (preparing costs more than running these queries).
    private let cache = StatementCache()
    public let path: String

    public init(path: String) throws {
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let db { sqlite3_close(db) }
            throw KinoServiceError.storage("Cannot open the database at \(path): \(message). Check that the data folder exists and is writable.")
        }
        self.handle = db
        self.path = path
        sqlite3_busy_timeout(db, 10_000)
        let connection = SQLConnection(handle: db, cache: cache)
        try connection.execute("PRAGMA journal_mode=WAL")
        try connection.execute("PRAGMA synchronous=NORMAL")
        try connection.execute("PRAGMA foreign_keys=ON")
    }

    deinit {
        cache.finalizeAll()
        sqlite3_close_v2(handle)
    }

    /// Runs `body` inside `BEGIN IMMEDIATE … COMMIT` on the database's own thread (SQLite calls block, so they
    /// never run on Swift's cooperative pool), rolling back if it throws.
    public func write<T: Sendable>(_ body: @escaping @Sendable (SQLConnection) throws -> T) async throws -> T {
        try await onQueue { try self.writeNow(body) }
    }

    /// Runs `body` without an explicit transaction on the database's own thread.
    public func read<T: Sendable>(_ body: @escaping @Sendable (SQLConnection) throws -> T) async throws -> T {
        try await onQueue { try self.readNow(body) }
    }

    private func onQueue<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }

    /// `write` on the calling thread (migrations, while the store opens).
    func writeNow<T>(_ body: (SQLConnection) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        let connection = SQLConnection(handle: handle, cache: cache)
        try connection.execute("BEGIN IMMEDIATE")
        do {
            let value = try body(connection)
            try connection.execute("COMMIT")
            return value
        } catch {
            try? connection.execute("ROLLBACK")
            throw error
        }
    }

    /// Runs `body` without an explicit transaction (single statements are atomic on their own).
    func readNow<T>(_ body: (SQLConnection) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(SQLConnection(handle: handle, cache: cache))
    }
}

/// The statement interface handed to `read`/`write` bodies. Valid only inside the body.
public struct SQLConnection {
    let handle: OpaquePointer
    let cache: StatementCache

    /// Number of rows changed by the last INSERT/UPDATE/DELETE.
    public var changes: Int { Int(sqlite3_changes(handle)) }

    public func execute(_ sql: String, _ arguments: [SQLValue] = []) throws {
        _ = try query(sql, arguments)
    }

    public func query(_ sql: String, _ arguments: [SQLValue] = []) throws -> [SQLRow] {
        let cached = try cache.statement(for: sql, handle: handle) ?? { throw error(context: sql) }()
        let statement = cached.pointer
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
            if !cached.isCached { sqlite3_finalize(statement) }
        }
        for (index, value) in arguments.enumerated() {
            let position = Int32(index + 1)
            let rc: Int32
            switch value {
            case .null: rc = sqlite3_bind_null(statement, position)
            case .integer(let v): rc = sqlite3_bind_int64(statement, position, v)
            case .real(let v): rc = sqlite3_bind_double(statement, position, v)
            // With its byte length, so a text holding U+0000 is stored whole, not cut at the NUL.
            case .text(let v):
                rc = Array(v.utf8).withUnsafeBufferPointer { bytes in
                    bytes.baseAddress.map { base in
                        base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                            sqlite3_bind_text(statement, position, $0, Int32(bytes.count), sqliteTransient)
                        }
                    } ?? sqlite3_bind_text(statement, position, "", 0, sqliteTransient)
                }
            case .blob(let v):
                rc = v.withUnsafeBytes { sqlite3_bind_blob(statement, position, $0.baseAddress, Int32($0.count), sqliteTransient) }
            }
            guard rc == SQLITE_OK else { throw error(context: sql) }
        }
        var rows: [SQLRow] = []
        while true {
            let rc = sqlite3_step(statement)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw error(context: sql) }
            var columns: [String: SQLValue] = Dictionary(minimumCapacity: cached.columns.count)
            for (column, name) in cached.columns.enumerated() {
                columns[name] = value(statement, Int32(column))
            }
            rows.append(SQLRow(columns: columns))
        }
        return rows
    }

    private func value(_ statement: OpaquePointer, _ column: Int32) -> SQLValue {
        switch sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(statement, column))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(statement, column))
        case SQLITE_TEXT:
            let count = Int(sqlite3_column_bytes(statement, column))
            guard count > 0, let base = sqlite3_column_text(statement, column) else { return .text("") }
            return .text(String(decoding: UnsafeBufferPointer(start: base, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(statement, column))
            guard count > 0, let base = sqlite3_column_blob(statement, column) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: base, count: count)))
        default: return .null
        }
    }

    private func error(context: String) -> KinoServiceError {
        let message = String(cString: sqlite3_errmsg(handle))
        return .storage("Database error: \(message) (while running: \(context.prefix(120)))")
    }
}

/// A prepared statement and its column names.
final class CachedStatement {
    let pointer: OpaquePointer
    let columns: [String]
    var isCached = false

    init(pointer: OpaquePointer) {
        self.pointer = pointer
        self.columns = (0..<sqlite3_column_count(pointer)).map { String(cString: sqlite3_column_name(pointer, $0)) }
    }
}

/// Used only while holding the database lock.
final class StatementCache {
    private var statements: [String: CachedStatement] = [:]

    func statement(for sql: String, handle: OpaquePointer) throws -> CachedStatement? {
        if let cached = statements[sql] { return cached }
        var pointer: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &pointer, nil) == SQLITE_OK, let pointer else { return nil }
        let cached = CachedStatement(pointer: pointer)
        // A bounded cache: Kino's queries are a fixed set; anything beyond is finalized after use.
        if statements.count < 256 {
            statements[sql] = cached
            cached.isCached = true
        }
        return cached
    }

    func finalizeAll() {
        for statement in statements.values { sqlite3_finalize(statement.pointer) }
        statements.removeAll()
    }
}

private let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
