/// One flat JSON object per line, tokenized in place: the spans of its keys and values, no copies.
struct JSONLineScanner {
    enum Kind: UInt8 {
        case string, number, bool, null
        /// An object or array: kept as its raw JSON text in a string column, a bad row elsewhere.
        case nested
    }

    struct Member {
        /// The key's bytes without quotes (escapes not decoded).
        var keyStart: Int
        var keyEnd: Int
        var keyEscaped: Bool
        var kind: Kind
        /// The value's text; for strings without the quotes.
        var valueStart: Int
        var valueEnd: Int
        var valueEscaped: Bool
        /// For bools: the value.
        var truth: Bool
    }

    var members: [Member] = []

    /// Tokenizes `base[start ..< end]` (one line, terminator excluded).
    /// - Returns: nil for a blank line, else a description of the first syntax error or "" when the line is a
    ///   valid flat object.
    mutating func scan(_ base: UnsafePointer<UInt8>, from start: Int, end: Int) -> String? {
        members.removeAll(keepingCapacity: true)
        var i = start
        func skipSpace() {
            while i < end && (base[i] == 0x20 || base[i] == 0x09 || base[i] == 0x0D) { i += 1 }
        }
        func at(_ position: Int) -> String { "column \(position - start + 1)" }
        skipSpace()
        if i == end { return nil }
        guard base[i] == UInt8(ascii: "{") else { return "invalid JSON at \(at(i)): a line must hold one object" }
        i += 1
        skipSpace()
        if i < end && base[i] == UInt8(ascii: "}") {
            i += 1
        } else {
            while true {
                guard i < end && base[i] == UInt8(ascii: "\"") else { return "invalid JSON at \(at(i)): expected a key" }
                guard let (keyEnd, keyEscaped) = Self.stringEnd(base, from: i + 1, end: end) else {
                    return "invalid JSON at \(at(i)): unterminated string"
                }
                let keyStart = i + 1
                i = keyEnd + 1
                skipSpace()
                guard i < end && base[i] == UInt8(ascii: ":") else {
                    return "invalid JSON at \(at(i)): expected ':' after a key"
                }
                i += 1
                skipSpace()
                guard i < end else { return "invalid JSON at \(at(i)): expected a value" }
                var member = Member(
                    keyStart: keyStart, keyEnd: keyEnd, keyEscaped: keyEscaped, kind: .null, valueStart: i,
                    valueEnd: i, valueEscaped: false, truth: false)
                let c = base[i]
                switch c {
                case UInt8(ascii: "\""):
                    guard let (valueEnd, escaped) = Self.stringEnd(base, from: i + 1, end: end) else {
                        return "invalid JSON at \(at(i)): unterminated string"
                    }
                    member.kind = .string
                    member.valueStart = i + 1
                    member.valueEnd = valueEnd
                    member.valueEscaped = escaped
                    i = valueEnd + 1
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    guard let close = Self.nestedEnd(base, from: i, end: end) else {
                        return "invalid JSON at \(at(i)): unterminated \(c == UInt8(ascii: "{") ? "object" : "array")"
                    }
                    member.kind = .nested
                    member.valueEnd = close + 1
                    i = close + 1
                case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
                    let words: [(StaticString, Kind, Bool)] = [("true", .bool, true), ("false", .bool, false), ("null", .null, false)]
                    guard let (word, kind, truth) = words.first(where: { Self.hasWord(base, i, end, $0.0) }) else {
                        return "invalid JSON at \(at(i)): unknown literal"
                    }
                    member.kind = kind
                    member.truth = truth
                    i += word.utf8CodeUnitCount
                    member.valueEnd = i
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    var j = i + 1
                    while j < end {
                        let d = base[j]
                        if (d &- 48) <= 9 || d == UInt8(ascii: ".") || d | 0x20 == UInt8(ascii: "e") || d == UInt8(ascii: "+")
                            || d == UInt8(ascii: "-")
                        {
                            j += 1
                        } else {
                            break
                        }
                    }
                    guard ByteNumberParser.double(base + i, j - i) != nil else {
                        return "invalid JSON at \(at(i)): malformed number"
                    }
                    member.kind = .number
                    member.valueEnd = j
                    i = j
                default:
                    return "invalid JSON at \(at(i)): expected a value"
                }
                members.append(member)
                skipSpace()
                guard i < end else { return "invalid JSON at \(at(i)): unterminated object" }
                if base[i] == UInt8(ascii: ",") {
                    i += 1
                    skipSpace()
                    continue
                }
                if base[i] == UInt8(ascii: "}") {
                    i += 1
                    break
                }
                return "invalid JSON at \(at(i)): expected ',' or '}'"
            }
        }
        skipSpace()
        return i == end ? "" : "invalid JSON at \(at(i)): text after the object"
    }

    /// The closing quote of a string whose body starts at `from`, and whether it holds escapes.
    static func stringEnd(_ base: UnsafePointer<UInt8>, from: Int, end: Int) -> (Int, Bool)? {
        var i = from
        var escaped = false
        while i < end {
            let c = base[i]
            if c == UInt8(ascii: "\"") { return (i, escaped) }
            if c == UInt8(ascii: "\\") {
                escaped = true
                i += 2
            } else {
                i += 1
            }
        }
        return nil
    }

    /// The bracket closing the object or array at `from` (strings inside are skipped).
    static func nestedEnd(_ base: UnsafePointer<UInt8>, from: Int, end: Int) -> Int? {
        var depth = 0
        var i = from
        while i < end {
            switch base[i] {
            case UInt8(ascii: "\""):
                guard let (close, _) = stringEnd(base, from: i + 1, end: end) else { return nil }
                i = close
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 0 { return i }
            default: break
            }
            i += 1
        }
        return nil
    }

    static func hasWord(_ base: UnsafePointer<UInt8>, _ i: Int, _ end: Int, _ word: StaticString) -> Bool {
        let n = word.utf8CodeUnitCount
        guard end - i >= n else { return false }
        for k in 0..<n where base[i + k] != word.utf8Start[k] { return false }
        return true
    }

    /// Decodes a JSON string body (escapes, `\uXXXX`, surrogate pairs) into `out`, which has room for `n`
    /// bytes: the decoded text is never longer than the escaped one.
    /// - Returns: the bytes written, or nil for an invalid escape. A lone surrogate becomes U+FFFD, since
    ///   UTF-8 cannot hold it.
    static func unescape(_ p: UnsafePointer<UInt8>, _ n: Int, into out: UnsafeMutablePointer<UInt8>) -> Int? {
        var i = 0
        var o = 0
        func hex4(_ at: Int) -> UInt32? {
            guard at + 4 <= n else { return nil }
            var v: UInt32 = 0
            for k in 0..<4 {
                let c = p[at + k]
                let d: UInt32
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - 48)
                case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - 87)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - 55)
                default: return nil
                }
                v = v << 4 | d
            }
            return v
        }
        func put(_ scalar: UInt32) {
            switch scalar {
            case 0..<0x80:
                out[o] = UInt8(scalar)
                o += 1
            case 0x80..<0x800:
                out[o] = UInt8(0xC0 | scalar >> 6)
                out[o + 1] = UInt8(0x80 | scalar & 0x3F)
                o += 2
            case 0x800..<0x10000:
                out[o] = UInt8(0xE0 | scalar >> 12)
                out[o + 1] = UInt8(0x80 | scalar >> 6 & 0x3F)
                out[o + 2] = UInt8(0x80 | scalar & 0x3F)
                o += 3
            default:
                out[o] = UInt8(0xF0 | scalar >> 18)
                out[o + 1] = UInt8(0x80 | scalar >> 12 & 0x3F)
                out[o + 2] = UInt8(0x80 | scalar >> 6 & 0x3F)
                out[o + 3] = UInt8(0x80 | scalar & 0x3F)
                o += 4
            }
        }
        while i < n {
            let c = p[i]
            if c != UInt8(ascii: "\\") {
                out[o] = c
                o += 1
                i += 1
                continue
            }
            guard i + 1 < n else { return nil }
            switch p[i + 1] {
            case UInt8(ascii: "\""): put(0x22)
            case UInt8(ascii: "\\"): put(0x5C)
            case UInt8(ascii: "/"): put(0x2F)
            case UInt8(ascii: "b"): put(0x08)
            case UInt8(ascii: "f"): put(0x0C)
            case UInt8(ascii: "n"): put(0x0A)
            case UInt8(ascii: "r"): put(0x0D)
            case UInt8(ascii: "t"): put(0x09)
            case UInt8(ascii: "u"):
                guard let unit = hex4(i + 2) else { return nil }
                i += 6
                if unit >= 0xD800 && unit < 0xDC00, i + 1 < n, p[i] == UInt8(ascii: "\\"), p[i + 1] == UInt8(ascii: "u"),
                    let low = hex4(i + 2), low >= 0xDC00 && low < 0xE000
                {
                    put(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
                    i += 6
                } else if unit >= 0xD800 && unit < 0xE000 {
                    put(0xFFFD)
                } else {
                    put(unit)
                }
                continue
            default: return nil
            }
            i += 2
        }
        return o
    }
}
