import Foundation

/// Where one CSV record lies in a buffer, as found by `CSVScanner`.
struct CSVRecordScan {
    enum Status {
        case complete
        /// The buffer ends before the record does; more input decides.
        case needMore
        /// The input ended inside a quoted field.
        case unterminated
    }

    var status: Status
    /// The end of the record's bytes, line terminator excluded.
    var recordEnd = 0
    /// Where the next record starts.
    var next = 0
    /// Fields found (may exceed the spans stored).
    var fields = 0
    /// Newlines inside quoted fields: physical lines beyond the first.
    var extraLines = 0
    /// The first field with text after its closing quote (`"ab"c`), or -1.
    var badQuoteField = -1
}

/// RFC 4180 record scanning over a byte buffer: finds field spans without copying.
///
/// A quote opens a quoted field only as a field's first byte; elsewhere it is text. Inside quotes, `""` is a
/// quote and delimiters and newlines are text. A record ends at LF or CRLF (a CR before LF is not data). The
/// splitter follows the same rules, so shard boundaries and record boundaries agree.
struct CSVScanner {
    let delimiter: UInt8
    /// Spans stored per record: the schema's field count.
    let capacity: Int
    let starts: UnsafeMutablePointer<Int>
    let ends: UnsafeMutablePointer<Int>
    /// Per field: bit 0 quoted, bit 1 holds `""` escapes.
    let flags: UnsafeMutablePointer<UInt8>
    /// Per field: its span is wanted. For a field that is not, the index of the next wanted field, or
    /// `Int.max` when none follows (the scan then only counts delimiters up to the record's end).
    let skipTo: UnsafeMutablePointer<Int>
    /// The wanted fields in order (`wantedCount` of them), for `scanUnquoted` (CSVScanner+Blocks.swift).
    let wantedFields: UnsafeMutablePointer<Int>
    let wantedCount: Int
    /// The block `scanUnquoted` classified last.
    let block: UnsafeMutablePointer<CSVBlock>
    let delimiterWord: UInt64
    static let newlineWord: UInt64 = 0x0A0A_0A0A_0A0A_0A0A
    static let quoteWord: UInt64 = 0x2222_2222_2222_2222

    static let quote = UInt8(ascii: "\"")
    static let newline = UInt8(ascii: "\n")
    static let carriageReturn = UInt8(ascii: "\r")

    /// - Parameter wanted: per field, whether its span is needed (default: all). Spans of the others are not
    ///   stored, and runs of them are crossed by counting delimiters a word at a time.
    init(delimiter: UInt8, fieldCapacity: Int, wanted: [Bool]? = nil) {
        self.delimiter = delimiter
        capacity = fieldCapacity
        starts = .allocate(capacity: max(fieldCapacity, 1))
        ends = .allocate(capacity: max(fieldCapacity, 1))
        flags = .allocate(capacity: max(fieldCapacity, 1))
        flags.initialize(repeating: 0, count: max(fieldCapacity, 1))
        skipTo = .allocate(capacity: max(fieldCapacity, 1))
        block = .allocate(capacity: 1)
        block.initialize(to: CSVBlock())
        let wanted = wanted ?? [Bool](repeating: true, count: fieldCapacity)
        precondition(wanted.count == fieldCapacity)
        var next = Int.max
        for f in stride(from: fieldCapacity - 1, through: 0, by: -1) {
            skipTo[f] = wanted[f] ? f : next
            if wanted[f] { next = f }
        }
        let wantedList = wanted.indices.filter { wanted[$0] }
        wantedCount = wantedList.count
        wantedFields = .allocate(capacity: max(wantedList.count, 1))
        wantedFields.initialize(from: wantedList, count: wantedList.count)
        delimiterWord = UInt64(delimiter) &* 0x0101_0101_0101_0101
    }

    /// Frees the span buffers (the scanner is a value kept by one reader; it calls this in its deinit).
    func deallocate() {
        starts.deallocate()
        ends.deallocate()
        flags.deallocate()
        skipTo.deallocate()
        block.deallocate()
        wantedFields.deallocate()
    }

