/// Writes batches as CSV (RFC 4180: a field is quoted only when it holds the delimiter, a quote, CR or LF, or
/// is an empty string, `""`; a null is an empty field) or as JSON Lines (one object per row; null as `null`, non-finite floats as `null`)
/// straight into a byte buffer, column by column into row order without a `String` per row.
public struct RowFormatter: Sendable {
    public let format: FileFormat
    public let names: [String]
    let delimiter: UInt8
    /// `"name":` for every column, pre-escaped (JSON Lines).
    let jsonKeys: [[UInt8]]

    public init(format: FileFormat, names: [String], delimiter: UInt8 = UInt8(ascii: ",")) {
        self.format = format
        self.names = names
        self.delimiter = delimiter
        jsonKeys = names.map { name in
            var key: [UInt8] = []
            Self.appendJSONString(Array(name.utf8)[...], to: &key)
            key.append(UInt8(ascii: ":"))
            return key
        }
    }

    /// The header line (CSV); nothing for JSON Lines.
    public func header() -> [UInt8] {
        guard format == .csv else { return [] }
        var out: [UInt8] = []
        for (i, name) in names.enumerated() {
            if i > 0 { out.append(delimiter) }
            appendCSVField(Array(name.utf8)[...], to: &out)
        }
        out.append(UInt8(ascii: "\n"))
        return out
    }

    /// Appends the rows of `batch` (columns in `names` order) listed in `rows`, or all rows.
    public func append(_ batch: ColumnBatch, rows: [Int32]? = nil, to out: inout [UInt8]) {
        precondition(batch.names == names, "the batch's columns must be the formatter's")
        let count = rows?.count ?? batch.count
        if format == .csv, !batch.columns.isEmpty {
            CSVBatchWriter.append(batch.columns, count: count, rows: rows, delimiter: delimiter, to: &out)
            return
        }
        out.reserveCapacity(out.count + count * (8 * names.count + 2))
        for r in 0..<count {
            let row = rows.map { Int($0[r]) } ?? r
            if format == .jsonl { out.append(UInt8(ascii: "{")) }
            for (c, column) in batch.columns.enumerated() {
                if format == .csv {
                    if c > 0 { out.append(delimiter) }
                } else {
                    if c > 0 { out.append(UInt8(ascii: ",")) }
                    out.append(contentsOf: jsonKeys[c])
                }
                appendValue(column, row, to: &out)
            }
            out.append(contentsOf: format == .jsonl ? [UInt8(ascii: "}"), UInt8(ascii: "\n")] : [UInt8(ascii: "\n")])
        }
    }

    @inline(__always)
    func appendValue(_ column: Column, _ row: Int, to out: inout [UInt8]) {
        if column.isNull(row) {
            if format == .jsonl { out.append(contentsOf: Self.nullBytes) }
            return
        }
        switch column.data {
        case .int(let v): TextFormatting.appendInt(v[row], to: &out)
        case .float(let v):
            if format == .jsonl && !v[row].isFinite {
                out.append(contentsOf: Self.nullBytes)
            } else {
                TextFormatting.appendFloat(v[row], to: &out)
            }
        case .bool(let v): TextFormatting.appendBool(v[row], to: &out)
        case .string(let s):
            let range = s.range(row)
            if format == .csv {
                appendCSVField(s.bytes[range], to: &out)
            } else {
                Self.appendJSONString(s.bytes[range], to: &out)
            }
        }
    }

    /// One field as `CSVBatchWriter.writeField` writes it (the one quoting rule), appended to `out`.
    func appendCSVField(_ field: ArraySlice<UInt8>, to out: inout [UInt8]) {
        let start = out.count, room = 2 * field.count + 2  // every byte a quote, plus the two around
        out.append(contentsOf: repeatElement(0, count: room))
        let written = field.withUnsafeBufferPointer { field in
            out.withUnsafeMutableBufferPointer { CSVBatchWriter.writeField(field, delimiter: delimiter, to: $0.baseAddress! + start) }
        }
        out.removeLast(room - written)
    }

    static let nullBytes = Array("null".utf8)

    /// A JSON string: quotes, backslashes and control characters escaped; other bytes (UTF-8) as they are.
    static func appendJSONString(_ bytes: ArraySlice<UInt8>, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): out.append(contentsOf: [92, 92])
            case 10: out.append(contentsOf: [92, UInt8(ascii: "n")])
            case 13: out.append(contentsOf: [92, UInt8(ascii: "r")])
            case 9: out.append(contentsOf: [92, UInt8(ascii: "t")])
            case 0..<32:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [92, UInt8(ascii: "u"), 48, 48, hex[Int(byte >> 4)], hex[Int(byte & 15)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
