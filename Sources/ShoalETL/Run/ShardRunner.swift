import Foundation

/// Runs one ETL task: reads its shard batch by batch, runs the steps, formats the written rows, adds to the
/// shard's partial aggregate and statistics, and hands back every file the shard commits — the worker side
/// of an ETL job, without any networking.
///
/// The files: `part-NNNNN.<csv|jsonl>` (or one per hash partition, `part-NNNNN-pPPP.…`), `aggregate.bin`
/// (the partial aggregate), `quarantine.jsonl` (bad rows, under `quarantine`) and `shard.json` (the
/// `ShardSummary`). The coordinator commits them together as `shard-NNNNN/`, exactly once.
public struct ShardRunner: Sendable {
    /// Why a shard could not be processed: a bad row under `on_bad_row: fail` (naming file, line, reason), an
    /// unreadable input, or cancellation.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
        public init(description: String) { self.description = description }
    }

    public let spec: ETLTaskSpec
    let pipeline: ETLPipeline

    public init(spec: ETLTaskSpec) throws(Failure) {
        self.spec = spec
        let job = spec.job
        do {
            if spec.collectsStatistics {
                // The statistics pass runs the steps up to the last scaling step, and writes nothing else.
                let last = job.steps.lastIndex(where: \.isScaling) ?? -1
                pipeline = try ETLPipeline(
                    inputSchema: Schema(job.inputSchema), steps: Array(job.steps[...last]), aggregate: nil,
                    scaling: .collect, writesRows: false)
            } else {
                pipeline = try ETLPipeline(
                    inputSchema: Schema(job.inputSchema), steps: job.steps, aggregate: job.aggregate,
                    partitionBy: job.output?.partitionBy ?? [], scaling: spec.scaling)
            }
        } catch {
            throw Failure(description: "the job's steps do not bind on this worker: \(error)")
        }
        if case .apply(let statistics) = spec.scaling, statistics.count != pipeline.scalings.count {
            throw Failure(description: "the task carries \(statistics.count) column statistics for \(pipeline.scalings.count) scaled columns")
        }
        if spec.scaling == nil, !pipeline.scalings.isEmpty {
            throw Failure(description: "the job scales columns, but the task carries no statistics pass")
        }
    }

    /// What a finished shard hands to the coordinator.
    public struct Result: Sendable {
        /// Files to commit, by name, in a fixed order.
        public var files: [(name: String, bytes: [UInt8])]
        public var summary: ShardSummary
    }

    /// Processes the shard.
    /// - Parameters:
    ///   - progress: called after each batch with the records and input bytes read so far.
    ///   - isCancelled: polled between batches; when it says yes the run stops with a `Failure`.
    public func run(
        progress: (_ records: Int64, _ bytes: Int64) -> Void = { _, _ in }, isCancelled: () -> Bool = { false }
    ) throws(Failure) -> Result {
        let started = ContinuousClock.now
        let job = spec.job
        let shard = spec.shard
        let collecting = spec.collectsStatistics
        var summary = ShardSummary(shard: shard.index, source: shard.label)
        let outputSchema = pipeline.outputSchema
        if !collecting { summary.columns = outputSchema.fields.map { ColumnStatistics(name: $0.name, type: $0.type) } }
        var statistics = pipeline.makeStatistics()
        let partial = pipeline.makePartialAggregate()
        let formatter = collecting ? nil : job.output.map { RowFormatter(format: $0.format, names: outputSchema.names) }
        let partitions = job.output?.partitions ?? 1
        var buffers = [[UInt8]](repeating: formatter?.header() ?? [], count: formatter == nil ? 0 : partitions)
        var rowCounts = [Int64](repeating: 0, count: buffers.count)
        var quarantine: [UInt8] = []
        var firstFailure: String? = nil

        var reader: any ShardBatchReader
        do {
            reader = try ETLInputPlanning.openReader(
                shard: shard, input: job.input, schema: Schema(job.inputSchema), projection: pipeline.inputColumns)
        } catch {
            throw Failure(description: "\(shard.path): \(error)")
        }
        let policy = job.input.onBadRow
        while true {
            if isCancelled() { throw Failure(description: "cancelled") }
            let batch: ColumnBatch?
            do {
                batch = try reader.next { (bad: BadRow) in
                    summary.badRows[BadRowReason.category(of: bad), default: 0] += 1
                    switch policy {
                    case .fail where bad.opensNominalShard:
                        if summary.deferredFailure == nil { summary.deferredFailure = "\(bad.file):\(bad.line): \(bad.reason)" }
                    case .fail:
                        if firstFailure == nil { firstFailure = "\(bad.file):\(bad.line): \(bad.reason)" }
                    case .skip:
                        break
                    case .quarantine:
                        // The statistics pass leaves bad rows to the main pass, which quarantines them.
                        if !collecting { Self.appendQuarantine(bad, to: &quarantine) }
                    }
                }
            } catch {
                throw Failure(description: "\(shard.path): \(error)")
            }
            if let firstFailure { throw Failure(description: "bad row at \(firstFailure) (on_bad_row: fail)") }
            guard let batch else { break }
            summary.rowsIn += Int64(batch.count)
            let out = pipeline.run(batch, into: partial, statistics: &statistics)
            summary.castFailures += Int64(out.castFailures)
            summary.rowsOut += Int64(out.rows.count)
            for (index, column) in out.rows.columns.enumerated() { summary.columns[index].add(column) }
            if let formatter, out.rows.count > 0 {
                if partitions == 1 {
                    formatter.append(out.rows, to: &buffers[0])
                    rowCounts[0] += Int64(out.rows.count)
                } else {
                    let assignment = Self.partitions(of: out.rows, by: job.output!.partitionBy, count: partitions)
                    for (p, rows) in assignment.enumerated() where !rows.isEmpty {
                        formatter.append(out.rows, rows: rows, to: &buffers[p])
                        rowCounts[p] += Int64(rows.count)
                    }
                }
            }
            progress(summary.rowsIn + summary.badRowCount, reader.bytesRead)
        }
        summary.bytesRead = reader.bytesRead
        summary.extent = reader.extent

        var files: [(name: String, bytes: [UInt8])] = []
        if collecting {
            do {
                let file = ScalingStatistics.ShardFile(shard: shard, columns: statistics)
                files.append((ScalingStatistics.fileName, Array(try ScalingStatistics.encoder.encode(file))))
            } catch {
                throw Failure(description: "cannot encode the shard's statistics: \(error)")
            }
            return Result(files: files, summary: summary)
        }
        if let output = job.output {
            let suffix = output.format == .csv ? "csv" : "jsonl"
            for (p, bytes) in buffers.enumerated() {
                let name = partitions == 1
                    ? String(format: "part-%05d.%@", shard.index, suffix)
                    : String(format: "part-%05d-p%03d.%@", shard.index, p, suffix)
                files.append((name, bytes))
                summary.files.append(ShardSummary.OutputFile(
                    name: name, rows: rowCounts[p], bytes: Int64(bytes.count), sha256: ETLFinalizer.sha256(bytes),
                    partition: partitions == 1 ? nil : p))
                summary.bytesWritten += Int64(bytes.count)
            }
        }
        if let partial { files.append(("aggregate.bin", partial.encode())) }
        if !quarantine.isEmpty { files.append(("quarantine.jsonl", quarantine)) }
        let elapsed = started.duration(to: .now)
        summary.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        files.append(("shard.json", Array((try? encoder.encode(summary)) ?? Data())))
        return Result(files: files, summary: summary)
    }

    /// One JSON line per bad row: file, line, reason and the raw record (as UTF-8; invalid bytes replaced).
    static func appendQuarantine(_ bad: BadRow, to out: inout [UInt8]) {
        out.append(contentsOf: Array(#"{"file":"#.utf8))
        RowFormatter.appendJSONString(Array(bad.file.utf8)[...], to: &out)
        out.append(contentsOf: Array(#","line":"#.utf8))
        TextFormatting.appendInt(Int64(bad.line), to: &out)
        out.append(contentsOf: Array(#","reason":"#.utf8))
        RowFormatter.appendJSONString(Array(bad.reason.utf8)[...], to: &out)
        out.append(contentsOf: Array(#","raw":"#.utf8))
        RowFormatter.appendJSONString(Array(String(decoding: bad.raw, as: UTF8.self).utf8)[...], to: &out)
        out.append(contentsOf: [UInt8(ascii: "}"), 10])
    }

    /// The rows of each hash partition: `StableHash` of the partition columns' text, joined by 0x1F.
    static func partitions(of batch: ColumnBatch, by names: [String], count: Int) -> [[Int32]] {
        let columns = names.map { batch[$0]! }
        var out = [[Int32]](repeating: [], count: count)
        var scratch: [UInt8] = []
        for row in 0..<batch.count {
            scratch.removeAll(keepingCapacity: true)
            for (i, column) in columns.enumerated() {
                if i > 0 { scratch.append(0x1F) }
                if !column.isNull(row) { ColumnCast.appendText(column, row, to: &scratch) }
            }
            out[Int(StableHash.hash(scratch) % UInt64(count))].append(Int32(row))
        }
        return out
    }
}
