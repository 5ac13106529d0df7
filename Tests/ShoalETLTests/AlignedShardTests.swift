import Foundation
import Testing

@testable import ShoalETL

/// Shards cut at nominal offsets (`FileShard.aligned`): each reader moves its cuts to line starts, counts line
/// numbers only when it names a bad row, and reports where its records stopped.
@Suite struct AlignedShardTests {
    /// Records on one line each — CRLF and LF, blank lines, quoted delimiters and quotes, bad rows — but no
    /// newline inside quotes.
    static func singleLineFile() -> String {
        var rng = SplitMix64(seed: 7)
        var text = "id,note,x\n"
        for i in 0..<120 {
            switch rng.next() % 6 {
            case 0: text += "\(i),\"a,b\",\(i)\r\n"
            case 1: text += "\(i),\"say \"\"hi\"\"\",1.5\n"
            case 2: text += "\n"
            case 3: text += "\(i),short\n"  // bad: 2 fields
            case 4: text += "\(i),plain,notafloat\n"  // bad: x
            default: text += "\(i),,\(i)\n"
            }
        }
        return text
    }

    /// Reads `path` as `cuts` nominal shards, the first from `dataStart` on line 2, the others with lines unknown.
    func readAligned(_ path: String, schema: Schema, cuts: [Int], dataStart: Int, size: Int) throws
        -> (ReadResult, [ShardExtent])
    {
        var all = ReadResult()
        var extents: [ShardExtent] = []
        let bounds = [dataStart] + cuts + [size]
        for (k, (start, end)) in zip(bounds, bounds.dropFirst()).enumerated() {
            var bad: [BadRow] = []
            let reader = try CSVReader(
                path: path, schema: schema,
                shard: FileShard(start: start, end: end, firstLine: k == 0 ? 2 : 0, aligned: true),
                onBadRow: { bad.append($0) })
            while let batch = try reader.next() { all.rows += rows(of: batch) }
            all.bad += bad
            extents.append(try #require(reader.extent))
        }
        return (all, extents)
    }

    @Test func shardsCutAnywhereReadExactlyTheWholeFileWithItsLineNumbers() throws {
        let scratch = try Scratch()
        let text = Self.singleLineFile()
        let path = try scratch.write("lines.csv", text)
        let s = schema(("id", .int), ("note", .string), ("x", .float))
        let whole = try readCSV(path, schema: s)
        #expect(!whole.bad.isEmpty && whole.bad.contains { $0.line > 50 })
        let size = text.utf8.count
        // Every single cut, then pairs of cuts a prime apart: inside CRLF, on line starts, mid-field.
        var cutSets = (11..<size).map { [$0] }
        cutSets += stride(from: 11, to: size - 37, by: 5).map { [$0, $0 + 37] }
        for cuts in cutSets {
            let (sharded, extents) = try readAligned(path, schema: s, cuts: cuts, dataStart: 10, size: size)
            #expect(sharded.rows == whole.rows, "cuts \(cuts)")
            #expect(sharded.bad == whole.bad, "cuts \(cuts)")
            for (a, b) in zip(extents, extents.dropFirst()) {
                #expect(a.stop == b.start, "cuts \(cuts): without quoted newlines every shard starts on a record")
            }
            #expect(extents.last?.stop == Int64(size))
        }
    }

    @Test func aShardCutInsideAQuotedFieldIsSeenByWhereThePreviousOneStopped() throws {
        let scratch = try Scratch()
        let text = "id,note,x\n1,plain,1\n2,\"two\nlines\",2\n3,after,3\n"
        let path = try scratch.write("q.csv", text)
        let s = schema(("id", .int), ("note", .string), ("x", .float))
        let inside = text.utf8.count - "lines\",2\n3,after,3\n".utf8.count  // just after the quoted newline
        let (_, extents) = try readAligned(path, schema: s, cuts: [inside - 2], dataStart: 10, size: text.utf8.count)
        // The first shard read the two-line record whole; the second started at the line inside it.
        #expect(extents[0].stop == Int64(text.utf8.count - "3,after,3\n".utf8.count))
        #expect(extents[1].start == Int64(inside))
        #expect(extents[0].stop != extents[1].start)
    }

    @Test func theSampleDecidesBetweenNominalAndExactCuts() throws {
        let scratch = try Scratch()
        let plain = try scratch.write("plain.csv", "a,b\n" + String(repeating: "1,\"x,y\"\n", count: 400))
        let multiline = try scratch.write("multi.csv", "a,b\n" + String(repeating: "1,\"x\ny\"\n", count: 400))
        let late = try scratch.write("late.csv", "a,b\n" + String(repeating: "1,x\n", count: 400) + "2,\"p\nq\"\n")
        func plan(_ path: String) throws -> [InputShard] {
            try ETLInputPlanning.shards(
                of: InputSpec(format: .csv, paths: [path], shardBytes: 700), aligned: true, sampleBytes: 1000)
        }
        let nominal = try plan(plain)
        #expect(nominal.count == 5 && nominal.allSatisfy(\.aligned))
        #expect(nominal.map(\.firstLine) == [2, 0, 0, 0, 0])
        #expect(nominal.first?.start == 4 && nominal.last?.end == Int64(4 + 8 * 400))
        for (a, b) in zip(nominal, nominal.dropFirst()) { #expect(a.end == b.start) }
        let exact = try plan(multiline)
        #expect(exact.allSatisfy { !$0.aligned && $0.firstLine > 0 })
        #expect(exact.map(\.firstLine) == exact.map { 2 + Int($0.start - 4) / 8 * 2 })
        // Quoted newlines past the sample do not show: the finisher's check is what catches them.
        #expect(try plan(late).allSatisfy(\.aligned))
    }
}
