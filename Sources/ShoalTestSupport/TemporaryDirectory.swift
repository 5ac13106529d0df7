import Foundation

/// A fresh directory under the system's temporary directory, removed when the value is released.
///
/// The path is kept short: an ipc endpoint's path must fit `sockaddr_un.sun_path` (108 bytes on Linux).
public final class TemporaryDirectory: Sendable {
    public let url: URL
    /// The directory's path.
    public var path: String { url.path }

    public init(prefix: String = "shoal-test") throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(12))", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// A path inside the directory.
    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }
}
