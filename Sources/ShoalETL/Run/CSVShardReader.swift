/// Scans CSV records (RFC 4180) one at a time into field slices: for the header and the type sample, where
/// speed does not matter. `CSVShardReader` is the fast path.
struct CSVRecordScanner {
    struct Record {
        var fields: [ArraySlice<UInt8>]
    }

    let bytes: [UInt8]
    let delimiter: UInt8
    private(set) var offset = 0
    private(set) var linesConsumed = 0

    init(bytes: [UInt8], delimiter: UInt8) {
        self.bytes = bytes
        self.delimiter = delimiter
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { offset = 3 }
    }

    /// The next record with its fields unquoted; nil at the end.
    mutating func nextRecord() -> Record? {
        guard offset < bytes.count else { return nil }
        var fields: [ArraySlice<UInt8>] = []
        let quote = UInt8(ascii: "\"")
        while true {
            if offset < bytes.count && bytes[offset] == quote {
                var value: [UInt8] = []
                offset += 1
                while offset < bytes.count {
                    let c = bytes[offset]
                    if c == quote {
                        if offset + 1 < bytes.count && bytes[offset + 1] == quote {
                            value.append(quote)
                            offset += 2
                            continue
                        }
                        offset += 1
                        break
                    }
                    if c == 10 { linesConsumed += 1 }
                    value.append(c)
                    offset += 1
                }
                // Anything between the closing quote and the delimiter is kept, as lenient readers do.
                while offset < bytes.count && bytes[offset] != delimiter && bytes[offset] != 10 {
                    if bytes[offset] != 13 { value.append(bytes[offset]) }
                    offset += 1
                }
                fields.append(value[...])
            } else {
                let start = offset
                while offset < bytes.count && bytes[offset] != delimiter && bytes[offset] != 10 { offset += 1 }
                var end = offset
                if end > start && bytes[end - 1] == 13 && (offset == bytes.count || bytes[offset] == 10) { end -= 1 }
                fields.append(bytes[start..<end])
            }
            if offset >= bytes.count { break }
            if bytes[offset] == 10 {
                offset += 1
                linesConsumed += 1
                break
            }
            offset += 1  // the delimiter
        }
        return Record(fields: fields)
    }
}

/// Reads a shard of a CSV file into column batches, parsing only the projected columns.
///
/// Hand-written because no library reads CSV at memory speed into columns: the loop walks the bytes once,
/// remembers where each projected field of a record is, checks the record's field count, and only then
/// converts the projected fields straight from bytes (no `String` per field, nothing allocated per row).
/// A record with the wrong field count, a value not of its column's type, or an unterminated quote is a
/// `BadRow` and is left out whole.
struct CSVShardReader: ShardBatchReader {
    let bytes: [UInt8]
    let file: String
    let delimiter: UInt8
    let fieldCount: Int
    /// Per input column: its position among the projected columns, or -1.
    let slotOfColumn: [Int]
    let projectedNames: [String]
    let projectedTypes: [DataType]
    var line: Int
    var offset = 0
    let batchRows = 65_536

    var bytesRead: Int64 { Int64(offset) }

    init(bytes: [UInt8], file: String, firstLine: Int, delimiter: UInt8, schema: Schema, projection: [String]) {
        self.bytes = bytes
        self.file = file
        self.delimiter = delimiter
        line = firstLine
        fieldCount = schema.fields.count
        var slots = [Int](repeating: -1, count: schema.fields.count)
        var names: [String] = []
        var types: [DataType] = []
        for (index, field) in schema.fields.enumerated() where projection.contains(field.name) {
            slots[index] = names.count
            names.append(field.name)
            types.append(field.type)
        }
        slotOfColumn = slots
        projectedNames = names
        projectedTypes = types
        if firstLine == 1 && bytes.starts(with: [0xEF, 0xBB, 0xBF]) { offset = 3 }
    }

    /// Columns being filled for one batch.
    struct Builders {
        var ints: [[Int64]]
        var floats: [[Double]]
        var bools: [[Bool]]
        var strings: [StringColumn]
        var validity: [[Bool]]
        var hasNull: [Bool]
    }

