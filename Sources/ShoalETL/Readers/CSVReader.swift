/// Reads one shard of a CSV file (RFC 4180) into column batches of the projected columns.
///
/// - Quoted fields may hold delimiters, newlines and `""` (a quote); records end at LF or CRLF; the last record
///   may lack its terminator; a UTF-8 byte order mark at the start of the file is skipped.
/// - An empty unquoted field is null. A quoted empty field (`""`) is an empty string in a string column and
///   null in the others. Blank lines are not records (they still count as lines).
/// - int is Int64, float is Double (correctly rounded), bool is `true`/`false` in any case or `1`/`0`,
///   string is the field's bytes (not validated as UTF-8). See `ByteNumberParser` for the exact grammar.
/// - Every record's field count is checked; only projected fields are parsed and type-checked. Records without
///   quotes are found from 64-byte blocks classified at once (`CSVScanner.scanUnquoted`); the others, the careful
///   way, eight bytes at a time (`CSVScanner.scan`).
/// - A bad record (field count, a value not of its column's type, text after a closing quote, a quote left open
///   at the end of the input) goes to `onBadRow` and is left out of the batch; reading goes on.
///
/// Not thread-safe: one reader per shard, used by one thread.
public final class CSVReader: RecordReader {
    /// The input file.
    public let path: String
    /// The file's columns, all of them, in file order.
    public let schema: Schema
    /// The range read: the shard as given, or for an aligned shard its cuts moved to line starts.
    public let shard: FileShard
    /// The shard was given as a nominal cut other than the file's first (`BadRow.opensNominalShard`).
    private let startsAtNominalCut: Bool
    public private(set) var counters = ReaderCounters()
    /// When set, `recordLines` holds the line where each row of the last batch starts (for errors about a
    /// value found after reading, such as a training label out of range).
    public var tracksLines = false
    public private(set) var recordLines: [Int] = []
    /// Whether records without quotes take the structural-index fast path (`CSVScanner.scanUnquoted`); off only
    /// in tests that compare it with the careful scan.
    var usesBlocks = true
    /// Records the fast path read (for the tests that check it is taken).
    private(set) var unquotedScans = 0

    private let options: CSVOptions
    private let input: InputBuffer
    private let builder: BatchBuilder
    private let scanner: CSVScanner
    private let onBadRow: (BadRow) throws -> Void
    /// The next unparsed byte in `input`.
    private var position = 0
    /// Lines from the shard's start to where the next record starts.
    private var line = 0
    private var lineNumbers: LineBoundary.Numbers
    private var finished = false
    private var atStreamStart: Bool
    private var skipHeader: Bool

    /// - Parameters:
    ///   - schema: every column of the file, in order (from the header and inference or the job's types).
    ///   - projection: the columns to materialize, in output order; `nil` for all of them.
    ///   - shard: the byte range to read; gzip input must be read whole (`.wholeFile`).
    ///   - strictColumns: projected columns that must hold a value: an empty field there (or, in a float column,
    ///     NaN, infinity or a magnitude beyond `Float`'s range) makes the record bad rather than null.
    ///   - onBadRow: receives each bad record; throwing from it stops the reader with that error.
    /// - Throws: `ReaderError` if the file cannot be opened, a projected column is not in the schema, or a gzip
    ///   file is given a partial shard.
    public init(
        path: String, schema: Schema, projection: [String]? = nil, shard: FileShard = .wholeFile,
        options: CSVOptions = CSVOptions(), strictColumns: Set<String> = [],
        onBadRow: @escaping (BadRow) throws -> Void
    ) throws {
        self.path = path
        self.schema = schema
        self.options = options
        self.onBadRow = onBadRow
        let columns = try Self.resolve(projection ?? schema.names, in: schema, path: path)
        let compression = try options.compression ?? InputCompression.detect(path: path)
        var shard = shard
        // Not a file's first shard: its start is a cut's next line start, which may lie inside a quoted field.
        startsAtNominalCut = shard.aligned && shard.firstLine == 0
        if shard.aligned && compression == .none { shard = try LineBoundary.align(shard, path: path) }
        self.shard = shard
        let source: ByteSource
        switch compression {
        case .none:
            source = try FileByteSource(path: path, start: shard.start, softEnd: shard.end)
        case .gzip:
            guard shard.start == 0 && shard.end == .max else {
                throw ReaderError(file: path, "a gzip file is read whole; it cannot be read from \(shard)")
            }
            source = try GzipByteSource(path: path)
        }
        // A small shard needs no big buffer: its bytes plus room for the tail of its last record.
        let span = shard.end == .max ? Int.max : shard.end - shard.start + 4096
        if compression == .none, let mapped = InputBuffer(mapping: path, start: shard.start) {
            input = mapped
        } else {
            input = InputBuffer(source: source, capacity: min(options.bufferSize, span), startOffset: shard.start)
        }
        builder = BatchBuilder(columns: columns, capacity: options.batchSize, strict: strictColumns)
        var wanted = [Bool](repeating: false, count: schema.fields.count)
        for c in columns { wanted[c.field] = true }
        scanner = CSVScanner(delimiter: options.delimiter, fieldCapacity: schema.fields.count, wanted: wanted)
        lineNumbers = LineBoundary.Numbers(path: path, shard: shard)
        atStreamStart = shard.start == 0
        skipHeader = shard.start == 0 && options.hasHeader
        if input.isMapped { skipByteOrderMark() }
    }

