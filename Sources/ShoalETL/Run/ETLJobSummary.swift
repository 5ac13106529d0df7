import Foundation

/// An ETL job's totals: rows in and out, bad rows by reason, bytes, per-column statistics of the written rows,
/// wall time. Shown by `shoal status JOB` and at the end of `shoal run`, and kept in the manifest.
public struct ETLJobSummary: Sendable {
    public var job: String
    public var jobID: UInt64
    public var specHash: String
    public var shards = 0
    public var rowsIn: Int64 = 0
    public var rowsOut: Int64 = 0
    public var bytesRead: Int64 = 0
    public var bytesWritten: Int64 = 0
    public var badRows: [String: Int64] = [:]
    public var castFailures: Int64 = 0
    public var files = 0
    public var columns: [ColumnStatistics] = []
    public var aggregateRows: Int64 = 0
    public var aggregatePath: String?
    public var quarantinePath: String?
    public var wallSeconds: Double = 0
    /// Sum of the shards' own run times: what the work cost, against `wallSeconds`.
    public var taskSeconds: Double = 0
    /// Shards cut at nominal offsets that began inside a quoted field, read again by the finisher.
    public var shardsReread = 0

    public init(job: String, jobID: UInt64, specHash: String) {
        self.job = job
        self.jobID = jobID
        self.specHash = specHash
    }

    mutating func add(_ shard: ShardSummary) {
        shards += 1
        rowsIn += shard.rowsIn
        rowsOut += shard.rowsOut
        bytesRead += shard.bytesRead
        bytesWritten += shard.bytesWritten
        castFailures += shard.castFailures
        files += shard.files.count
        taskSeconds += shard.seconds
        for (reason, count) in shard.badRows { badRows[reason, default: 0] += count }
        if columns.isEmpty {
            columns = shard.columns
        } else {
            for index in columns.indices where index < shard.columns.count { columns[index].merge(shard.columns[index]) }
        }
    }

    public var badRowCount: Int64 { badRows.values.reduce(0, +) }

    var jsonObject: [String: Any] {
        var object: [String: Any] = [
            "shards": shards, "rows_in": rowsIn, "rows_out": rowsOut, "bytes_read": bytesRead,
            "bytes_written": bytesWritten, "bad_rows": badRows, "cast_failures": castFailures,
            "wall_seconds": wallSeconds, "task_seconds": taskSeconds, "aggregate_rows": aggregateRows,
            "shards_reread": shardsReread,
        ]
        object["columns"] = columns.map { column -> [String: Any] in
            var entry: [String: Any] = ["name": column.name, "type": column.type.description, "count": column.count, "nulls": column.nulls]
            if !column.min.isNull { entry["min"] = Self.json(column.min) }
            if !column.max.isNull { entry["max"] = Self.json(column.max) }
            if let mean = column.meanValue { entry["mean"] = mean }
            if let stddev = column.stddev { entry["stddev"] = stddev }
            return entry
        }
        return object
    }

    static func json(_ value: Value) -> Any {
        switch value {
        case .null: NSNull()
        case .int(let v): v
        case .float(let v): v.isFinite ? v as Any : "\(v)"
        case .bool(let v): v
        case .string(let v): v
        }
    }

    /// For people: what `shoal status` and `shoal run` print.
    public var text: String {
        let mb = Double(bytesRead) / 1e6
        let rate = wallSeconds > 0 ? String(format: "%.1f MB/s", mb / wallSeconds) : "-"
        var lines = [
            "rows: \(rowsIn) read, \(rowsOut) written, \(badRowCount) bad" + (castFailures > 0 ? ", \(castFailures) cast failures" : ""),
            String(format: "bytes: %.1f MB read, %.1f MB written in %d files; %.2f s wall (%@), %.2f s in tasks",
                   mb, Double(bytesWritten) / 1e6, files, wallSeconds, rate, taskSeconds),
        ]
        for (reason, count) in badRows.sorted(by: { $0.key < $1.key }) { lines.append("  bad rows, \(reason): \(count)") }
        if shardsReread > 0 {
            lines.append("shards read again at the coordinator (cut inside a quoted field): \(shardsReread)")
        }
        if let quarantinePath { lines.append("quarantine: \(quarantinePath)") }
        if let aggregatePath { lines.append("aggregate: \(aggregateRows) groups in \(aggregatePath)") }
        if !columns.isEmpty {
            lines.append("columns written:")
            for c in columns {
                var parts = ["\(c.name) (\(c.type))", "count \(c.count)", "nulls \(c.nulls)"]
                if !c.min.isNull { parts.append("min \(Self.short(c.min))") }
                if !c.max.isNull { parts.append("max \(Self.short(c.max))") }
                if let mean = c.meanValue { parts.append(String(format: "mean %.6g", mean)) }
                if let stddev = c.stddev { parts.append(String(format: "stddev %.6g", stddev)) }
                lines.append("  " + parts.joined(separator: ", "))
            }
        }
        return lines.joined(separator: "\n")
    }

    static func short(_ value: Value) -> String {
        if case .float(let v) = value { return String(format: "%.6g", v) }
        let text = value.description
        return text.count > 24 ? String(text.prefix(21)) + "…" : text
    }
}
