import Foundation

/// How a JSON Lines file is read.
public struct JSONLOptions: Sendable, Hashable {
    /// Rows per batch.
    public var batchSize: Int
    /// Bytes per read; the buffer doubles when one line is longer than half of it.
    public var bufferSize: Int
    /// `nil`: decided by `InputCompression.detect`.
    public var compression: InputCompression?

    public init(batchSize: Int = 65_536, bufferSize: Int = 8 << 20, compression: InputCompression? = nil) {
        precondition(batchSize > 0 && bufferSize > 0)
        self.batchSize = batchSize
        self.bufferSize = bufferSize
        self.compression = compression
    }
}

/// Reads one shard of a JSON Lines file (one flat object per line) into column batches of the projected
/// columns, with the same contract as `CSVReader`.
///
/// - Values: strings (escapes and `\uXXXX` surrogate pairs decoded; a lone surrogate becomes U+FFFD), numbers,
///   `true`/`false`, `null`. A missing key is null; keys not in the schema are ignored.
/// - Types: an int column takes integral numbers within Int64; a float column any number; a bool column
///   `true`/`false`; a string column strings, and the text of numbers and booleans. A nested object or array
///   is kept as its raw JSON text in a string column and is a bad row in any other.
/// - A line that is not a flat object, has a duplicate key, or has a value of the wrong type goes to
///   `onBadRow` (line = physical line) and is left out; blank lines are skipped.
///
/// Not thread-safe: one reader per shard, used by one thread.
public final class JSONLReader: RecordReader {
    public let path: String
    public let schema: Schema
    public let shard: FileShard
    public private(set) var counters = ReaderCounters()

    private let input: InputBuffer
    private let builder: BatchBuilder
    private let onBadRow: (BadRow) throws -> Void
    private var scanner = JSONLineScanner()
    /// Per schema field: its sink, or -1 when it is not projected.
    private let sinkOfField: [Int]
    private let fieldNames: [[UInt8]]
    /// Per sink: the row it last stored (catches duplicate keys and finds missing ones).
    private var storedRow: [Int]
    /// Counts lines parsed: the stamp `storedRow` compares with.
    private var stamp = 0
    private var position = 0
    /// Lines from the shard's start to the next record.
    private var line = 0
    private var lineNumbers: LineBoundary.Numbers
    private var finished = false
    private var nextFieldGuess = 0
    private var scratch: [UInt8] = []

    /// - Parameters: as for `CSVReader`.
    /// - Throws: `ReaderError` if the file cannot be opened, a projected column is not in the schema, or a gzip
    ///   file is given a partial shard.
    public init(
        path: String, schema: Schema, projection: [String]? = nil, shard: FileShard = .wholeFile,
        options: JSONLOptions = JSONLOptions(), onBadRow: @escaping (BadRow) throws -> Void
    ) throws {
        self.path = path
        self.schema = schema
        self.onBadRow = onBadRow
        let columns = try CSVReader.resolve(projection ?? schema.names, in: schema, path: path)
        let compression = try options.compression ?? InputCompression.detect(path: path)
        // A JSON line holds no raw newline: line starts are record boundaries, so aligned cuts are exact.
        var shard = shard
        if shard.aligned && compression == .none { shard = try LineBoundary.align(shard, path: path) }
        self.shard = shard
        let source: ByteSource
        switch compression {
        case .none: source = try FileByteSource(path: path, start: shard.start, softEnd: shard.end)
        case .gzip:
            guard shard.start == 0 && shard.end == .max else {
                throw ReaderError(file: path, "a gzip file is read whole; it cannot be read from \(shard)")
            }
            source = try GzipByteSource(path: path)
        }
        let span = shard.end == .max ? Int.max : shard.end - shard.start + 4096
        input = InputBuffer(source: source, capacity: min(options.bufferSize, span), startOffset: shard.start)
        builder = BatchBuilder(columns: columns, capacity: options.batchSize)
        var sinkOfField = [Int](repeating: -1, count: schema.fields.count)
        for (k, c) in columns.enumerated() where sinkOfField[c.field] < 0 { sinkOfField[c.field] = k }
        self.sinkOfField = sinkOfField
        fieldNames = schema.fields.map { Array($0.name.utf8) }
        storedRow = [Int](repeating: -1, count: columns.count)
        lineNumbers = LineBoundary.Numbers(path: path, shard: shard)
    }

    public func next() throws -> ColumnBatch? {
        while !finished {
            try fill()
            if builder.rows > 0 { return builder.makeBatch() }
        }
        return nil
    }