    mutating func next(_ badRow: (BadRow) -> Void) throws -> ColumnBatch? {
        guard offset < bytes.count else { return nil }
        let slots = projectedTypes.count
        var ints = [[Int64]](repeating: [], count: slots)
        var floats = [[Double]](repeating: [], count: slots)
        var bools = [[Bool]](repeating: [], count: slots)
        var strings = [StringColumn](repeating: StringColumn(), count: slots)
        var validity = [[Bool]](repeating: [], count: slots)
        var hasNull = [Bool](repeating: false, count: slots)
        for s in 0..<slots {
            switch projectedTypes[s] {
            case .int: ints[s].reserveCapacity(batchRows)
            case .float: floats[s].reserveCapacity(batchRows)
            case .bool: bools[s].reserveCapacity(batchRows)
            case .string: strings[s].reserveCapacity(strings: batchRows, bytes: batchRows * 8)
            }
            validity[s].reserveCapacity(batchRows)
        }
        // Where each projected field of the current record is, and whether it was quoted with "" inside.
        var fieldStart = [Int](repeating: 0, count: slots)
        var fieldEnd = [Int](repeating: 0, count: slots)
        var fieldEscaped = [Bool](repeating: false, count: slots)
        var rows = 0
        var unescaped: [UInt8] = []
        let quote = UInt8(ascii: "\"")
        let delimiter = self.delimiter

        try bytes.withUnsafeBufferPointer { b in
            let n = b.count
            while rows < batchRows && offset < n {
                let recordStart = offset
                let recordLine = line
                var p = offset
                var field = 0
                var problem: String? = nil
                var category = ""
                // Walk the record's fields.
                while true {
                    let slot = field < slotOfColumn.count ? slotOfColumn[field] : -1
                    if p < n && b[p] == quote {
                        var q = p + 1
                        var escaped = false
                        var closed = false
                        while q < n {
                            let c = b[q]
                            if c == quote {
                                if q + 1 < n && b[q + 1] == quote {
                                    escaped = true
                                    q += 2
                                    continue
                                }
                                closed = true
                                break
                            }
                            if c == 10 { line += 1 }
                            q += 1
                        }
                        if !closed {
                            problem = "unterminated quoted field \(field + 1)"
                            category = "unterminated quote"
                            p = n
                            break
                        }
                        if slot >= 0 {
                            fieldStart[slot] = p + 1
                            fieldEnd[slot] = q
                            fieldEscaped[slot] = escaped
                        }
                        p = q + 1
                        // Up to the delimiter or the line's end; a stray byte after the closing quote is tolerated.
                        while p < n && b[p] != delimiter && b[p] != 10 { p += 1 }
                    } else {
                        let start = p
                        while p < n {
                            let c = b[p]
                            if c == delimiter || c == 10 { break }
                            p += 1
                        }
                        if slot >= 0 {
                            var end = p
                            if end > start && b[end - 1] == 13 && (p == n || b[p] == 10) { end -= 1 }
                            fieldStart[slot] = start
                            fieldEnd[slot] = end
                            fieldEscaped[slot] = false
                        }
                    }
                    field += 1
                    if p >= n { break }
                    if b[p] == 10 {
                        p += 1
                        line += 1
                        break
                    }
                    p += 1  // past the delimiter
                }
                offset = p
                // A blank line is no record.
                var rawEnd = p
                if rawEnd > recordStart && b[rawEnd - 1] == 10 { rawEnd -= 1 }
                if rawEnd > recordStart && b[rawEnd - 1] == 13 { rawEnd -= 1 }
                if rawEnd == recordStart && problem == nil { continue }
                if problem == nil && field != fieldCount {
                    problem = "expected \(fieldCount) fields, found \(field)"
                    category = "wrong field count"
                }
                // Convert the projected fields; a value not of its type makes the row bad.
                if problem == nil {
                    for s in 0..<slots {
                        var start = fieldStart[s], end = fieldEnd[s]
                        if start == end {
                            validity[s].append(false)
                            hasNull[s] = true
                            switch projectedTypes[s] {
                            case .int: ints[s].append(0)
                            case .float: floats[s].append(0)
                            case .bool: bools[s].append(false)
                            case .string: strings[s].appendEmpty()
                            }
                            continue
                        }
                        var slice = UnsafeBufferPointer(rebasing: b[start..<end])
                        if fieldEscaped[s] {
                            unescaped.removeAll(keepingCapacity: true)
                            var k = start
                            while k < end {
                                unescaped.append(b[k])
                                k += b[k] == quote ? 2 : 1
                            }
                            start = 0
                            end = unescaped.count
                        }
                        let ok: Bool = unescaped.withUnsafeBufferPointer { u in
                            if fieldEscaped[s] { slice = u }
                            switch projectedTypes[s] {
                            case .int:
                                guard let v = FastParse.int(slice) else { return false }
                                ints[s].append(v)
                            case .float:
                                guard let v = FastParse.double(slice) else { return false }
                                floats[s].append(v)
                            case .bool:
                                guard let v = FastParse.bool(slice) else { return false }
                                bools[s].append(v)
                            case .string:
                                strings[s].append(UnsafeRawBufferPointer(slice))
                            }
                            return true
                        }
                        if !ok {
                            problem = "field \"\(projectedNames[s])\": \"\(String(decoding: slice, as: UTF8.self))\" is not \(projectedTypes[s] == .int ? "an" : "a") \(projectedTypes[s])"
                            category = "not \(projectedTypes[s] == .int ? "an" : "a") \(projectedTypes[s]): \(projectedNames[s])"
                            // Undo this record's appends to the slots before s.
                            for t in 0..<s {
                                validity[t].removeLast()
                                switch projectedTypes[t] {
                                case .int: ints[t].removeLast()
                                case .float: floats[t].removeLast()
                                case .bool: bools[t].removeLast()
                                case .string: strings[t].removeLast()
                                }
                            }
                            break
                        }
                        validity[s].append(true)
                    }
                }
                if let problem {
                    badRow(BadRow(file: file, line: recordLine, reason: problem, category: category,
                                  raw: Array(b[recordStart..<rawEnd])))
                    continue
                }
                rows += 1
            }
        }
        if rows == 0 && offset >= bytes.count { return nil }
        var columns: [Column] = []
        for s in 0..<slots {
            let valid = hasNull[s] ? validity[s] : nil
            switch projectedTypes[s] {
            case .int: columns.append(Column(.int(ints[s]), validity: valid))
            case .float: columns.append(Column(.float(floats[s]), validity: valid))
            case .bool: columns.append(Column(.bool(bools[s]), validity: valid))
            case .string: columns.append(Column(.string(strings[s]), validity: valid))
            }
        }
        if slots == 0 { return ColumnBatch(count: rows) }
        return ColumnBatch(names: projectedNames, columns: columns)
    }
}

