import Foundation
import Testing

@testable import ShoalETL

/// The CSV writer's pointer path against a plain reference: every value as the general formatter prints it —
/// ints in decimal, floats as Swift's shortest round-trip text (whole numbers as "3.0"), RFC 4180 quoting only
/// where needed, null as an empty field.
@Suite struct CSVBatchWriterTests {
    static func referenceFloat(_ v: Double) -> String {
        if v.isFinite, v == v.rounded(.towardZero), v.magnitude < 1e15 { return "\(Int64(v)).0" }
        return v.description
    }

    /// Quoted when it holds a delimiter, a quote or a line break, or is empty (`""`: an empty field is null).
    static func referenceField(_ s: String) -> String {
        s.isEmpty || s.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }
            ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    static func randomFloat(_ random: inout SplitMix64) -> Double {
        switch random.below(11) {
        case 0: return Double(random.below(100_000)) / 100  // prices
        case 1: return -Double(random.below(1_000_000)) / 1_000_000
        case 2: return random.unit() * 1_000  // full precision
        case 3: return Double(Int64(random.next() >> 12)) * (random.below(2) == 0 ? 1 : -1)  // big whole numbers
        case 4: return random.unit() * 1e-6  // below 1e-4: exponent form
        case 5: return random.unit() * 1e20
        case 6: return random.choice([0.0, -0.0, .infinity, -.infinity, .nan, 1e15, 1e-4, 0.1, 0.3, 2.5e-5])
        case 7: return Double(random.below(1_000)) / 8  // binary fractions
        case 8: return Double(random.below(2_000_000_000_000)) / 1_000  // around 1e9, where the fixed path splits
        case 9: return Double(random.below(1 << 52)) / Double(random.choice([10, 100, 10_000, 1_000_000]))
        default: return (random.unit() - 0.5) * 20
        }
    }

    @Test func randomBatchesWriteWhatTheReferenceWrites() {
        var random = SplitMix64(seed: 11)
        for _ in 0..<50 {
            let count = 1 + random.below(300)
            var ints: [Int64] = [], floats: [Double] = [], bools: [Bool] = [], strings: [String] = []
            var valid: [[Bool]] = [[], [], [], []]
            for _ in 0..<count {
                ints.append(random.choice([0, -1, Int64.min, Int64.max, Int64(random.below(1_000_000)) - 500_000]))
                floats.append(Self.randomFloat(&random))
                bools.append(random.below(2) == 0)
                strings.append(random.choice(["", "US", "a,b", "say \"hi\"", "line\nbreak", "ünï", "cr\r"]))
                for c in 0..<4 { valid[c].append(random.below(5) != 0) }
            }
            let batch = ColumnBatch(
                names: ["i", "f", "b", "s"],
                columns: [
                    Column(.int(ints), validity: valid[0]), Column(.float(floats), validity: valid[1]),
                    Column(.bool(bools), validity: valid[2]), Column(.string(StringColumn(strings)), validity: valid[3]),
                ])
            let rows: [Int32]? = random.below(2) == 0 ? nil : (0..<count).filter { _ in random.below(3) == 0 }.map { Int32($0) }
            var out: [UInt8] = []
            RowFormatter(format: .csv, names: batch.names).append(batch, rows: rows, to: &out)
            var expected = ""
            for row in rows.map({ $0.map(Int.init) }) ?? Array(0..<count) {
                let fields = [
                    valid[0][row] ? "\(ints[row])" : "",
                    valid[1][row] ? Self.referenceFloat(floats[row]) : "",
                    valid[2][row] ? "\(bools[row])" : "",
                    valid[3][row] ? Self.referenceField(strings[row]) : "",
                ]
                expected += fields.joined(separator: ",") + "\n"
            }
            #expect(String(decoding: out, as: UTF8.self) == expected)
        }
    }

    /// An empty string and a null stay apart through a CSV file written and read again.
    @Test func anEmptyStringAndANullReadBackAsThemselves() throws {
        let batch = ColumnBatch(
            names: ["k", "s"],
            columns: [Column(.int([1, 2, 3])), Column(.string(StringColumn(["", "x", ""])), validity: [true, true, false])])
        var out: [UInt8] = RowFormatter(format: .csv, names: batch.names).header()
        RowFormatter(format: .csv, names: batch.names).append(batch, rows: nil, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "k,s\n1,\"\"\n2,x\n3,\n")
        let path = NSTemporaryDirectory() + "/shoal-empty-\(UUID().uuidString).csv"
        defer { unlink(path) }
        try Data(out).write(to: URL(fileURLWithPath: path))
        let reader = try CSVReader(path: path, schema: Schema([Field("k", .int), Field("s", .string)]), onBadRow: { _ in })
        let read = try #require(try reader.next())
        #expect((0..<3).map { read.columns[1].value(at: $0) } == [.string(""), .string("x"), .null])
    }

    @Test func everyFloatPrintsAsItsShortestRoundTripText() {
        var random = SplitMix64(seed: 12)
        for _ in 0..<200_000 {
            let v = Self.randomFloat(&random)
            var buffer = [UInt8](repeating: 0, count: 40)
            let n = buffer.withUnsafeMutableBufferPointer { CSVBatchWriter.writeFloat(v, to: $0.baseAddress!) }
            let text = String(decoding: buffer[..<n], as: UTF8.self)
            #expect(text == Self.referenceFloat(v), "\(v)")
            if text != Self.referenceFloat(v) { return }
        }
    }
}

@Suite struct EvenShardTests {
    @Test func filesAreCutIntoEqualShardsNoBiggerThanTheTarget() {
        let mib = 1 << 20
        #expect(ETLInputPlanning.evenShardSize(fileSize: 340_424_281, target: 64 * mib) == 56_737_381)
        #expect(ETLInputPlanning.evenShardSize(fileSize: 10 * mib, target: 64 * mib) == 64 * mib, "one shard: as is")
        #expect(ETLInputPlanning.evenShardSize(fileSize: 128 * mib, target: 64 * mib) == 64 * mib)
        #expect(ETLInputPlanning.evenShardSize(fileSize: 128 * mib + 1, target: 64 * mib) == (128 * mib + 3) / 3)
    }
}
