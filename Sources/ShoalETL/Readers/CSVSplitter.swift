import Foundation

/// Cuts a CSV file into shards at exact record boundaries, so that workers can read them independently.
///
/// One pass over the file at memchr speed: it jumps from quote to quote, applying the reader's rules (a quote
/// opens a quoted field only as a field's first byte; `""` inside quotes is text), so a newline inside a quoted
/// field is never taken for a boundary. Newlines are counted on the way for each shard's first line number.
public enum CSVSplitter {
    /// The shards of `path`, each about `targetSize` bytes: a shard ends at the first record boundary at or after
    /// `start + targetSize`. The header is not in any shard (shard 0 starts after it). A gzip file is one shard,
    /// `.wholeFile`, and its reader skips the header itself. A file with no data records has no shards.
    /// - Throws: `ReaderError` if the file cannot be read.
    public static func shards(
        path: String, targetSize: Int = 64 << 20, options: CSVOptions = CSVOptions()
    ) throws -> [FileShard] {
        precondition(targetSize > 0, "the target shard size must be positive")
        if try (options.compression ?? InputCompression.detect(path: path)) == .gzip { return [.wholeFile] }
        let header = try CSVHeader.read(path: path, options: options)
        let fd = try openForReading(path)
        defer { close(fd) }
        let size = try fileSize(fd, path: path)
        guard header.dataStart < size else { return [] }
        var cutter = BoundaryCutter(
            delimiter: options.delimiter, start: header.dataStart, firstLine: header.dataFirstLine,
            targetSize: targetSize, fileSize: size)
        let chunkSize = 8 << 20
        let chunk = UnsafeMutablePointer<UInt8>.allocate(capacity: chunkSize + 8)
        defer { chunk.deallocate() }
        var offset = header.dataStart
        while offset < size {
            let n = try readRetrying(fd, chunk, min(chunkSize, size - offset), at: offset, path: path)
            if n == 0 { break }  // the file shrank while we read it: end the last shard where the data ends
            cutter.consume(chunk, count: n, at: offset)
            offset += n
        }
        return cutter.finish(at: offset)
    }

    /// Whether a quoted field holds a newline in the first `sampleBytes` of records after the header: a file
    /// whose records span lines there likely has more of them, and is better cut exactly (`shards`) than at
    /// nominal offsets (`FileShard.aligned`).
    public static func quotedNewlines(path: String, dataStart: Int, sampleBytes: Int, options: CSVOptions) throws -> Bool {
        let fd = try openForReading(path)
        defer { close(fd) }
        let chunk = UnsafeMutablePointer<UInt8>.allocate(capacity: sampleBytes)
        defer { chunk.deallocate() }
        var n = 0
        while n < sampleBytes {
            let got = try readRetrying(fd, chunk + n, sampleBytes - n, at: dataStart + n, path: path)
            if got == 0 { break }
            n += got
        }
        guard n > 0, memchr(chunk, Int32(CSVScanner.quote), n) != nil else { return false }
        var cutter = BoundaryCutter(
            delimiter: options.delimiter, start: dataStart, firstLine: 1, targetSize: .max / 2, fileSize: .max)
        cutter.consume(chunk, count: n, at: dataStart)
        return cutter.quotedNewlines > 0
    }
}

/// The splitter's state across chunks.
struct BoundaryCutter {
    enum State {
        case unquoted
        case quoted
        /// A quote inside quotes: the next byte says whether it was `""` or the closing quote.
        case quoteInQuotes
    }

    let delimiter: UInt8
    let targetSize: Int
    let fileSize: Int
    var state = State.unquoted
    /// The previous byte ended a field (or nothing came before): a quote here opens a quoted field.
    var atFieldStart = true
    /// Newlines before the current position.
    var newlines: Int
    /// Of those, the ones inside quoted fields.
    var quotedNewlines = 0
    var shardStart: Int
    var shardLine: Int
    var target: Int
    var shards: [FileShard] = []

    init(delimiter: UInt8, start: Int, firstLine: Int, targetSize: Int, fileSize: Int) {
        self.delimiter = delimiter
        self.targetSize = targetSize
        self.fileSize = fileSize
        newlines = firstLine - 1
        shardStart = start
        shardLine = firstLine
        target = start + targetSize
    }

    mutating func consume(_ b: UnsafeMutablePointer<UInt8>, count n: Int, at chunkOffset: Int) {
        var i = 0
        while i < n {
            switch state {
            case .unquoted:
                let h = memchr(b + i, Int32(CSVScanner.quote), n - i).map { $0.assumingMemoryBound(to: UInt8.self) - b } ?? n
                unquotedNewlines(b, from: i, to: h, chunkOffset: chunkOffset)
                if h == n {
                    atFieldStart = b[n - 1] == delimiter || b[n - 1] == CSVScanner.newline
                    return
                }
                let opens = h == 0 ? atFieldStart : (b[h - 1] == delimiter || b[h - 1] == CSVScanner.newline)
                if opens { state = .quoted }
                i = h + 1
            case .quoted:
                let h = memchr(b + i, Int32(CSVScanner.quote), n - i).map { $0.assumingMemoryBound(to: UInt8.self) - b } ?? n
                let quoted = countNewlines(b + i, h - i)
                newlines += quoted
                quotedNewlines += quoted
                if h == n { return }
                state = .quoteInQuotes
                i = h + 1
            case .quoteInQuotes:
                if b[i] == CSVScanner.quote {
                    state = .quoted
                    i += 1
                } else {
                    state = .unquoted
                    atFieldStart = false
                }
            }
        }
        // Left the loop in the unquoted state only after a quote that did not open a field: not a field start.
        if state == .unquoted { atFieldStart = false }
    }

    /// Counts the newlines of an unquoted stretch, cutting a shard at the first one past the target.
    private mutating func unquotedNewlines(_ b: UnsafeMutablePointer<UInt8>, from i: Int, to h: Int, chunkOffset: Int) {
        var s = i
        while s < h {
            // A newline at index ≥ wanted makes a boundary (the byte after it) ≥ target.
            let wanted = target - 1 - chunkOffset
            if wanted >= h {
                newlines += countNewlines(b + s, h - s)
                return
            }
            let from = max(s, wanted)
            newlines += countNewlines(b + s, from - s)
            guard let hit = memchr(b + from, Int32(CSVScanner.newline), h - from) else { return }
            let nl = hit.assumingMemoryBound(to: UInt8.self) - b
            newlines += 1
            let boundary = chunkOffset + nl + 1
            if boundary < fileSize {
                shards.append(FileShard(start: shardStart, end: boundary, firstLine: shardLine))
                shardStart = boundary
                shardLine = newlines + 1
                target = boundary + targetSize
            }
            s = nl + 1
        }
    }

    mutating func finish(at end: Int) -> [FileShard] {
        if shardStart < end { shards.append(FileShard(start: shardStart, end: end, firstLine: shardLine)) }
        return shards
    }
}

/// Newlines in `p[0 ..< n]`. Lines of data are tens to hundreds of bytes long, so hopping from newline to newline
/// with libc's vectorized `memchr` (32 bytes per step) beats counting eight bytes per step by about twice.
func countNewlines(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
    var count = 0
    var i = 0
    while i < n, let hit = memchr(p + i, Int32(CSVScanner.newline), n - i) {
        count += 1
        i = hit.assumingMemoryBound(to: UInt8.self) - UnsafeMutablePointer(mutating: p) + 1
    }
    return count
}
