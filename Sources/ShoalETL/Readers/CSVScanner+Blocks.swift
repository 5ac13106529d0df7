#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

/// A 64-byte block of the input classified once: bit i of each mask is byte `start + i`.
struct CSVBlock {
    /// Where the block starts in the buffer; `Int.min` when no block is held.
    var start = Int.min
    var delimiters: UInt64 = 0
    /// LFs and quotes: the bytes that end the fast path's work on a record (a quote sends it to `scan`).
    var stops: UInt64 = 0
}

/// The fast path for records without quotes: a structural index in the manner of simdjson and simdcsv.
///
/// `scan` walks a record field by field, eight bytes per step, and restarts its search at every field; for 25
/// short fields that is most of a worker's reading time. Here 64 bytes are classified at once — delimiter,
/// LF, quote — into bit masks (SSE2 compares on x86-64, a word-at-a-time fallback elsewhere), and a record's
/// fields are then read off the masks one set bit at a time. A block is classified once, however many records
/// it holds. A record with a quote anywhere, or one that reaches the last 64 bytes of the buffer, is left to
/// `scan`, which knows the rest of RFC 4180; both give the same spans for the records the fast path takes.
extension CSVScanner {
    /// Scans the record starting at `p` if it holds no quote and ends within whole blocks before `end`;
    /// otherwise nil, and the caller uses `scan`. Spans are stored for the wanted fields, as `scan` does.
    @inline(__always)
    func scanUnquoted(_ base: UnsafeMutablePointer<UInt8>, from p: Int, end: Int) -> CSVRecordScan? {
        var b = block.pointee
        if p < b.start || p >= b.start &+ 64 {
            guard p <= end &- 64 else { return nil }
            b = classify(base, at: p)
        }
        let below = ~(0 as UInt64) << UInt64(p &- b.start)
        var delimiters = b.delimiters & below
        var stops = b.stops & below
        // Every delimiter's position goes to `ends[field]`; the wanted fields' starts follow from them below.
        // The loop per delimiter is a handful of instructions: no test for the record's end, which is found
        // first, per block, as the lowest stop bit.
        var field = 0
        while true {
            if stops != 0 { delimiters &= (stops & (0 &- stops)) &- 1 }
            while delimiters != 0 {
                if field < capacity { ends[field] = b.start &+ delimiters.trailingZeroBitCount }
                field &+= 1
                delimiters &= delimiters &- 1
            }
            if stops != 0 { break }
            let next = b.start &+ 64
            guard next <= end &- 64 else {
                block.pointee = b
                return nil
            }
            b = classify(base, at: next)
            delimiters = b.delimiters
            stops = b.stops
        }
        block.pointee = b
        let at = b.start &+ stops.trailingZeroBitCount
        guard base[at] == Self.newline else { return nil }  // a quote: the careful way
        var recordEnd = at
        // A CR before the LF is not data (it is never a delimiter, so it lies in the last field).
        if recordEnd > p && base[recordEnd &- 1] == Self.carriageReturn { recordEnd &-= 1 }
        if field < capacity { ends[field] = recordEnd }
        for k in 0..<wantedCount {
            let f = wantedFields[k]
            if f > field { break }
            starts[f] = f == 0 ? p : ends[f &- 1] &+ 1
            flags[f] = 0
        }
        return CSVRecordScan(status: .complete, recordEnd: recordEnd, next: at &+ 1, fields: field &+ 1)
    }

    /// Forgets the block held: its bytes are about to move (the buffer is refilled).
    func forgetBlock() {
        block.pointee = CSVBlock()
    }

    /// Classifies the 64 bytes at `base + at`.
    @inline(__always)
    func classify(_ base: UnsafeMutablePointer<UInt8>, at: Int) -> CSVBlock {
        #if arch(x86_64)
        let p = UnsafeRawPointer(base + at)
        let d = _mm_set1_epi8(CChar(bitPattern: delimiter))
        let n = _mm_set1_epi8(CChar(bitPattern: Self.newline))
        let q = _mm_set1_epi8(CChar(bitPattern: Self.quote))
        var delimiters: UInt64 = 0
        var stops: UInt64 = 0
        for i in 0..<4 {
            let v = _mm_loadu_si128((p + 16 * i).assumingMemoryBound(to: __m128i.self))
            let dm = _mm_movemask_epi8(_mm_cmpeq_epi8(v, d))
            let sm = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, n), _mm_cmpeq_epi8(v, q)))
            delimiters |= UInt64(UInt16(truncatingIfNeeded: dm)) << UInt64(16 * i)
            stops |= UInt64(UInt16(truncatingIfNeeded: sm)) << UInt64(16 * i)
        }
        return CSVBlock(start: at, delimiters: delimiters, stops: stops)
        #else
        return classifyWords(base, at: at)
        #endif
    }

    /// `classify` a word at a time, for targets without SSE2 (and for the tests that check one against the other).
    @inline(__always)
    func classifyWords(_ base: UnsafeMutablePointer<UInt8>, at: Int) -> CSVBlock {
        let p = UnsafeRawPointer(base + at)
        var delimiters: UInt64 = 0
        var stops: UInt64 = 0
        for i in 0..<8 {
            let w = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))
            let dm = Self.zeroBytes(w ^ delimiterWord)
            let sm = Self.zeroBytes(w ^ Self.newlineWord) | Self.zeroBytes(w ^ Self.quoteWord)
            delimiters |= Self.packHighBits(dm) << UInt64(8 * i)
            stops |= Self.packHighBits(sm) << UInt64(8 * i)
        }
        return CSVBlock(start: at, delimiters: delimiters, stops: stops)
    }

    /// The high bit of each byte of `x` (all other bits clear), packed into the low 8 bits: byte k → bit k.
    @inline(__always)
    static func packHighBits(_ x: UInt64) -> UInt64 {
        ((x >> 7) &* 0x0102_0408_1020_4080) >> 56
    }
}
