/// A CSV file (`id,kind,note,x`) whose first `cleanBytes` hold single-line records (a bad row every 997), then
/// `multilineRecords` records whose quoted notes are mostly line breaks (a quote left open every 97, which
/// swallows the next record's start): nominal shard cuts past the clean part land inside quoted fields, and a
/// planner sampling the clean part sees none. Deterministic. Without `badRows`, every record is well formed.
public func quotedNewlineCSV(cleanBytes: Int, multilineRecords: Int, badRows: Bool = true) -> String {
    var state: UInt64 = 0x2545_F491_4F6C_DD1D
    func next() -> UInt64 {  // xorshift64
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
    var text = "id,kind,note,x\n"
    var id = 0
    while text.utf8.count < cleanBytes {
        text += badRows && id % 997 == 0 ? "\(id),short\n" : "\(id),\(next() % 3 == 0 ? "a" : "b"),plain,\(id % 10)\n"
        id += 1
    }
    for _ in 0..<multilineRecords {
        let lines = String(repeating: "\n", count: Int(next() % 60))
        text += badRows && id % 97 == 0
            ? "\(id),b,\"open\n" + ",\(id)\n"
            : "\(id),\(next() % 3 == 0 ? "a" : "b"),\"x\(lines)y, \"\"z\"\"\",\(id % 10)\n"
        id += 1
    }
    return text
}
