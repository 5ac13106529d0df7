import Foundation
import Testing

@testable import ShoalETL

@Suite struct CSVReaderTests {
    let abc = schema(("a", .int), ("b", .string), ("c", .float))

    @Test func quotedDelimitersNewlinesAndEscapedQuotes() throws {
        let scratch = try Scratch()
        let path = try scratch.write(
            "q.csv",
            "a,b,c\n1,\"x,y\",1.5\n2,\"line1\nline2\",2\n3,\"say \"\"hi\"\"\",-0.25\n4,\"\",\n5,,3e2\n")
        let result = try readCSV(path, schema: abc)
        #expect(result.bad.isEmpty)
        #expect(
            result.rows == [
                [.int(1), .s("x,y"), .float(1.5)],
                [.int(2), .s("line1\nline2"), .float(2)],
                [.int(3), .s("say \"hi\""), .float(-0.25)],
                [.int(4), .s(""), .null],
                [.int(5), .null, .float(300)],
            ])
        #expect(result.counters.records == 5)
        #expect(result.counters.bytes == (try Data(contentsOf: URL(fileURLWithPath: path)).count))
    }

    @Test func crlfMissingFinalNewlineAndBlankLines() throws {
        let scratch = try Scratch()
        let path = try scratch.write("crlf.csv", "a,b,c\r\n1,\"p\r\nq\",1\r\n\r\n2,z,2\r\n3,,")
        let result = try readCSV(path, schema: abc)
        #expect(result.bad.isEmpty)
        #expect(result.rows == [[.int(1), .s("p\r\nq"), .float(1)], [.int(2), .s("z"), .float(2)], [.int(3), .null, .null]])
    }

    @Test func byteOrderMarkIsSkipped() throws {
        let scratch = try Scratch()
        let path = try scratch.write("bom.csv", [0xEF, 0xBB, 0xBF] + Array("a,b,c\n7,x,1\n".utf8))
        #expect(try CSVHeader.read(path: path).names == ["a", "b", "c"])
        #expect(try readCSV(path, schema: abc).rows == [[.int(7), .s("x"), .float(1)]])
        let noHeader = try scratch.write("bom2.csv", [0xEF, 0xBB, 0xBF] + Array("7,x,1\n".utf8))
        var options = CSVOptions()
        options.hasHeader = false
        #expect(try readCSV(noHeader, schema: abc, options: options).rows == [[.int(7), .s("x"), .float(1)]])
        #expect(try CSVHeader.read(path: noHeader, options: options).names == ["column_1", "column_2", "column_3"])
    }

    @Test func aHeaderLongerThanTheFirstReadIsReadWhole() throws {
        let scratch = try Scratch()
        let names = (0..<10_000).map { "a_rather_long_column_name_\($0)" }
        let text = names.joined(separator: ",") + "\n" + (0..<10_000).map(String.init).joined(separator: ",") + "\n"
        #expect(text.utf8.count > 4 * CSVHeader.firstRead)
        let path = try scratch.write("wide.csv", text)
        let header = try CSVHeader.read(path: path)
        #expect(header.names == names)
        #expect(header.dataFirstLine == 2 && header.dataStart == names.joined(separator: ",").utf8.count + 1)
        let wide = Schema(names.map { Field($0, .int) })
        let result = try readCSV(path, schema: wide, projection: [names[0], names[9_999]])
        #expect(result.rows == [[.int(0), .int(9_999)]])
    }

    @Test func emptyFileAndHeaderOnly() throws {
        let scratch = try Scratch()
        let empty = try scratch.write("empty.csv", "")
        #expect(try readCSV(empty, schema: abc).rows.isEmpty)
        #expect(try CSVSplitter.shards(path: empty).isEmpty)
        #expect(try CSVHeader.read(path: empty).names.isEmpty)
        let headerOnly = try scratch.write("header.csv", "a,b,c\n")
        let result = try readCSV(headerOnly, schema: abc)
        #expect(result.rows.isEmpty && result.bad.isEmpty)
        #expect(try CSVSplitter.shards(path: headerOnly).isEmpty)
        let noNewline = try scratch.write("header2.csv", "a,b,c")
        #expect(try readCSV(noNewline, schema: abc).rows.isEmpty)
        #expect(try CSVHeader.read(path: noNewline).names == ["a", "b", "c"])
    }

    @Test func badRowsAreReportedWithLineReasonAndRawBytes() throws {
        let scratch = try Scratch()
        let text = """
            a,b,c
            1,ok,1.0
            2,"two
            lines",n/a
            x,ok,2
            4,ok
            5,"bad"quote,1
            99999999999999999999,ok,1
            6,ok,6

            """
        let path = try scratch.write("bad.csv", text)
        let result = try readCSV(path, schema: abc)
        #expect(result.rows == [[.int(1), .s("ok"), .float(1)], [.int(6), .s("ok"), .float(6)]])
        #expect(result.counters.badRows == 5)
        #expect(result.bad.map(\.line) == [3, 5, 6, 7, 8])
        #expect(
            result.bad.map(\.reason) == [
                "field \"c\": \"n/a\" is not a float",
                "field \"a\": \"x\" is not an int",
                "expected 3 fields, found 2",
                "field \"b\": unexpected text after the closing quote",
                "field \"a\": \"99999999999999999999\" is out of range for int",
            ])
        #expect(result.bad[0].raw == Array("2,\"two\nlines\",n/a".utf8))
        #expect(result.bad[2].raw == Array("4,ok".utf8))
        #expect(result.bad.allSatisfy { $0.file == path })
        #expect(result.bad[0].description == "\(path):3: field \"c\": \"n/a\" is not a float")
    }

    @Test func unterminatedQuoteAtEndOfFileIsABadRow() throws {
        let scratch = try Scratch()
        let path = try scratch.write("open.csv", "a,b,c\n1,x,1\n2,\"never\nclosed,3\n")
        let result = try readCSV(path, schema: abc)
        #expect(result.rows == [[.int(1), .s("x"), .float(1)]])
        #expect(result.bad.count == 1)
        #expect(result.bad.first?.line == 3)
        #expect(result.bad.first?.reason.hasPrefix("unterminated quoted field \"b\"") == true)
        #expect(result.bad.first?.raw == Array("2,\"never\nclosed,3\n".utf8))
    }

    @Test func projectionMaterializesOnlyTheNamedColumnsButChecksEveryFieldCount() throws {
        let scratch = try Scratch()
        let path = try scratch.write("p.csv", "a,b,c\n1,x,notafloat\n2,\"y,\"\"z\",2\n3,w\n4,v,4,extra\n")
        let result = try readCSV(path, schema: abc, projection: ["b", "a"])
        #expect(result.names == ["b", "a"])
        #expect(result.rows == [[.s("x"), .int(1)], [.s("y,\"z"), .int(2)]])
        #expect(result.bad.map(\.reason) == ["expected 3 fields, found 2", "expected 3 fields, found 4"])
        let none = try readCSV(path, schema: abc, projection: [])
        #expect(none.counters.records == 2)
        #expect(throws: ReaderError.self) { try readCSV(path, schema: abc, projection: ["nope"]) }
    }

    @Test func boolsAndOtherDelimiters() throws {
        let scratch = try Scratch()
        let path = try scratch.write("t.tsv", "flag\tname\nTRUE\ta b\nfalse\t\"q\"\n1\t\n0\tz\nyes\tz\n")
        var options = CSVOptions()
        options.delimiter = UInt8(ascii: "\t")
        let result = try readCSV(path, schema: schema(("flag", .bool), ("name", .string)), options: options)
        #expect(result.rows == [[.bool(true), .s("a b")], [.bool(false), .s("q")], [.bool(true), .null], [.bool(false), .s("z")]])
        #expect(result.bad.map(\.reason) == ["field \"flag\": \"yes\" is not a bool (true/false/1/0)"])
    }

    @Test func smallBuffersAndBatchesGiveTheSameRows() throws {
        let scratch = try Scratch()
        var text = "a,b,c\n"
        for i in 0..<500 {
            text += i % 7 == 0 ? "\(i),\"multi\nline \"\"\(i)\"\"\",\(Double(i) / 4)\n" : "\(i),plain\(i),\(i).5\n"
        }
        let path = try scratch.write("many.csv", text)
        let reference = try readCSV(path, schema: abc)
        #expect(reference.rows.count == 500)
        for (buffer, batch) in [(64, 1), (100, 7), (257, 64), (4096, 1000)] {
            let options = CSVOptions(batchSize: batch, bufferSize: buffer)
            let result = try readCSV(path, schema: abc, options: options)
            #expect(result.rows == reference.rows, "buffer \(buffer), batch \(batch)")
        }
    }
}
