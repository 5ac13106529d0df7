import Foundation

/// Column types guessed from the first records of a file, with explicit types taking precedence.
///
/// Per column, over its non-empty sampled values: int if every one parses as an Int64; else float if every one
/// parses as a float; else bool if every one is `true`/`false` (any case; `0`/`1` columns infer as int); else
/// string. A column with no values in the sample is string.
public enum SchemaInference {
    /// The schema of a CSV file: names from its header, types from its first `sampleRecords` records.
    /// - Parameter overrides: types by column name that replace the inferred ones.
    /// - Throws: `ReaderError` if the file cannot be read, or an override names a column the file lacks.
    public static func csv(
        path: String, options: CSVOptions = CSVOptions(), sampleRecords: Int = 10_000,
        overrides: [String: DataType] = [:]
    ) throws -> Schema {
        let header = try CSVHeader.read(path: path, options: options)
        try checkOverrides(overrides, against: header.names, path: path)
        let untyped = Schema(header.names.map { Field($0, .string) })
        var sampleOptions = options
        sampleOptions.batchSize = max(sampleRecords, 1)
        // Bad records (wrong field count) say nothing about types: they are left out of the sample.
        let reader = try CSVReader(path: path, schema: untyped, options: sampleOptions, onBadRow: { _ in })
        let sample = sampleRecords > 0 ? try reader.next() : nil
        return Schema(
            header.names.enumerated().map { i, name in
                if let type = overrides[name] { return Field(name, type) }
                guard let column = sample?.columns[i] else { return Field(name, .string) }
                return Field(name, inferType(column))
            })
    }

    static func checkOverrides(_ overrides: [String: DataType], against names: [String], path: String) throws {
        let missing = overrides.keys.filter { !names.contains($0) }.sorted()
        if !missing.isEmpty {
            throw ReaderError(
                file: path,
                "types are given for \(missing.map { "\"\($0)\"" }.joined(separator: ", ")), which the file does not have"
                    + " (columns: \(names.joined(separator: ", ")))")
        }
    }

    /// The narrowest type that holds every non-empty string of `column`.
    static func inferType(_ column: Column) -> DataType {
        guard case .string(let strings) = column.data else { return column.type }
        var int = true
        var float = true
        var bool = true
        var any = false
        strings.bytes.withUnsafeBufferPointer { bytes in
            guard let base = bytes.baseAddress else { return }
            for i in 0..<strings.count where !column.isNull(i) {
                let r = strings.range(i)
                if r.isEmpty { continue }
                any = true
                let p = base + r.lowerBound
                if int && ByteNumberParser.int(p, r.count) == nil { int = false }
                if !int && float && ByteNumberParser.double(p, r.count) == nil { float = false }
                if bool && !ByteNumberParser.isBoolWord(p, r.count) { bool = false }
                if !int && !float && !bool { return }
            }
        }
        if !any { return .string }
        if int { return .int }
        if float { return .float }
        if bool { return .bool }
        return .string
    }

    /// The schema of a JSON Lines file from its first `sampleRecords` lines: columns in the order their keys
    /// first appear. Per key: int if every non-null value is an integral number within Int64, float if every one
    /// is a number, bool if every one is `true`/`false`, else string (strings, mixed kinds, nested values).
    /// - Throws: `ReaderError` if the file cannot be read, or an override names a key the sample lacks.
    public static func jsonl(
        path: String, options: JSONLOptions = JSONLOptions(), sampleRecords: Int = 10_000,
        overrides: [String: DataType] = [:]
    ) throws -> Schema {
        let compression = try options.compression ?? InputCompression.detect(path: path)
        let source: ByteSource =
            compression == .gzip ? try GzipByteSource(path: path) : try FileByteSource(path: path, start: 0, softEnd: .max)
        let input = InputBuffer(source: source, capacity: min(options.bufferSize, 4 << 20), startOffset: 0)
        var scanner = JSONLineScanner()
        var names: [String] = []
        var kinds: [String: JSONKinds] = [:]
        var position = 0
        var sampled = 0
        while sampled < sampleRecords {
            if position >= input.end {
                if input.exhausted { break }
                try input.refill(keepingFrom: position)
                position = 0
                continue
            }
            let base = input.base
            var lineEnd: Int
            if let hit = memchr(base + position, 0x0A, input.end - position) {
                lineEnd = hit.assumingMemoryBound(to: UInt8.self) - base
            } else if input.exhausted {
                lineEnd = input.end
            } else {
                try input.refill(keepingFrom: position)
                position = 0
                continue
            }
            let next = lineEnd + 1
            if lineEnd > position && base[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            var start = position
            if input.offset == 0 && start == 0 && lineEnd >= 3 && base[0] == 0xEF && base[1] == 0xBB && base[2] == 0xBF {
                start = 3
            }
            position = next
            // Bad lines say nothing about types: they are left out of the sample.
            guard let syntax = scanner.scan(base, from: start, end: lineEnd), syntax.isEmpty else { continue }
            sampled += 1
            for member in scanner.members {
                let keyBytes = UnsafeBufferPointer(start: base + member.keyStart, count: member.keyEnd - member.keyStart)
                var key = String(decoding: keyBytes, as: UTF8.self)
                if member.keyEscaped {
                    var out = [UInt8](repeating: 0, count: keyBytes.count)
                    if let n = out.withUnsafeMutableBufferPointer({
                        JSONLineScanner.unescape(keyBytes.baseAddress!, keyBytes.count, into: $0.baseAddress!)
                    }) {
                        key = String(decoding: out[..<n], as: UTF8.self)
                    }
                }
                if kinds[key] == nil {
                    names.append(key)
                    kinds[key] = JSONKinds()
                }
                let p = UnsafePointer(base + member.valueStart)
                let n = member.valueEnd - member.valueStart
                kinds[key]!.see(member.kind, integral: member.kind == .number && ByteNumberParser.int(p, n) != nil)
            }
        }
        try checkOverrides(overrides, against: names, path: path)
        return Schema(names.map { Field($0, overrides[$0] ?? kinds[$0]!.type) })
    }
}

/// The kinds of value one JSON key had in the sample.
struct JSONKinds {
    var integral = false
    var fractional = false
    var bool = false
    var other = false

    mutating func see(_ kind: JSONLineScanner.Kind, integral isIntegral: Bool) {
        switch kind {
        case .null: break
        case .number: if isIntegral { integral = true } else { fractional = true }
        case .bool: bool = true
        case .string, .nested: other = true
        }
    }

    var type: DataType {
        if other || (bool && (integral || fractional)) { return .string }
        if bool { return .bool }
        if fractional { return .float }
        if integral { return .int }
        return .string
    }
}
