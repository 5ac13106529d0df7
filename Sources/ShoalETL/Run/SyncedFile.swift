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

    /// Replaces `path` with `bytes` so that a reader — or the file system after a crash or power loss — sees the
    /// old file or the new one, never a part: written and synced under a temporary name beside it, renamed over
    /// it, and the directory synced so that the rename itself is on disk.
    public static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = (directory as NSString).appendingPathComponent(
            ".\((path as NSString).lastPathComponent).tmp-\(getpid())")
        do {
            try bytes.withUnsafeBytes { try write($0, to: temporary, sync: true) }
        } catch {
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw SyncedFileError(path: path, reason: reason)
        }
        _ = syncDirectory(directory.isEmpty ? "." : directory)
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