    /// Scans the record starting at `p`; `final` says no bytes follow `end`.
    @inline(__always)
    func scan(_ base: UnsafeMutablePointer<UInt8>, from p: Int, end: Int, final: Bool) -> CSVRecordScan {
        var pos = p
        var field = 0
        var extraLines = 0
        var badQuoteField = -1
        while true {
            var keepSpan = true
            if pos < end && base[pos] == Self.quote {
                var q = pos + 1
                var escaped = false
                var close = -1
                while q < end {
                    guard let hit = memchr(base + q, Int32(Self.quote), end - q) else { break }
                    let h = hit.assumingMemoryBound(to: UInt8.self) - base
                    if h + 1 < end {
                        if base[h + 1] == Self.quote {
                            escaped = true
                            q = h + 2
                            continue
                        }
                        close = h
                    } else if final {
                        close = h
                    }
                    break
                }
                if close < 0 {
                    if !final { return CSVRecordScan(status: .needMore) }
                    extraLines += Self.countNewlines(base + pos, end - pos)
                    return CSVRecordScan(
                        status: .unterminated, recordEnd: end, next: end, fields: field + 1, extraLines: extraLines,
                        badQuoteField: badQuoteField)
                }
                extraLines += Self.countNewlines(base + pos + 1, close - pos - 1)
                if field < capacity {
                    starts[field] = pos + 1
                    ends[field] = close
                    flags[field] = escaped ? 3 : 1
                }
                pos = close + 1
                if pos >= end {
                    if !final { return CSVRecordScan(status: .needMore) }
                    return CSVRecordScan(
                        status: .complete, recordEnd: pos, next: pos, fields: field + 1, extraLines: extraLines,
                        badQuoteField: badQuoteField)
                }
                let c = base[pos]
                if c == delimiter {
                    field += 1
                    pos += 1
                    continue
                }
                if c == Self.newline {
                    return CSVRecordScan(
                        status: .complete, recordEnd: pos, next: pos + 1, fields: field + 1, extraLines: extraLines,
                        badQuoteField: badQuoteField)
                }
                if c == Self.carriageReturn {
                    if pos + 1 < end {
                        if base[pos + 1] == Self.newline {
                            return CSVRecordScan(
                                status: .complete, recordEnd: pos, next: pos + 2, fields: field + 1,
                                extraLines: extraLines, badQuoteField: badQuoteField)
                        }
                    } else if !final {
                        return CSVRecordScan(status: .needMore)
                    } else {
                        return CSVRecordScan(
                            status: .complete, recordEnd: pos, next: pos + 1, fields: field + 1,
                            extraLines: extraLines, badQuoteField: badQuoteField)
                    }
                }
                // Text after the closing quote: read the rest of the field as plain text, then report the record.
                if badQuoteField < 0 { badQuoteField = field }
                keepSpan = false
            } else if field >= capacity || skipTo[field] != field {
                let need = field < capacity && skipTo[field] != .max ? skipTo[field] - field : .max
                let skip = skipFields(base, from: pos, end: end, delimiters: need)
                field += skip.counted
                switch skip.stop {
                case .passed:
                    pos = skip.at + 1
                    continue
                case .quote:
                    pos = skip.at
                    continue
                case .newline:
                    var recordEnd = skip.at
                    if recordEnd > p && base[recordEnd - 1] == Self.carriageReturn { recordEnd -= 1 }
                    return CSVRecordScan(
                        status: .complete, recordEnd: recordEnd, next: skip.at + 1, fields: field + 1,
                        extraLines: extraLines, badQuoteField: badQuoteField)
                case .notFound:
                    if !final { return CSVRecordScan(status: .needMore) }
                    var recordEnd = end
                    if recordEnd > p && base[recordEnd - 1] == Self.carriageReturn { recordEnd -= 1 }
                    return CSVRecordScan(
                        status: .complete, recordEnd: recordEnd, next: end, fields: field + 1, extraLines: extraLines,
                        badQuoteField: badQuoteField)
                }
            }
            let fieldStart = pos
            let h = findDelimiterOrNewline(base, from: pos, end: end)
            if h < 0 {
                if !final { return CSVRecordScan(status: .needMore) }
                var fieldEnd = end
                if fieldEnd > fieldStart && base[fieldEnd - 1] == Self.carriageReturn { fieldEnd -= 1 }
                if keepSpan && field < capacity {
                    starts[field] = fieldStart
                    ends[field] = fieldEnd
                    flags[field] = 0
                }
                return CSVRecordScan(
                    status: .complete, recordEnd: fieldEnd, next: end, fields: field + 1, extraLines: extraLines,
                    badQuoteField: badQuoteField)
            }
            if base[h] == delimiter {
                if keepSpan && field < capacity {
                    starts[field] = fieldStart
                    ends[field] = h
                    flags[field] = 0
                }
                field += 1
                pos = h + 1
                continue
            }
            var fieldEnd = h
            if fieldEnd > fieldStart && base[fieldEnd - 1] == Self.carriageReturn { fieldEnd -= 1 }
            if keepSpan && field < capacity {
                starts[field] = fieldStart
                ends[field] = fieldEnd
                flags[field] = 0
            }
            return CSVRecordScan(
                status: .complete, recordEnd: fieldEnd, next: h + 1, fields: field + 1, extraLines: extraLines,
                badQuoteField: badQuoteField)
        }
    }

