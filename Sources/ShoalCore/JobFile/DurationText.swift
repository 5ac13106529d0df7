/// Durations as people write them in job files, cluster.yaml and environment variables: `250ms`, `30s`, `5m`,
/// `1h`, `1h30m`, `1.5s`, or a plain number of seconds.
public enum DurationText {
    /// Reads `text`; `nil` when it is not a duration (negative, unknown unit, units out of order, …).
    public static func parse(_ text: String) -> Duration? {
        let text = text.trimmingWhitespace
        if let seconds = nanoseconds(number: Substring(text), unit: 1_000_000_000) { return .nanoseconds(seconds) }
        var total: Int64 = 0
        var rest = Substring(text)
        var previousUnitRank = -1
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            rest = rest.dropFirst(number.count)
            let unitName = rest.prefix { $0.isLetter }
            rest = rest.dropFirst(unitName.count)
            // Largest unit first, each once: "1h30m", never "30m1h" or "5m5m".
            guard let rank = units.firstIndex(where: { $0.name == unitName }), rank > previousUnitRank,
                let part = nanoseconds(number: number, unit: units[rank].nanoseconds)
            else { return nil }
            previousUnitRank = rank
            let (sum, overflow) = total.addingReportingOverflow(part)
            guard !overflow else { return nil }
            total = sum
        }
        return text.isEmpty ? nil : .nanoseconds(total)
    }

    /// `duration` the way `parse` reads it, to the millisecond: `250ms`, `30s`, `1m30s`, `2.5s`, `1h`.
    public static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        if milliseconds < 1000 { return "\(milliseconds)ms" }
        let hours = milliseconds / 3_600_000
        let minutes = milliseconds / 60_000 % 60
        let wholeSeconds = milliseconds / 1000 % 60
        let fraction = milliseconds % 1000
        var text = ""
        if hours > 0 { text += "\(hours)h" }
        if minutes > 0 { text += "\(minutes)m" }
        if wholeSeconds > 0 || fraction > 0 {
            text += "\(wholeSeconds)"
            if fraction > 0 {
                let digits = String(fraction + 1000).dropFirst()  // zero-padded to 3 digits
                text += "." + String(digits.reversed().drop { $0 == "0" }.reversed())
            }
            text += "s"
        }
        return text
    }

    private static let units: [(name: Substring, nanoseconds: Int64)] = [
        ("h", 3_600_000_000_000), ("m", 60_000_000_000), ("s", 1_000_000_000), ("ms", 1_000_000),
    ]

    /// `number` (digits, optionally `.` and more digits) times `unit`, exactly, in nanoseconds.
    private static func nanoseconds(number: Substring, unit: Int64) -> Int64? {
        let parts = number.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let wholeText = parts.first, !wholeText.isEmpty, wholeText.allSatisfy(\.isASCIIDigit),
            let whole = Int64(wholeText)
        else { return nil }
        var fractionValue: Int64 = 0
        if parts.count == 2 {
            // Beyond nanoseconds nothing counts: keep at most 9 digits.
            let fractionText = parts[1].prefix(9)
            guard !fractionText.isEmpty, parts[1].allSatisfy(\.isASCIIDigit), let digits = Int64(fractionText) else {
                return nil
            }
            var scale: Int64 = 1
            for _ in fractionText { scale *= 10 }
            fractionValue = digits * (unit / scale) + digits * (unit % scale) / scale
        }
        let (wholeValue, overflow) = whole.multipliedReportingOverflow(by: unit)
        guard !overflow else { return nil }
        let (total, overflowAgain) = wholeValue.addingReportingOverflow(fractionValue)
        return overflowAgain ? nil : total
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}

extension String {
    fileprivate var trimmingWhitespace: String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
