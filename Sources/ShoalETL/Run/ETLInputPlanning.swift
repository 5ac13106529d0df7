import Foundation

/// A row the reader could not take, with where it is and why: handed to the job's `on_bad_row` policy.
public struct BadRow: Sendable, Equatable {
    /// The input file.
    public var file: String
    /// The 1-based physical line where the record starts.
    public var line: Int
    /// What is wrong, naming the field and value (`field "price": "n/a" is not a float`).
    public var reason: String
    /// The category counted in summaries (`wrong field count`, `not a float: price`).
    public var category: String
    /// The record's bytes, without its line terminator.
    public var raw: [UInt8]

    public init(file: String, line: Int, reason: String, category: String, raw: [UInt8]) {
        self.file = file
        self.line = line
        self.reason = reason
        self.category = category
        self.raw = raw
    }
}

/// How summaries count bad rows: by category, not by the full reason (which names the value).
enum BadRowReason {
    static func category(of row: BadRow) -> String { row.category }
}

/// Reads a shard as column batches, reporting bad rows as it meets them.
public protocol ShardBatchReader {
    /// The next batch, `nil` at the end of the shard. Bad rows go to `badRow` and are not in any batch.
    mutating func next(_ badRow: (BadRow) -> Void) throws -> ColumnBatch?
    /// Input bytes consumed so far.
    var bytesRead: Int64 { get }
}

/// The input side of an ETL job's planning and running: the schema from a sample, shards at record
/// boundaries, and readers for shards.
public enum ETLInputPlanning {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// The input's schema: the header's (or `c0`, `c1`, … without one) column names, with types inferred from
    /// the first `sampleRows` records of the first file, then `overrides`.
    public static func schema(of input: InputSpec, overrides: [String: DataType], sampleRows: Int) throws -> Schema {
        guard let first = input.paths.first else { throw Failure(description: "no input files") }
        switch input.format {
        case .csv:
            let source = try InputSource(path: first)
            let sample = try source.prefix(64 << 20)
            var parser = CSVRecordScanner(bytes: sample, delimiter: input.delimiter)
            var names: [String] = []
            if input.header {
                guard let header = parser.nextRecord() else { throw Failure(description: "\(first): the file is empty; a header line is expected") }
                names = header.fields.map { String(decoding: $0, as: UTF8.self) }
                if names.first?.hasPrefix("\u{FEFF}") == true { names[0].removeFirst() }
                for (index, name) in names.enumerated() where name.isEmpty {
                    throw Failure(description: "\(first): header column \(index + 1) has no name")
                }
                if let duplicate = Dictionary(grouping: names, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
                    throw Failure(description: "\(first): the header names column '\(duplicate)' twice")
                }
            }
            var inference: [TypeInference] = []
            var rows = 0
            while rows < sampleRows, let record = parser.nextRecord() {
                if names.isEmpty { names = record.fields.indices.map { "c\($0)" } }
                if inference.isEmpty { inference = names.map { _ in TypeInference() } }
                guard record.fields.count == names.count else { continue }
                for (index, field) in record.fields.enumerated() { inference[index].observe(field) }
                rows += 1
            }
            if inference.isEmpty { inference = names.map { _ in TypeInference() } }
            for name in overrides.keys where !names.contains(name) {
                let hint = ETLPipeline.suggestion(name, among: names).map { " (did you mean '\($0)'?)" } ?? ""
                throw Failure(description: "schema: \(first) has no column '\(name)'\(hint)")
            }
            return Schema(zip(names, inference).map { Field($0, overrides[$0] ?? $1.type) })
        case .jsonl:
            throw Failure(description: "\(first): JSON Lines input is not supported yet")
        }
    }

    /// Splits the inputs into shards of about `input.shardBytes` at record boundaries (quote-aware).
    public static func shards(of input: InputSpec) throws -> [InputShard] {
        var shards: [InputShard] = []
        for path in input.paths {
            let source = try InputSource(path: path)
            var start = 0
            var line = 1
            if input.header {
                var scanner = CSVRecordScanner(bytes: try source.prefix(64 << 20), delimiter: input.delimiter)
                _ = scanner.nextRecord()
                start = scanner.offset
                line = 1 + scanner.linesConsumed
            }
            let size = try source.size()
            guard start < size else { continue }
            // One streaming pass: quote parity and line count up to each cut, 8 MiB at a time.
            var target = start + input.shardBytes
            var inQuotes = false
            var shardStart = start, shardLine = line
            var offset = start
            let handle = try source.open()
            defer { try? handle.close() }
            try handle.seek(toOffset: UInt64(start))
            while let data = try handle.read(upToCount: 8 << 20), !data.isEmpty {
                data.withUnsafeBytes { (b: UnsafeRawBufferPointer) in
                    for k in 0..<b.count {
                        let c = b[k]
                        if c == UInt8(ascii: "\"") {
                            inQuotes.toggle()
                        } else if c == 10 {
                            line += 1
                            let next = offset + k + 1
                            if !inQuotes && next >= target && next < size {
                                shards.append(InputShard(index: shards.count, path: path, start: Int64(shardStart), end: Int64(next), firstLine: shardLine))
                                shardStart = next
                                shardLine = line
                                target = shardStart + input.shardBytes
                            }
                        }
                    }
                }
                offset += data.count
            }
            shards.append(InputShard(index: shards.count, path: path, start: Int64(shardStart), end: Int64(size), firstLine: shardLine))
        }
        return shards
    }