    /// The first delimiter or LF in `from ..< end`, or -1; eight bytes per step (SWAR), which is what keeps
    /// skipped columns cheap. Relies on `InputBuffer.padding` for the loads that cross `end`.
    @inline(__always)
    func findDelimiterOrNewline(_ base: UnsafeMutablePointer<UInt8>, from: Int, end: Int) -> Int {
        var q = from
        while q < end {
            let w = UInt64(littleEndian: UnsafeRawPointer(base + q).loadUnaligned(as: UInt64.self))
            let m = Self.zeroBytes(w ^ delimiterWord) | Self.zeroBytes(w ^ Self.newlineWord)
            if m != 0 {
                let h = q + (m.trailingZeroBitCount >> 3)
                return h < end ? h : -1
            }
            q += 8
        }
        return -1
    }

    struct Skip {
        enum Stop {
            /// `at` is the delimiter that ends the last field skipped.
            case passed
            /// `at` is a LF: the record ends inside the skipped fields.
            case newline
            /// `at` is a quote that opens a quoted field.
            case quote
            /// The buffer ended first.
            case notFound
        }
        var stop: Stop
        var at = 0
        /// Delimiters crossed.
        var counted: Int
    }

    /// Crosses `need` fields without storing them: eight bytes per step, counting delimiters,
    /// until the `need`-th delimiter, a LF, or a quote that opens a field (which the caller reads the careful
    /// way). A quote inside an unquoted field is text and does not stop the skip.
    @inline(__always)
    func skipFields(_ base: UnsafeMutablePointer<UInt8>, from start: Int, end: Int, delimiters need: Int) -> Skip {
        var q = start
        var counted = 0
        while q < end {
            let w = UInt64(littleEndian: UnsafeRawPointer(base + q).loadUnaligned(as: UInt64.self))
            var delimiters = Self.zeroBytes(w ^ delimiterWord)
            var stops = Self.zeroBytes(w ^ Self.newlineWord) | Self.zeroBytes(w ^ Self.quoteWord)
            let left = end - q
            if left < 8 {
                let valid: UInt64 = (1 << UInt64(left * 8)) &- 1
                delimiters &= valid
                stops &= valid
            }
            if stops != 0 { delimiters &= (stops & (0 &- stops)) &- 1 }
            // One step per delimiter, not a popcount: fields are a few bytes, so a word holds one or two, and
            // without POPCNT in the baseline x86-64 target `nonzeroBitCount` is a dozen dependent instructions.
            while delimiters != 0 {
                counted += 1
                if counted == need {
                    return Skip(stop: .passed, at: q + (delimiters.trailingZeroBitCount >> 3), counted: need)
                }
                delimiters &= delimiters &- 1
            }
            if stops != 0 {
                let h = q + (stops.trailingZeroBitCount >> 3)
                if base[h] == Self.newline { return Skip(stop: .newline, at: h, counted: counted) }
                if h == start || base[h - 1] == delimiter { return Skip(stop: .quote, at: h, counted: counted) }
                q = h + 1
                continue
            }
            q += 8
        }
        return Skip(stop: .notFound, counted: counted)
    }

    /// The high bit set in each byte of `x` that is zero, exactly (no false positives from borrows, unlike the
    /// shorter `(x - 0x01…) & ~x & 0x80…`).
    @inline(__always)
    static func zeroBytes(_ x: UInt64) -> UInt64 {
        let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        return ~(((x & low7) &+ low7) | x | low7)
    }

    static func countNewlines(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
        var count = 0
        var q = p
        var left = n
        while left > 0, let hit = memchr(q, Int32(newline), left) {
            let h = UnsafePointer(hit.assumingMemoryBound(to: UInt8.self))
            count += 1
            left -= (h - q) + 1
            q = h + 1
        }
        return count
    }
}
