import Foundation
import Testing

@testable import ShoalETL

/// The structural-index fast path (`CSVScanner.scanUnquoted`) against the careful record scan: the bit masks
/// byte by byte, then whole files of every shape read both ways.
@Suite struct CSVBlockScanTests {
    @Test(arguments: [UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "\t"), UInt8(ascii: "|")])
    func blockMasksMarkExactlyTheirBytes(delimiter: UInt8) {
        var random = SplitMix64(seed: UInt64(delimiter))
        let alphabet: [UInt8] = Array("ab1.\r\n\"".utf8) + [delimiter, 0x80, 0xFF, 0x00, 0x7F, 0x0A ^ 0x80]
        let scanner = CSVScanner(delimiter: delimiter, fieldCapacity: 1)
        defer { scanner.deallocate() }
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: 64 + 8)
        defer { buffer.deallocate() }
        for _ in 0..<500 {
            for i in 0..<72 { buffer[i] = random.choice(alphabet) }
            var delimiters: UInt64 = 0
            var stops: UInt64 = 0
            for i in 0..<64 {
                if buffer[i] == delimiter { delimiters |= 1 << UInt64(i) }
                if buffer[i] == CSVScanner.newline || buffer[i] == CSVScanner.quote { stops |= 1 << UInt64(i) }
            }
            let vector = scanner.classify(buffer, at: 0)
            let words = scanner.classifyWords(buffer, at: 0)
            #expect(vector.delimiters == delimiters && vector.stops == stops)
            #expect(words.delimiters == delimiters && words.stops == stops)
        }
    }

    @Test(arguments: 1...6)
    func fastPathReadsEveryFileAsTheCarefulScanDoes(seed: Int) throws {
        var random = SplitMix64(seed: UInt64(seed) &* 0x9E37)
        let scratch = try Scratch()
        let fields = 3 + random.below(6)
        let types: [DataType] = (0..<fields).map { _ in random.choice([.int, .float, .string, .bool]) }
        let fileSchema = Schema(types.enumerated().map { Field("c\($0.offset)", $0.element) })
        let crlf = seed % 2 == 0
        let quoteRate = [0.0, 0.002, 0.05][seed % 3]
        var text = fileSchema.names.joined(separator: ",") + (crlf ? "\r\n" : "\n")
        for row in 0..<3_000 {
            let roll = random.unit()
            if roll < 0.01 {
                text += crlf ? "\r\n" : "\n"  // a blank line
                continue
            }
            var count = fields
            if roll < 0.02 { count = fields + 1 + random.below(3) }  // too many fields
            if roll > 0.99 { count = max(1, fields - 1 - random.below(2)) }  // too few
            var values: [String] = []
            for f in 0..<count {
                let type = f < fields ? types[f] : .string
                values.append(Self.value(type, row: row, random: &random, quoteRate: quoteRate))
            }
            text += values.joined(separator: ",")
            if row < 2_999 || random.below(2) == 0 { text += crlf ? "\r\n" : "\n" }  // last one maybe unterminated
        }
        let path = try scratch.write("random.csv", text)
        let projections: [[String]?] = [
            nil, [fileSchema.names[fields - 1]], [fileSchema.names[0], fileSchema.names[fields / 2]],
        ]
        for projection in projections {
            let fast = try Self.read(path, fileSchema, projection: projection, blocks: true)
            let careful = try Self.read(path, fileSchema, projection: projection, blocks: false)
            #expect(fast.rows == careful.rows, "seed \(seed), projection \(projection ?? ["all"])")
            #expect(fast.bad == careful.bad)
            #expect(fast.counters == careful.counters)
            #expect(careful.unquotedScans == 0)
            // Most records have no quote: the fast path must have read them.
            #expect(fast.unquotedScans > (quoteRate > 0.01 ? 300 : 2_000))
            #expect(fast.rows.count + fast.bad.count > 2_900)
        }
        // Aligned shards cut anywhere: each reader starts mid-file, at a line start of its own finding.
        let size = text.utf8.count
        for parts in [2, 7] {
            var fastRows: [[Value]] = []
            var carefulRows: [[Value]] = []
            for k in 0..<parts {
                let shard = FileShard(
                    start: size * k / parts, end: size * (k + 1) / parts, firstLine: k == 0 ? 1 : 0, aligned: true)
                fastRows += try Self.read(path, fileSchema, shard: shard, blocks: true).rows
                carefulRows += try Self.read(path, fileSchema, shard: shard, blocks: false).rows
            }
            #expect(fastRows == carefulRows, "seed \(seed), \(parts) shards")
        }
        // Gzip input goes through a buffer refilled 4 KiB at a time: blocks held across a refill must be let go.
        try gzip(path)
        let small = CSVOptions(batchSize: 500, bufferSize: 4096)
        let fast = try Self.read(path + ".gz", fileSchema, options: small, blocks: true)
        let careful = try Self.read(path + ".gz", fileSchema, options: small, blocks: false)
        #expect(fast.rows == careful.rows && fast.bad == careful.bad)
        #expect(fast.unquotedScans > 300)
    }

    @Test func recordsNearTheBufferEndAndAcrossBlocks() throws {
        // Records longer than a block, records ending on a block's last byte, and a tail shorter than a block.
        let scratch = try Scratch()
        let fileSchema = schema(("a", .string), ("b", .int))
        for width in [1, 30, 61, 62, 63, 64, 65, 127, 200] {
            var text = ""
            for i in 0..<40 { text += String(repeating: "x", count: width + i % 3) + ",\(i)\n" }
            text += "tail,7"
            let path = try scratch.write("w\(width).csv", "a,b\n" + text)
            let fast = try Self.read(path, fileSchema, blocks: true)
            let careful = try Self.read(path, fileSchema, blocks: false)
            #expect(fast.rows == careful.rows && fast.bad == careful.bad && fast.counters == careful.counters)
            #expect(fast.rows.count == 41 && fast.rows.last == [.s("tail"), .int(7)])
            #expect(fast.unquotedScans > 30)
        }
    }

    private static func value(_ type: DataType, row: Int, random: inout SplitMix64, quoteRate: Double) -> String {
        if random.unit() < 0.05 { return "" }
        if random.unit() < quoteRate {
            return random.choice(["\"q,\(row)\"", "\"a\nb\"", "\"say \"\"x\"\"\"", "\"\"", "x\"y", "\"open\"tail"])
        }
        if random.unit() < 0.003 { return "not-a-value" }
        switch type {
        case .int: return String(Int(random.next() % 200_000) - 100_000)
        case .float: return String(Double(Int(random.next() % 2_000_000)) / 1000 - 1000)
        case .bool: return random.choice(["true", "false", "1", "0"])
        case .string: return String(repeating: random.choice(["ab", "xyz", "é", "\r"]), count: random.below(12))
        }
    }

    private struct Read {
        var rows: [[Value]] = []
        var bad: [BadRow] = []
        var counters = ReaderCounters()
        var unquotedScans = 0
    }

    private static func read(
        _ path: String, _ schema: Schema, projection: [String]? = nil, shard: FileShard = .wholeFile,
        options: CSVOptions = CSVOptions(batchSize: 500), blocks: Bool
    ) throws -> Read {
        var result = Read()
        var bad: [BadRow] = []
        let reader = try CSVReader(
            path: path, schema: schema, projection: projection, shard: shard,
            options: options, onBadRow: { bad.append($0) })
        reader.usesBlocks = blocks
        while let batch = try reader.next() { result.rows += rows(of: batch) }
        result.bad = bad
        result.counters = reader.counters
        result.unquotedScans = reader.unquotedScans
        return result
    }
}
