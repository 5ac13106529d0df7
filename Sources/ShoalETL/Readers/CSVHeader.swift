import Foundation

/// The first record of a CSV file as column names, and where the data after it starts.
public struct CSVHeader: Sendable, Equatable {
    /// Column names: the header's fields, or `column_1`, `column_2`, … for a file without a header (counted from
    /// its first record).
    public var names: [String]
    /// Offset of the first data record (after the byte order mark and header, if any).
    public var dataStart: Int
    /// The 1-based line number of the first data record.
    public var dataFirstLine: Int

    public init(names: [String], dataStart: Int, dataFirstLine: Int) {
        self.names = names
        self.dataStart = dataStart
        self.dataFirstLine = dataFirstLine
    }

    /// The first read: a header is a line, and 64 KiB covers any usual one (the buffer grows for longer ones).
    /// A megabyte here was a millisecond or two of every job's planning.
    static let firstRead = 64 << 10

    /// Reads the header (or, without one, counts the first record's fields).
    ///
    /// For a gzip file, `dataStart` is an offset in the decompressed stream.
    /// - Throws: `ReaderError` if the file cannot be read or its header has an unterminated quote.
    public static func read(path: String, options: CSVOptions = CSVOptions()) throws -> CSVHeader {
        let compression = try options.compression ?? InputCompression.detect(path: path)
        let source: ByteSource =
            compression == .gzip
            ? try GzipByteSource(path: path) : try FileByteSource(path: path, start: 0, softEnd: Self.firstRead)
        let input = InputBuffer(source: source, capacity: Self.firstRead, startOffset: 0)
        try input.refill(keepingFrom: 0)
        var start = 0
        if input.end >= 3 && input.base[0] == 0xEF && input.base[1] == 0xBB && input.base[2] == 0xBF { start = 3 }
        // Blank lines before the header are skipped, as the reader skips blank lines.
        var line = 1
        while true {
            let counting = CSVScanner(delimiter: options.delimiter, fieldCapacity: 0)
            defer { counting.deallocate() }
            if start >= input.end && input.exhausted {
                return CSVHeader(names: [], dataStart: input.offset + start, dataFirstLine: line)
            }
            let first = counting.scan(input.base, from: start, end: input.end, final: input.exhausted)
            if first.status == .needMore {
                try input.refill(keepingFrom: start)
                start = 0
                continue
            }
            if first.status == .unterminated {
                throw ReaderError(file: path, "line \(line): the header has an unterminated quoted field")
            }
            if first.fields == 1 && first.recordEnd == start && input.base[start] != CSVScanner.quote {
                start = first.next
                line += 1
                continue
            }
            guard options.hasHeader else {
                return CSVHeader(
                    names: (1...first.fields).map { "column_\($0)" }, dataStart: 0,
                    dataFirstLine: 1)
            }
            let scanner = CSVScanner(delimiter: options.delimiter, fieldCapacity: first.fields)
            defer { scanner.deallocate() }
            let scan = scanner.scan(input.base, from: start, end: input.end, final: input.exhausted)
            if scan.badQuoteField >= 0 {
                throw ReaderError(
                    file: path, "line \(line): header field #\(scan.badQuoteField + 1) has text after its closing quote")
            }
            let names = (0..<scan.fields).map { i -> String in
                var bytes = Array(UnsafeBufferPointer(start: input.base + scanner.starts[i], count: scanner.ends[i] - scanner.starts[i]))
                if scanner.flags[i] & 2 != 0 {
                    var out: [UInt8] = []
                    var k = 0
                    while k < bytes.count {
                        out.append(bytes[k])
                        k += bytes[k] == CSVScanner.quote ? 2 : 1
                    }
                    bytes = out
                }
                return String(decoding: bytes, as: UTF8.self)
            }
            return CSVHeader(names: names, dataStart: input.offset + scan.next, dataFirstLine: line + 1 + scan.extraLines)
        }
    }
}
