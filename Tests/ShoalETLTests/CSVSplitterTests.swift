import Foundation
import Testing

@testable import ShoalETL

@Suite struct CSVSplitterTests {
    /// A file whose records often hold quoted newlines, delimiters and escaped quotes, plus some bad records,
    /// so that tiny shard targets put many candidate boundaries inside quoted fields.
    static func trickyFile() -> (text: String, records: Int) {
        var rng = SplitMix64(seed: 42)
        var text = "id,note,x\n"
        var records = 0
        for i in 0..<300 {
            switch rng.next() % 6 {
            case 0: text += "\(i),\"a\nb\nc\",\(i)\n"
            case 1: text += "\(i),\"q \"\"x\"\"\n,\"\"\",1.5\r\n"
            case 2: text += "\(i),\"\n\",\(i)\n"
            case 3: text += "\(i),short\n"  // bad: 2 fields
            case 4: text += "\(i),mid\"quote,2\n"  // a quote inside an unquoted field is text
            default: text += "\(i),\"\",\(i)\n"
            }
            records += 1
        }
        return (text, records)
    }

    @Test func shardsSplitInsideQuotedFieldsReadExactlyTheWholeFile() throws {
        let scratch = try Scratch()
        let (text, records) = Self.trickyFile()
        let path = try scratch.write("tricky.csv", text)
        let s = schema(("id", .int), ("note", .string), ("x", .float))
        let whole = try readCSV(path, schema: s)
        #expect(whole.rows.count + whole.bad.count == records)
        #expect(!whole.bad.isEmpty)
        for target in [1, 2, 3, 5, 8, 13, 40, 100, 1000, 1 << 20] {
            let (sharded, shards) = try readCSVSharded(path, schema: s, targetSize: target)
            #expect(sharded.rows == whole.rows, "target \(target)")
            #expect(sharded.bad == whole.bad, "target \(target)")
            // Shards tile the data exactly.
            #expect(shards.first?.start == 10)
            #expect(shards.last?.end == text.utf8.count)
            for (a, b) in zip(shards, shards.dropFirst()) { #expect(a.end == b.start) }
            if target == 1 { #expect(shards.count == records) }
        }
    }

    @Test func firstLineCountsQuotedNewlines() throws {
        let scratch = try Scratch()
        let path = try scratch.write("lines.csv", "h1,h2\n1,\"a\nb\"\n2,x\n3,\"c\n\nd\"\n4,y\n")
        let shards = try CSVSplitter.shards(path: path, targetSize: 1)
        #expect(shards.map(\.firstLine) == [2, 4, 5, 8])
        #expect(shards.map(\.start) == [6, 14, 18, 27])
    }

    @Test func shardsEndAtRecordBoundariesNearTheTarget() throws {
        let scratch = try Scratch()
        let line = "123456789\n"  // 10 bytes a record
        let path = try scratch.write("even.csv", "h\n" + String(repeating: line, count: 100))
        let shards = try CSVSplitter.shards(path: path, targetSize: 95)
        #expect(shards.map(\.start) == [2, 102, 202, 302, 402, 502, 602, 702, 802, 902])
        #expect(shards.map(\.firstLine) == [2, 12, 22, 32, 42, 52, 62, 72, 82, 92])
    }

    @Test func gzipIsOneShard() throws {
        let scratch = try Scratch()
        let path = try scratch.write("a.csv.gz", [0x1f, 0x8b])
        #expect(try CSVSplitter.shards(path: path, targetSize: 1) == [.wholeFile])
    }
}