    /// A reader for `shard`, parsing only `projection`.
    public static func openReader(
        shard: InputShard, input: InputSpec, schema: Schema, projection: [String]
    ) throws -> any ShardBatchReader {
        let source = try InputSource(path: shard.path)
        let bytes = try source.range(Int(shard.start)..<Int(shard.end))
        return CSVShardReader(
            bytes: bytes, file: shard.path, firstLine: shard.firstLine, delimiter: input.delimiter, schema: schema,
            projection: projection)
    }
}

/// A file's bytes.
struct InputSource {
    let path: String

    init(path: String) throws {
        self.path = path
    }

    func open() throws -> FileHandle {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ETLInputPlanning.Failure(description: "\(path): cannot open: \(String(cString: strerror(errno)))")
        }
        return handle
    }

    func size() throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.size] as? NSNumber)?.intValue ?? 0
    }

    func prefix(_ limit: Int) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ETLInputPlanning.Failure(description: "\(path): cannot open: \(String(cString: strerror(errno)))")
        }
        defer { try? handle.close() }
        let data = try handle.read(upToCount: limit) ?? Data()
        return [UInt8](data)
    }

    func range(_ range: Range<Int>) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ETLInputPlanning.Failure(description: "\(path): cannot open: \(String(cString: strerror(errno)))")
        }
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(range.lowerBound))
        let data = try handle.read(upToCount: range.count) ?? Data()
        return [UInt8](data)
    }
}

/// The type a sample's values admit.
struct TypeInference {
    var int = true, float = true, bool = true, seen = false

    mutating func observe(_ field: ArraySlice<UInt8>) {
        guard !field.isEmpty else { return }
        seen = true
        if int { int = NumberParsing.int(field) != nil }
        if float && !int { float = NumberParsing.double(field) != nil }
        if bool { bool = NumberParsing.bool(field) != nil }
    }

    var type: DataType {
        guard seen else { return .string }
        if int { return .int }
        if float { return .float }
        if bool { return .bool }
        return .string
    }
}

/// Number and bool parsing from bytes, without a `String` per field.
enum NumberParsing {
    static func int(_ field: ArraySlice<UInt8>) -> Int64? {
        var i = field.startIndex
        guard i < field.endIndex else { return nil }
        var negative = false
        if field[i] == UInt8(ascii: "-") || field[i] == UInt8(ascii: "+") {
            negative = field[i] == UInt8(ascii: "-")
            i += 1
        }
        guard i < field.endIndex else { return nil }
        var value: Int64 = 0
        while i < field.endIndex {
            let d = field[i] &- UInt8(ascii: "0")
            guard d < 10 else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = negative ? m.subtractingReportingOverflow(Int64(d)) : m.addingReportingOverflow(Int64(d))
            guard !o1 && !o2 else { return nil }
            value = s
            i += 1
        }
        return value
    }

    static let powersOfTen: [Double] = (0...22).map { pow(10, Double($0)) }

    /// Clinger's fast path when the decimal fits (≤ 15 significant digits, small exponent) — exact, hence
    /// correctly rounded — and `strtod` otherwise.
    static func double(_ field: ArraySlice<UInt8>) -> Double? {
        var i = field.startIndex
        let end = field.endIndex
        guard i < end else { return nil }
        var negative = false
        if field[i] == UInt8(ascii: "-") || field[i] == UInt8(ascii: "+") {
            negative = field[i] == UInt8(ascii: "-")
            i += 1
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var scale = 0
        var sawDigit = false
        while i < end, field[i] &- UInt8(ascii: "0") < 10 {
            if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(field[i] &- UInt8(ascii: "0")); if mantissa > 0 { digits += 1 } } else { scale += 1 }
            sawDigit = true
            i += 1
        }
        if i < end, field[i] == UInt8(ascii: ".") {
            i += 1
            while i < end, field[i] &- UInt8(ascii: "0") < 10 {
                if digits < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(field[i] &- UInt8(ascii: "0"))
                    if mantissa > 0 { digits += 1 }
                    scale -= 1
                }
                sawDigit = true
                i += 1
            }
        }
        guard sawDigit else { return slow(field) }
        if i < end { return slow(field) }  // exponent, inf, nan, junk: let strtod decide
        if digits <= 15 && scale >= -22 && scale <= 22 {
            var value = Double(mantissa)
            value = scale < 0 ? value / powersOfTen[-scale] : value * powersOfTen[scale]
            return negative ? -value : value
        }
        return slow(field)
    }

    static func slow(_ field: ArraySlice<UInt8>) -> Double? {
        guard field.count < 128 else { return nil }
        var buffer = [CChar](repeating: 0, count: field.count + 1)
        for (k, byte) in field.enumerated() { buffer[k] = CChar(bitPattern: byte) }
        return buffer.withUnsafeBufferPointer { p -> Double? in
            var endPointer: UnsafeMutablePointer<CChar>? = nil
            let value = strtod(p.baseAddress!, &endPointer)
            guard let endPointer, endPointer - UnsafeMutablePointer(mutating: p.baseAddress!) == field.count else { return nil }
            let text = String(decoding: field, as: UTF8.self).lowercased()
            if text.contains("x") { return nil }  // no hex floats in data
            return value
        }
    }

    static func bool(_ field: ArraySlice<UInt8>) -> Bool? {
        switch field.count {
        case 4 where field.map({ $0 | 0x20 }) == Array("true".utf8): return true
        case 5 where field.map({ $0 | 0x20 }) == Array("false".utf8): return false
        default: return nil
        }
    }
}
