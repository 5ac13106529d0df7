import ZeroMQ

/// DRAIN-WORKER, client → coordinator: ask a worker to drain (`shoal drain WORKER`). Answered with
/// STATUS-REPORT (the cluster's state) or ERROR `not-found`.
public struct DrainWorker: WireMessage {
    public static let type = MessageType.drainWorker
    public var requestID: UInt64
    public var workerID: String

    public init(requestID: UInt64, workerID: String) {
        self.requestID = requestID
        self.workerID = workerID
    }

    public func encodeBody(into w: inout WireWriter) {
        w.u64(requestID)
        w.string(workerID)
    }

    public init(body r: inout WireReader, payloads: ArraySlice<Frame>) throws(ProtocolError) {
        requestID = try r.u64("request_id")
        workerID = try r.string("worker_id")
        _ = try Self.requirePayloads(payloads, count: 0, limits: r.limits)
    }
}
