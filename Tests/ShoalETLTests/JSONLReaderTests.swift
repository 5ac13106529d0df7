import Foundation
import Testing

@testable import ShoalETL

@Suite struct JSONLReaderTests {
    func read(_ path: String, schema: Schema, projection: [String]? = nil, shard: FileShard = .wholeFile,
              options: JSONLOptions = JSONLOptions()) throws -> ReadResult {
        var result = ReadResult()
        var bad: [BadRow] = []
        let reader = try JSONLReader(path: path, schema: schema, projection: projection, shard: shard,
                                     options: options, onBadRow: { bad.append($0) })
        while let batch = try reader.next() {
            result.names = batch.names
            result.rows += rows(of: batch)
        }
        result.bad = bad
        result.counters = reader.counters
        return result
    }

    @Test func byteOrderMarkIsSkipped() throws {
        let scratch = try Scratch()
        let path = try scratch.write("bom.jsonl", [0xEF, 0xBB, 0xBF] + Array("{\"id\": 7}\n{\"id\": 8}\n".utf8))
        let result = try read(path, schema: schema(("id", .int)))
        #expect(result.bad.isEmpty, "\(result.bad)")
        #expect(result.rows == [[.int(7)], [.int(8)]])
    }

    @Test func escapesNullsMissingKeysAndNested() throws {
        let scratch = try Scratch()
        let text = #"""
            {"id": 1, "name": "a\"b\\c\/d\n\t", "score": 1.5, "ok": true}
            {"name": "\u00e9\u4e2d\ud83d\ude00", "id": 2, "ok": false, "score": null}
            {"id": 3, "extra": [1, {"x": "]"}], "name": {"nested": [1,2]}}

            {"id": 4, "name": "lone \ud800 surrogate", "score": -2e-3, "ok": null}
            """#
        let path = try scratch.write("a.jsonl", text)
        let s = schema(("id", .int), ("name", .string), ("score", .float), ("ok", .bool))
        let result = try read(path, schema: s)
        #expect(result.bad.isEmpty)
        #expect(
            result.rows == [
                [.int(1), .s("a\"b\\c/d\n\t"), .float(1.5), .bool(true)],
                [.int(2), .s("é中😀"), .null, .bool(false)],
                [.int(3), .s(#"{"nested": [1,2]}"#), .null, .null],
                [.int(4), .s("lone \u{FFFD} surrogate"), .float(-0.002), .null],
            ])
        #expect(try SchemaInference.jsonl(path: path) == schema(("id", .int), ("name", .string), ("score", .float), ("ok", .bool), ("extra", .string)))
    }

    @Test func badLinesAreReported() throws {
        let scratch = try Scratch()
        let text = """
            {"id": 1, "score": 2}
            {"id": 1.5, "score": 2}
            {"id": 2, "score": "high"}
            not json
            {"id": 3, "score": 1} trailing
            {"id": 4, "id": 5}
            {"id": {"a": 1}}
            {"id": 99999999999999999999}
            {"id": 6, "score": 6.25}
            {"id": 7,
            """
        let path = try scratch.write("b.jsonl", text)
        let result = try read(path, schema: schema(("id", .int), ("score", .float)))
        #expect(result.rows == [[.int(1), .float(2)], [.int(6), .float(6.25)]])
        #expect(result.bad.map(\.line) == [2, 3, 4, 5, 6, 7, 8, 10])
        #expect(
            result.bad.map(\.reason) == [
                "field \"id\": 1.5 is not an int",
                "field \"score\": \"high\" is not a float",
                "invalid JSON at column 1: a line must hold one object",
                "invalid JSON at column 23: text after the object",
                "duplicate key \"id\"",
                "field \"id\": {\"a\": 1} is not an int",
                "field \"id\": 99999999999999999999 is out of range for int",
                "invalid JSON at column 10: expected a key",
            ])
        #expect(result.bad[2].raw == Array("not json".utf8))
    }

    @Test func shardsAndGzipReadLikeTheWholeFile() throws {
        let scratch = try Scratch()
        var text = ""
        for i in 0..<3000 {
            text += i % 97 == 0 ? "{\"id\": \"bad\"}\n" : "{\"id\": \(i), \"tag\": \"t\\u00e9\(i % 5)\", \"v\": \(i).5}\n"
        }
        let path = try scratch.write("c.jsonl", text)
        let s = schema(("id", .int), ("tag", .string), ("v", .float))
        let whole = try read(path, schema: s)
        #expect(whole.rows.count + whole.bad.count == 3000)
        for target in [1, 50, 1000, 1 << 20] {
            let shards = try JSONLSplitter.shards(path: path, targetSize: target)
            var rowsRead: [[Value]] = []
            var bad: [BadRow] = []
            for shard in shards {
                let part = try read(path, schema: s, shard: shard, options: JSONLOptions(batchSize: 100, bufferSize: 512))
                rowsRead += part.rows
                bad += part.bad
            }
            #expect(rowsRead == whole.rows, "target \(target)")
            #expect(bad == whole.bad, "target \(target)")
        }
        // Cut at nominal offsets (the planner's way without reading the file): the same rows, lines and extents.
        for target in [1, 50, 999, 1 << 20] {
            let shards = try ETLInputPlanning.shards(
                of: InputSpec(format: .jsonl, paths: [path], shardBytes: target), aligned: true)
            #expect(shards.allSatisfy(\.aligned) && shards.dropFirst().allSatisfy { $0.firstLine == 0 })
            var rowsRead: [[Value]] = []
            var bad: [BadRow] = []
            var extents: [ShardExtent] = []
            for shard in shards {
                var partBad: [BadRow] = []
                let reader = try JSONLReader(
                    path: path, schema: s, shard: shard.fileShard, options: JSONLOptions(batchSize: 100, bufferSize: 512),
                    onBadRow: { partBad.append($0) })
                while let batch = try reader.next() { rowsRead += rows(of: batch) }
                bad += partBad
                extents.append(try #require(reader.extent))
            }
            #expect(rowsRead == whole.rows, "aligned target \(target)")
            #expect(bad == whole.bad, "aligned target \(target)")
            for (a, b) in zip(extents, extents.dropFirst()) { #expect(a.stop == b.start) }
        }
        let gz = Process()
        gz.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gz.arguments = ["-k", path]
        try gz.run()
        gz.waitUntilExit()
        let compressed = try read(path + ".gz", schema: s, projection: ["v", "id"])
        #expect(compressed.rows == whole.rows.map { [$0[2], $0[0]] })
        #expect(compressed.bad.map(\.line) == whole.bad.map(\.line))
    }
}
