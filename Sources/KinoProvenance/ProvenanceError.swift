import Foundation

/// Errors from reading, writing, signing and verifying C2PA content credentials.
public struct ProvenanceError: Error, CustomStringConvertible, Sendable, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