/// Number parsing straight from a field's bytes.
enum FastParse {
    @inline(__always)
    static func int(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        var i = 0
        let n = b.count
        var negative = false
        if b[0] == UInt8(ascii: "-") || b[0] == UInt8(ascii: "+") {
            negative = b[0] == UInt8(ascii: "-")
            i = 1
        }
        guard i < n, n - i <= 19 else { return n - i > 19 ? NumberParsing.int(Array(b)[...]) : nil }
        var value: UInt64 = 0
        while i < n {
            let d = b[i] &- UInt8(ascii: "0")
            guard d < 10 else { return nil }
            value = value &* 10 &+ UInt64(d)
            i += 1
        }
        if negative {
            guard value <= UInt64(Int64.max) + 1 else { return nil }
            return value == UInt64(Int64.max) + 1 ? Int64.min : -Int64(value)
        }
        guard value <= UInt64(Int64.max) else { return nil }
        return Int64(value)
    }

    /// Clinger's fast path for plain decimals of ≤ 15 significant digits (exact, so correctly rounded); any
    /// other form (exponents, long mantissas, inf/nan) goes to `strtod`.
    @inline(__always)
    static func double(_ b: UnsafeBufferPointer<UInt8>) -> Double? {
        var i = 0
        let n = b.count
        var negative = false
        if b[0] == UInt8(ascii: "-") || b[0] == UInt8(ascii: "+") {
            negative = b[0] == UInt8(ascii: "-")
            i = 1
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var scale = 0
        var sawDigit = false
        while i < n {
            let d = b[i] &- UInt8(ascii: "0")
            guard d < 10 else { break }
            mantissa = mantissa &* 10 &+ UInt64(d)
            if mantissa != 0 { digits += 1 }
            sawDigit = true
            i += 1
        }
        if i < n && b[i] == UInt8(ascii: ".") {
            i += 1
            while i < n {
                let d = b[i] &- UInt8(ascii: "0")
                guard d < 10 else { break }
                mantissa = mantissa &* 10 &+ UInt64(d)
                if mantissa != 0 { digits += 1 }
                scale -= 1
                sawDigit = true
                i += 1
            }
        }
        if i == n && sawDigit && digits <= 15 && scale >= -22 {
            let value = scale == 0 ? Double(mantissa) : Double(mantissa) / NumberParsing.powersOfTen[-scale]
            return negative ? -value : value
        }
        return NumberParsing.double(Array(b)[...])
    }

    @inline(__always)
    static func bool(_ b: UnsafeBufferPointer<UInt8>) -> Bool? { NumberParsing.bool(Array(b)[...]) }
}
