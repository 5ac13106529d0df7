/// A Hadoop Streaming reporter line on a command's stderr: how a task reports status and counters.
///
/// `reporter:status:MESSAGE` sets the task's status; `reporter:counter:GROUP,NAME,AMOUNT` adds AMOUNT to the
/// counter `GROUP.NAME` (the group is up to the first comma, the amount after the last). Any other line,
/// including a malformed reporter line, is ordinary log output.
enum ReporterLine: Equatable {
    case status(String)
    case counter(name: String, amount: Int64)

    init?(_ line: String) {
        if line.hasPrefix("reporter:status:") {
            self = .status(String(line.dropFirst("reporter:status:".count)))
        } else if line.hasPrefix("reporter:counter:") {
            let fields = line.dropFirst("reporter:counter:".count)
            guard let firstComma = fields.firstIndex(of: ","), let lastComma = fields.lastIndex(of: ","),
                firstComma < lastComma,
                let amount = Int64(fields[fields.index(after: lastComma)...])
            else { return nil }
            let group = fields[..<firstComma]
            let name = fields[fields.index(after: firstComma)..<lastComma]
            guard !group.isEmpty, !name.isEmpty else { return nil }
            self = .counter(name: "\(group).\(name)", amount: amount)
        } else {
            return nil
        }
    }
}