    private func fill() throws {
        while !builder.isFull {
            if input.offset + position >= shard.end {
                finished = true
                return
            }
            if position >= input.end {
                if input.exhausted {
                    finished = true
                    return
                }
                try refill()
                continue
            }
            let base = input.base
            var lineEnd: Int
            var next: Int
            if let hit = memchr(base + position, 0x0A, input.end - position) {
                lineEnd = hit.assumingMemoryBound(to: UInt8.self) - base
                next = lineEnd + 1
            } else if input.exhausted {
                lineEnd = input.end
                next = input.end
            } else {
                try refill()
                continue
            }
            if lineEnd > position && base[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            let start = position
            let lineNumber = line
            position = next
            line += 1
            counters.bytes += next - start
            if lineNumber == 0 && start == 0 && input.offset == 0 && lineEnd - start >= 3 && base[0] == 0xEF
                && base[1] == 0xBB && base[2] == 0xBF
            {
                base[0] = 0x20  // a byte order mark on the first line reads as space
                base[1] = 0x20
                base[2] = 0x20
            }
            guard let syntax = scanner.scan(base, from: start, end: lineEnd) else { continue }  // blank
            if !syntax.isEmpty {
                try report(syntax, start: start, end: lineEnd, line: lineNumber)
                continue
            }
            if let problem = store(base) {
                builder.rollbackRow()
                try report(problem, start: start, end: lineEnd, line: lineNumber)
                continue
            }
            builder.rows += 1
            counters.records += 1
            if builder.stringsNearLimit { return }
        }
    }

    private func refill() throws {
        try input.refill(keepingFrom: position)
        position = 0
    }

    /// The schema field a key names, or -1; keys usually come in the same order on every line, so the field
    /// after the previous key is tried first.
    private func field(for key: UnsafeBufferPointer<UInt8>) -> Int {
        let count = fieldNames.count
        if count == 0 { return -1 }
        for attempt in 0..<count {
            let f = (nextFieldGuess + attempt) % count
            if fieldNames[f].withUnsafeBufferPointer({ $0.elementsEqual(key) }) {
                nextFieldGuess = f + 1
                return f
            }
        }
        return -1
    }

    /// Stores the scanned line's projected values into row `builder.rows`.
    /// - Returns: why the line is bad, or nil.
    private func store(_ base: UnsafeMutablePointer<UInt8>) -> String? {
        let row = builder.rows
        let sinks = builder.sinks
        stamp += 1
        for member in scanner.members {
            var keyBytes = UnsafeBufferPointer(start: base + member.keyStart, count: member.keyEnd - member.keyStart)
            if member.keyEscaped {
                scratch = [UInt8](repeating: 0, count: keyBytes.count)
                let n = scratch.withUnsafeMutableBufferPointer {
                    JSONLineScanner.unescape(keyBytes.baseAddress!, keyBytes.count, into: $0.baseAddress!)
                }
                guard let n else { return "invalid JSON: bad escape in a key" }
                scratch.removeLast(scratch.count - n)
                let f = scratch.withUnsafeBufferPointer { field(for: $0) }
                if let problem = storeValue(member, field: f, base: base, row: row, sinks: sinks) { return problem }
                continue
            }
            keyBytes = UnsafeBufferPointer(start: base + member.keyStart, count: member.keyEnd - member.keyStart)
            let f = field(for: keyBytes)
            if let problem = storeValue(member, field: f, base: base, row: row, sinks: sinks) { return problem }
        }
        for k in 0..<builder.sinkCount where storedRow[k] != stamp {
            sinks[k].setNull(row)
        }
        return nil
    }

    private func storeValue(
        _ member: JSONLineScanner.Member, field f: Int, base: UnsafeMutablePointer<UInt8>, row: Int,
        sinks: UnsafeMutablePointer<ColumnSink>
    ) -> String? {
        guard f >= 0 else { return nil }
        let k = sinkOfField[f]
        guard k >= 0 else { return nil }
        if storedRow[k] == stamp { return "duplicate key \"\(schema.fields[f].name)\"" }
        storedRow[k] = stamp
        let p = UnsafePointer(base + member.valueStart)
        let n = member.valueEnd - member.valueStart
        let name = schema.fields[f].name
        func wrong(_ what: String) -> String {
            let text = quotedForMessage(UnsafeBufferPointer(start: p, count: n))
            return "field \"\(name)\": \(member.kind == .string ? text : String(text.dropFirst().dropLast())) \(what)"
        }
        if member.kind == .null {
            sinks[k].setNull(row)
            return nil
        }
        switch sinks[k].type {
        case .int:
            guard member.kind == .number else { return wrong("is not an int") }
            guard let v = ByteNumberParser.int(p, n) else {
                return ByteNumberParser.looksLikeInteger(p, n) ? wrong("is out of range for int") : wrong("is not an int")
            }
            sinks[k].setInt(row, v)
        case .float:
            guard member.kind == .number, let v = ByteNumberParser.double(p, n) else { return wrong("is not a float") }
            sinks[k].setDouble(row, v)
        case .bool:
            guard member.kind == .bool else { return wrong("is not a bool") }
            sinks[k].setBool(row, member.truth)
        case .string:
            if member.valueEscaped {
                let target = sinks[k].reserve(n)
                guard let written = JSONLineScanner.unescape(p, n, into: target) else {
                    return wrong("has an invalid escape")
                }
                sinks[k].commitString(row, length: written)
            } else {
                sinks[k].setString(row, p, n)
            }
        }
        return nil
    }

    private func report(_ reason: String, start: Int, end: Int, line: Int) throws {
        counters.badRows += 1
        let raw = Array(UnsafeBufferPointer(start: input.base + start, count: min(end - start, BadRow.rawLimit)))
        try onBadRow(BadRow(file: path, line: try lineNumbers.absolute(line), reason: reason, raw: raw))
    }

    /// Where the shard's records were: valid once `next()` returned nil.
    public var extent: ShardExtent? { ShardExtent(path: path, shard: shard, stop: input.offset + position) }
}
