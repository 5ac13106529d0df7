import ShoalProtocol
import Testing
import ZeroMQ

/// RESULT carries many attempts; `ResultBatch.packing` keeps every message within the protocol's limits.
@Suite("RESULT batches")
struct ResultBatchTests {
    /// A result with `tail` bytes of log and `outputs` one-byte outputs.
    private func result(_ id: UInt64, tail: Int = 0, outputs: Int = 0) -> TaskResult {
        TaskResult(
            task: TaskRef(taskID: id, attempt: 1), outcome: .succeeded, exitStatus: 0,
            logTail: String(repeating: "x", count: tail), counters: [Counter(name: "records", value: Int64(id))],
            outputs: (0..<outputs).map { NamedFrame(name: "out\($0)", frame: Frame([UInt8(truncatingIfNeeded: id)])) })
    }

    @Test("encodedSize is the exact size of a result in a RESULT body")
    func encodedSizeIsExact() throws {
        for sample in [result(1), result(2, tail: 300, outputs: 3), TaskResult(task: TaskRef(taskID: 3, attempt: 2), outcome: .failed, error: "é")] {
            let frames = ShoalCodec.encode(ResultBatch([sample]))
            #expect(frames[1].count == 4 + sample.encodedSize)
        }
    }

    @Test("10,000 tiny results pack into few messages that decode back to the same results, in order")
    func tinyResultsPackAndRoundTrip() throws {
        let results = (1...10_000).map { result(UInt64($0), outputs: $0 % 3) }
        let batches = ResultBatch.packing(results)
        #expect(batches.count < 10)
        var decoded: [TaskResult] = []
        for batch in batches {
            let frames = ShoalCodec.encode(batch)
            #expect(frames[1].count <= ProtocolLimits.standard.maxBodyBytes)
            #expect(frames.count - 2 <= ProtocolLimits.standard.maxPayloadFrames)
            guard case .result(let back) = try ShoalCodec.decode(frames) else {
                Issue.record("not a RESULT")
                return
            }
            decoded += back.results
        }
        #expect(decoded == results)
    }

    @Test("large log tails split by the body budget; a single result above it travels alone")
    func bodyBudgetSplits() {
        let results = [result(1, tail: 600), result(2, tail: 600), result(3, tail: 5_000), result(4, tail: 10)]
        let batches = ResultBatch.packing(results, bodyBudget: 1_500)
        #expect(batches.map { $0.results.map(\.task.taskID) } == [[1, 2], [3], [4]])
    }

    @Test("payload frames per message stay within the limit")
    func payloadFrameLimit() {
        let limits = ProtocolLimits(maxPayloadFrames: 10)
        let batches = ResultBatch.packing((1...7).map { result(UInt64($0), outputs: 3) }, limits: limits)
        #expect(batches.allSatisfy { $0.payloads.count <= 10 })
        #expect(batches.flatMap(\.results).count == 7)
    }

    @Test("an empty RESULT is malformed")
    func emptyIsMalformed() throws {
        var frames = ShoalCodec.encode(ResultBatch([result(1)]))
        frames[1] = Frame([0, 0, 0, 0])
        #expect(throws: ProtocolError.self) { try ShoalCodec.decode(frames) }
    }
}
