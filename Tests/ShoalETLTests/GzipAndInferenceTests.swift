import Foundation
import Testing

@testable import ShoalETL

@Suite struct GzipInputTests {
    @Test func gzipReadsLikeThePlainFile() throws {
        let scratch = try Scratch()
        var text = "a,b,c\n"
        for i in 0..<20_000 { text += "\(i),\"n\(i % 13)\nx\",\(i).25\n" }
        text += "bad,row\n"
        let path = try scratch.write("g.csv", text)
        try gzip(path)
        let s = schema(("a", .int), ("b", .string), ("c", .float))
        let plain = try readCSV(path, schema: s)
        let options = CSVOptions(batchSize: 4096, bufferSize: 1 << 16)
        let compressed = try readCSV(path + ".gz", schema: s, options: options)
        #expect(compressed.rows.count == 20_000)
        #expect(compressed.rows == plain.rows)
        #expect(compressed.bad == plain.bad.map { BadRow(file: path + ".gz", line: $0.line, reason: $0.reason, raw: $0.raw) })
        #expect(try CSVHeader.read(path: path + ".gz").names == ["a", "b", "c"])
        #expect(try SchemaInference.csv(path: path + ".gz") == s)
    }

    @Test func concatenatedMembersAndMagicWithoutSuffix() throws {
        let scratch = try Scratch()
        let first = try scratch.write("one.csv", "a,b,c\n1,x,1\n2,y,")
        let second = try scratch.write("two.csv", "2\n3,z,3\n")
        try gzip(first)
        try gzip(second)
        let joined = try Data(contentsOf: URL(fileURLWithPath: first + ".gz"))
            + Data(contentsOf: URL(fileURLWithPath: second + ".gz"))
        let path = try scratch.write("joined.data", [UInt8](joined))
        #expect(try InputCompression.detect(path: path) == .gzip)
        let result = try readCSV(path, schema: schema(("a", .int), ("b", .string), ("c", .int)))
        #expect(result.rows == [[.int(1), .s("x"), .int(1)], [.int(2), .s("y"), .int(2)], [.int(3), .s("z"), .int(3)]])
    }

    @Test func truncatedGzipIsAnError() throws {
        let scratch = try Scratch()
        var text = "a\n"
        for i in 0..<5000 { text += "\(i * 7919)\n" }
        let path = try scratch.write("t.csv", text)
        try gzip(path)
        let whole = try Data(contentsOf: URL(fileURLWithPath: path + ".gz"))
        let cut = try scratch.write("cut.csv.gz", [UInt8](whole.prefix(whole.count / 2)))
        #expect(throws: ReaderError.self) { try readCSV(cut, schema: schema(("a", .int))) }
        let partial = FileShard(start: 0, end: 10, firstLine: 1)
        #expect(throws: ReaderError.self) { try readCSV(path + ".gz", schema: schema(("a", .int)), shard: partial) }
    }
}

@Suite struct SchemaInferenceTests {
    @Test func typesFromTheSample() throws {
        let scratch = try Scratch()
        let path = try scratch.write(
            "i.csv",
            "i,f,b,s,e,mixed,big\n1,1.5,true,x,,1,9223372036854775807\n-2,2,FALSE,,,true,1\n,,,,,,\n3,1e3,false,\"4\",,2.5,9223372036854775808\n")
        let inferred = try SchemaInference.csv(path: path)
        #expect(
            inferred
                == schema(
                    ("i", .int), ("f", .float), ("b", .bool), ("s", .string), ("e", .string), ("mixed", .string),
                    ("big", .float)))
        let overridden = try SchemaInference.csv(path: path, overrides: ["i": .float, "e": .int])
        #expect(overridden["i"]?.type == .float)
        #expect(overridden["e"]?.type == .int)
        #expect(throws: ReaderError.self) { try SchemaInference.csv(path: path, overrides: ["nope": .int]) }
    }

    @Test func onlyTheSampleCounts() throws {
        let scratch = try Scratch()
        let path = try scratch.write("late.csv", "a\n1\n2\n3\nlate-text\n")
        #expect(try SchemaInference.csv(path: path, sampleRecords: 3)["a"]?.type == .int)
        #expect(try SchemaInference.csv(path: path)["a"]?.type == .string)
        let zeroOne = try scratch.write("01.csv", "a\n0\n1\n")
        #expect(try SchemaInference.csv(path: zeroOne)["a"]?.type == .int)
    }
}
