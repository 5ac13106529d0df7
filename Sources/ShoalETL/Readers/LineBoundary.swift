import Foundation

/// Line starts and line numbers of a plain file, found with `pread` and `memchr` — for shards cut at nominal
/// offsets (`FileShard.aligned`), which the coordinator plans without reading the file.
enum LineBoundary {
    /// `shard` with its nominal cuts moved to line starts.
    static func align(_ shard: FileShard, path: String) throws -> FileShard {
        let fd = try openForReading(path)
        defer { close(fd) }
        let size = try fileSize(fd, path: path)
        let start = try lineStart(atOrAfter: shard.start, fd: fd, size: size, path: path)
        let end = try lineStart(atOrAfter: shard.end, fd: fd, size: size, path: path)
        return FileShard(start: start, end: max(start, end), firstLine: start == shard.start ? shard.firstLine : 0)
    }

    /// The first line start at or after `offset`: `offset` itself at the file's start or right after a newline,
    /// else the byte after the next newline, else `size` (the file's end).
    static func lineStart(atOrAfter offset: Int, fd: Int32, size: Int, path: String) throws -> Int {
        guard offset > 0 else { return 0 }
        guard offset < size else { return size }
        let chunk = 64 << 10
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: chunk)
        defer { buffer.deallocate() }
        var position = offset - 1
        while position < size {
            let n = try readRetrying(fd, buffer, min(chunk, size - position), at: position, path: path)
            if n == 0 { break }
            if let hit = memchr(buffer, Int32(CSVScanner.newline), n) {
                return position + (hit.assumingMemoryBound(to: UInt8.self) - buffer) + 1
            }
            position += n
        }
        return size
    }

    /// The 1-based line number of the byte at `offset`: one more than the newlines before it.
    static func line(at offset: Int, path: String) throws -> Int {
        let fd = try openForReading(path)
        defer { close(fd) }
        let chunk = 4 << 20
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: chunk)
        defer { buffer.deallocate() }
        var newlines = 0
        var position = 0
        while position < offset {
            let n = try readRetrying(fd, buffer, min(chunk, offset - position), at: position, path: path)
            if n == 0 { break }
            newlines += countNewlines(buffer, n)
            position += n
        }
        return newlines + 1
    }

    /// A shard's line numbers: lines are counted from the shard's start, and the line number of the start itself
    /// is counted from the file's start only when first asked for (a bad row to name).
    struct Numbers {
        let path: String
        let start: Int
        private var origin: Int?

        init(path: String, shard: FileShard) {
            self.path = path
            start = shard.start
            origin = shard.firstLine > 0 ? shard.firstLine : nil
        }

        /// The line number of the line `relative` lines after the shard's start.
        mutating func absolute(_ relative: Int) throws -> Int {
            if let origin { return origin + relative }
            let counted = try LineBoundary.line(at: start, path: path)
            origin = counted
            return counted + relative
        }
    }
}
