import Foundation

/// Cuts a JSON Lines file into shards at newlines (a JSON string cannot hold a raw newline, so every newline
/// ends a record), counting lines on the way for each shard's first line number.
public enum JSONLSplitter {
    /// The shards of `path`, each about `targetSize` bytes; a gzip file is one shard, `.wholeFile`; an empty
    /// file has none.
    /// - Throws: `ReaderError` if the file cannot be read.
    public static func shards(
        path: String, targetSize: Int = 64 << 20, compression: InputCompression? = nil
    ) throws -> [FileShard] {
        precondition(targetSize > 0, "the target shard size must be positive")
        if try (compression ?? InputCompression.detect(path: path)) == .gzip { return [.wholeFile] }
        let fd = try openForReading(path)
        defer { close(fd) }
        let size = try fileSize(fd, path: path)
        guard size > 0 else { return [] }
        var shards: [FileShard] = []
        var shardStart = 0
        var shardLine = 1
        var newlines = 0
        var target = targetSize
        let chunkSize = 8 << 20
        let chunk = UnsafeMutablePointer<UInt8>.allocate(capacity: chunkSize)
        defer { chunk.deallocate() }
        var offset = 0
        while offset < size {
            let n = pread(fd, chunk, min(chunkSize, size - offset), off_t(offset))
            if n < 0 {
                if errno == EINTR { continue }
                throw ReaderError.system(path, "cannot read at offset \(offset)", errno: errno)
            }
            if n == 0 { break }
            var s = 0
            while s < n {
                let wanted = target - 1 - offset
                if wanted >= n {
                    newlines += countNewlines(chunk + s, n - s)
                    break
                }
                let from = max(s, wanted)
                newlines += countNewlines(chunk + s, from - s)
                guard let hit = memchr(chunk + from, 0x0A, n - from) else { break }
                let nl = hit.assumingMemoryBound(to: UInt8.self) - chunk
                newlines += 1
                let boundary = offset + nl + 1
                if boundary < size {
                    shards.append(FileShard(start: shardStart, end: boundary, firstLine: shardLine))
                    shardStart = boundary
                    shardLine = newlines + 1
                    target = boundary + targetSize
                }
                s = nl + 1
            }
            offset += n
        }
        if shardStart < offset { shards.append(FileShard(start: shardStart, end: offset, firstLine: shardLine)) }
        return shards
    }
}
