import Foundation

/// Writing a whole file and, when asked, syncing it to disk before returning: how the coordinator commits a shard's
/// files and how a worker stages them (the same calls, so both sides of `StagedOutputs` write alike).
public enum SyncedFile {
    /// Writes `bytes` to `path` (created or truncated), retrying short and interrupted writes; with `sync`,
    /// `fsync`s it. Throws the failing call's error text.
    public static func write(_ bytes: UnsafeRawBufferPointer, to path: String, sync: Bool) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw SyncedFileError(path: path, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw SyncedFileError(path: path, reason: String(cString: strerror(errno)))
            }
            offset += written
        }
        guard !sync || fsync(descriptor) == 0 else {
            throw SyncedFileError(path: path, reason: String(cString: strerror(errno)))
        }
    }

    /// `fsync`s a directory, so that the entries made in it (files, renames) are on disk; best effort.
    public static func syncDirectory(_ path: String) -> Bool {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        return fsync(descriptor) == 0
    }
}

public struct SyncedFileError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "\(path): \(reason)" }
}
