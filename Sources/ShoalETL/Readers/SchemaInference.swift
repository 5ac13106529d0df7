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
}