    deinit { scanner.deallocate() }

    static func resolve(_ names: [String], in schema: Schema, path: String) throws -> [(
        name: String, type: DataType, field: Int
    )] {
        try names.map { name in
            guard let i = schema.index(of: name) else {
                throw ReaderError(
                    file: path, "no column \"\(name)\" in the schema (columns: \(schema.names.joined(separator: ", ")))")
            }
            return (name, schema.fields[i].type, i)
        }
    }

    public func next() throws -> ColumnBatch? {
        if tracksLines { recordLines.removeAll(keepingCapacity: true) }
        while !finished {
            try fill()
            if builder.rows > 0 { return builder.makeBatch() }
        }
        return nil
    }

    /// Parses records into the builder until the batch is full or the shard is done.
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
            let scan: CSVRecordScan
            if usesBlocks, let fast = scanner.scanUnquoted(input.base, from: position, end: input.end) {
                scan = fast
                unquotedScans &+= 1
            } else {
                scan = scanner.scan(input.base, from: position, end: input.end, final: input.exhausted)
            }
            if scan.status == .needMore {
                try refill()
                continue
            }
            let recordStart = position
            let recordLine = line
            position = scan.next
            line += 1 + scan.extraLines
            counters.bytes += scan.next - recordStart
            if scan.fields == 1 && scan.recordEnd == recordStart && scan.status == .complete
                && input.base[recordStart] != CSVScanner.quote
            {
                continue  // a blank line
            }
            if skipHeader {
                skipHeader = false
                continue
            }
            if let reason = problem(scan) {
                try report(reason, start: recordStart, end: scan.recordEnd, line: recordLine)
                continue
            }
            if let failed = store() {
                builder.rollbackRow()
                try report(valueProblem(field: failed), start: recordStart, end: scan.recordEnd, line: recordLine)
                continue
            }
            builder.rows += 1
            counters.records += 1
            if tracksLines { recordLines.append(try lineNumbers.absolute(recordLine)) }
            if builder.stringsNearLimit { return }
        }
    }

    private func refill() throws {
        // A mapped file is all there from the start: nothing more will come.
        guard !input.isMapped else {
            finished = true
            return
        }
        scanner.forgetBlock()
        try input.refill(keepingFrom: position)
        position = 0
        skipByteOrderMark()
    }

    /// At the start of the stream, skips a UTF-8 byte order mark.
    private func skipByteOrderMark() {
        guard atStreamStart else { return }
        atStreamStart = false
        let b = input.base
        if input.end >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
            position = 3
            counters.bytes += 3
        }
    }

    /// What is wrong with the record's shape, if anything.
    private func problem(_ scan: CSVRecordScan) -> String? {
        if scan.status == .unterminated {
            return "unterminated quoted field \(fieldName(scan.fields - 1)) (the input ends inside quotes)"
        }
        if scan.badQuoteField >= 0 {
            return "field \(fieldName(scan.badQuoteField)): unexpected text after the closing quote"
        }
        if scan.fields != scanner.capacity {
            return "expected \(scanner.capacity) fields, found \(scan.fields)"
        }
        return nil
    }

    private func fieldName(_ i: Int) -> String {
        i < schema.fields.count ? "\"\(schema.fields[i].name)\"" : "#\(i + 1)"
    }

    /// Parses the projected fields of the record just scanned into row `builder.rows`.
    /// - Returns: the index of the sink whose value did not parse, or nil.
    @inline(__always)
    private func store() -> Int? {
        let base = UnsafePointer(input.base)
        let sinks = builder.sinks
        let row = builder.rows
        let starts = scanner.starts
        let ends = scanner.ends
        let flags = scanner.flags
        for k in 0..<builder.sinkCount {
            let f = sinks[k].field
            let s = starts[f]
            let n = ends[f] - s
            let p = base + s
            switch sinks[k].type {
            case .int:
                if n == 0 {
                    if sinks[k].strict { return k }
                    sinks[k].setNull(row)
                } else if let v = ByteNumberParser.int(p, n) {
                    sinks[k].setInt(row, v)
                } else {
                    return k
                }
            case .float:
                if n == 0 {
                    if sinks[k].strict { return k }
                    sinks[k].setNull(row)
                } else if let v = ByteNumberParser.double(p, n) {
                    // Strict columns feed 32-bit models: beyond Float's range is as unusable as infinity.
                    if sinks[k].strict && !(v.magnitude <= Double(Float.greatestFiniteMagnitude)) { return k }
                    sinks[k].setDouble(row, v)
                } else {
                    return k
                }
            case .bool:
                if n == 0 {
                    if sinks[k].strict { return k }
                    sinks[k].setNull(row)
                } else if let v = ByteNumberParser.bool(p, n) {
                    sinks[k].setBool(row, v)
                } else {
                    return k
                }
            case .string:
                let flag = flags[f]
                if n == 0 && flag == 0 {
                    if sinks[k].strict { return k }
                    sinks[k].setNull(row)
                } else if flag & 2 != 0 {
                    // `""` inside quotes is one quote: copy without the doubled ones.
                    let target = sinks[k].reserve(n)
                    var written = 0
                    var i = 0
                    while i < n {
                        target[written] = p[i]
                        written += 1
                        i += p[i] == CSVScanner.quote ? 2 : 1
                    }
                    sinks[k].commitString(row, length: written)
                } else {
                    sinks[k].setString(row, p, n)
                }
            }
        }
        return nil
    }

    private func valueProblem(field k: Int) -> String {
        let sink = builder.sinks[k]
        let s = scanner.starts[sink.field]
        let n = scanner.ends[sink.field] - s
        let p = UnsafePointer(input.base) + s
        let name = schema.fields[sink.field].name
        let value = quotedForMessage(UnsafeBufferPointer(start: p, count: n))
        if sink.strict && n == 0 && scanner.flags[sink.field] == 0 { return "field \"\(name)\" is empty, and it must have a value" }
        if sink.strict && sink.type == .float, let v = ByteNumberParser.double(p, n), !v.isFinite {
            return "field \"\(name)\": \(value) is not a finite number"
        }
        if sink.strict && sink.type == .float, let v = ByteNumberParser.double(p, n),
           v.magnitude > Double(Float.greatestFiniteMagnitude)
        {
            return "field \"\(name)\": \(value) is beyond the range of a 32-bit float"
        }
        switch sink.type {
        case .int:
            return ByteNumberParser.looksLikeInteger(p, n)
                ? "field \"\(name)\": \(value) is out of range for int" : "field \"\(name)\": \(value) is not an int"
        case .float: return "field \"\(name)\": \(value) is not a float"
        case .bool: return "field \"\(name)\": \(value) is not a bool (true/false/1/0)"
        case .string: return "field \"\(name)\": \(value) is not a string"
        }
    }

    private func report(_ reason: String, start: Int, end: Int, line: Int) throws {
        counters.badRows += 1
        let raw = Array(UnsafeBufferPointer(start: input.base + start, count: min(end - start, BadRow.rawLimit)))
        var bad = BadRow(file: path, line: try lineNumbers.absolute(line), reason: reason, raw: raw)
        // Before the shard's first good record: what a start inside a quoted field reads until it is back in step.
        bad.opensNominalShard = startsAtNominalCut && counters.records == 0
        try onBadRow(bad)
    }

    /// Where the shard's records were: valid once `next()` returned nil.
    public var extent: ShardExtent? { ShardExtent(path: path, shard: shard, stop: input.offset + position) }
}

/// A value for an error message: in quotes, cut after 80 bytes, invalid UTF-8 replaced.
func quotedForMessage(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
    let cut = bytes.count > 80
    let text = String(decoding: cut ? UnsafeBufferPointer(rebasing: bytes[0..<80]) : bytes, as: UTF8.self)
    return "\"\(text)\(cut ? "…" : "")\""
}
