import Foundation

/// A failure that stops a reader: the file cannot be opened or read, its compression is corrupt, or the
/// request does not fit the file. (Bad records do not stop a reader; they become `BadRow`s.)
public struct ReaderError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The input file's path.
    public var file: String
    public var message: String

    public init(file: String, _ message: String) {
        self.file = file
        self.message = message
    }

    public var description: String { "\(file): \(message)" }

    static func system(_ file: String, _ what: String, errno code: Int32) -> ReaderError {
        ReaderError(file: file, "\(what): \(String(cString: strerror(code))) (errno \(code))")
    }
}
