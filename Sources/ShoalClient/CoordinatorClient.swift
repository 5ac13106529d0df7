import CZeroMQ
import Foundation
import ShoalCore
import ShoalProtocol
import Synchronization
import ZeroMQ

/// A client of the coordinator's client endpoint: submit, status, cancel, drain. Each request carries a fresh
/// request_id; its reply (or ERROR) is matched by it, and a request unanswered by its deadline fails with
/// `ClientError.noAnswer` rather than hanging.
public final class CoordinatorClient: Sendable {
    public let endpoint: String
    private let loop: SocketLoop
    private let waiters = PendingRequests()
    private let nextRequest = Atomic<UInt64>(UInt64.random(in: 1...(1 << 40)))
    private let consumer: Task<Void, Never>

    /// Connects to `endpoint` (the coordinator's client endpoint), with CURVE when `security` says so.
    public init(endpoint: String, context: Context, security: ClientSecurity = .plaintext) async throws {
        self.endpoint = endpoint
        let limit = Int64(ProtocolLimits.standard.maxPayloadFrameBytes) + (1 << 20)
        let loop = try await SocketLoop.start(
            context: context,
            sockets: [SocketSpec(.dealer, options: [.linger(milliseconds: 0), .maxMessageSize(limit)] + security.socketOptions,
                                 connect: [endpoint],
                                 monitorEvents: SocketEvent.handshakeFailures | ZMQ_EVENT_HANDSHAKE_SUCCEEDED,
                                 lingerOnStop: 0)],
            name: "shoal-client")
        self.loop = loop
        let waiters = self.waiters
        consumer = Task {
            for await item in loop.inbound {
                switch item {
                case .message(_, let frames):
                    guard let reply = try? ShoalCodec.decode(frames), let id = Self.requestID(of: reply) else { continue }
                    waiters.resolve(id, with: reply)
                case .event(_, .handshakeFailedAuth(let endpoint, let status)):
                    // Refused by the coordinator's allow-list: the requests waiting now would only time out.
                    waiters.fail(security.explain(.handshakeFailedAuth(endpoint: endpoint, status: status), role: .client))
                case .event(_, let event) where event.isHandshakeFailure:
                    // Perhaps passing (a coordinator restarting): the reason is kept for a request that times out,
                    // and the request itself stays queued for the next connection.
                    waiters.note(security.explain(event, role: .client))
                case .event(_, .handshakeSucceeded):
                    waiters.note(nil)
                default:
                    continue
                }
            }
        }
    }

    /// Submits a job file's text. - Returns: the job id, and whether an unfinished identical job was resumed.
    public func submit(jobFile text: String, source: String, workingDirectory: String, restart: Bool = false,
                       timeout: Duration = .seconds(60)) async throws -> JobAccepted {
        let reply = try await request(timeout: timeout) { id in
            SubmitJob(requestID: id, restart: restart, format: .yaml, sourceName: source,
                      workingDirectory: workingDirectory, spec: Frame(text))
        }
        guard case .accepted(let accepted) = reply else { throw ClientError.unexpected(reply.type) }
        return accepted
    }

    /// The cluster's status (job 0), one job's, or one task's in detail.
    public func status(job: JobID = 0, task: TaskID = 0, timeout: Duration = .seconds(10)) async throws -> ClusterStatus {
        try Self.document(try await request(timeout: timeout) { StatusRequest(requestID: $0, jobID: job, taskID: task) })
    }

    /// Cancels a job; returns its status after.
    public func cancel(job: JobID, reason: String, timeout: Duration = .seconds(10)) async throws -> ClusterStatus {
        try Self.document(try await request(timeout: timeout) { CancelJob(requestID: $0, jobID: job, reason: reason) })
    }

    /// Asks a worker to drain; returns the cluster's status after.
    public func drain(worker: WorkerID, timeout: Duration = .seconds(10)) async throws -> ClusterStatus {
        try Self.document(try await request(timeout: timeout) { DrainWorker(requestID: $0, workerID: worker) })
    }

    /// Asks the coordinator to read its keys' allow-lists again; returns the cluster's status after.
    public func reloadKeys(timeout: Duration = .seconds(10)) async throws -> ClusterStatus {
        try Self.document(try await request(timeout: timeout) { ReloadKeys(requestID: $0) })
    }

    public func close() async {
        await loop.stop()
        await consumer.value
        waiters.resolveAll()
    }

    /// Sends the message `build` makes for a fresh request id and waits for its reply.
    /// - Throws: `ClientError.refused` for an ERROR reply, `.noAnswer` at the deadline.
    func request(timeout: Duration, _ build: (UInt64) -> some WireMessage) async throws -> ShoalMessage {
        let id = nextRequest.add(1, ordering: .relaxed).newValue
        let frames = ShoalCodec.encode(build(id))
        // Cancelling the calling task ends the wait at once (its reply, if one comes, is dropped).
        let reply = await withTaskCancellationHandler {
            await withCheckedContinuation { (waiter: CheckedContinuation<ShoalMessage?, Never>) in
                waiters.register(id, waiter)
                // Cancelled before the waiter was there to end: the handler below found nothing.
                if Task.isCancelled { return waiters.resolve(id, with: nil) }
                loop.send(frames, on: 0)
                Task { [waiters] in
                    try? await Task.sleep(for: timeout)
                    waiters.resolve(id, with: nil)
                }
            }
        } onCancel: { [waiters] in
            waiters.resolve(id, with: nil)
        }
        guard let reply else {
            try Task.checkCancellation()
            if let reason = waiters.handshakeFailure { throw ClientError.handshakeFailed(reason) }
            throw ClientError.noAnswer(endpoint: endpoint, timeout: timeout)
        }
        if case .error(let error) = reply { throw ClientError.refused(error) }
        return reply
    }

    static func requestID(of message: ShoalMessage) -> UInt64? {
        switch message {
        case .accepted(let m): m.requestID
        case .statusReport(let m): m.requestID
        case .error(let m): m.requestID
        default: nil
        }
    }

    static func document(_ reply: ShoalMessage) throws -> ClusterStatus {
        guard case .statusReport(let report) = reply else { throw ClientError.unexpected(reply.type) }
        do {
            return try JSONDecoder().decode(ClusterStatus.self, from: Data(report.document.bytes))
        } catch {
            throw ClientError.badDocument("\(error)")
        }
    }
}

/// Requests waiting for their replies, by request id.
final class PendingRequests: Sendable {
    private let waiters = Mutex<[UInt64: CheckedContinuation<ShoalMessage?, Never>]>([:])
    private let failure = Mutex<String?>(nil)

    /// Why the last handshake with the coordinator failed, if one did: what a request left unanswered reports.
    var handshakeFailure: String? { failure.withLock { $0 } }

    /// Records a refused handshake and ends the requests waiting now, which would only time out.
    func fail(_ reason: String) {
        failure.withLock { $0 = reason }
        resolveAll()
    }

    /// Records why the last handshake failed (`nil`: the last one succeeded).
    func note(_ reason: String?) {
        failure.withLock { $0 = reason }
    }

    func register(_ id: UInt64, _ waiter: CheckedContinuation<ShoalMessage?, Never>) {
        waiters.withLock { $0[id] = waiter }
    }

    /// Resumes the request `id` with `reply` (`nil`: no answer), if it still waits.
    func resolve(_ id: UInt64, with reply: ShoalMessage?) {
        waiters.withLock { $0.removeValue(forKey: id) }?.resume(returning: reply)
    }

    func resolveAll() {
        let all = waiters.withLock { state in
            defer { state.removeAll() }
            return Array(state.values)
        }
        for waiter in all { waiter.resume(returning: nil) }
    }
}

/// Why a request to the coordinator failed.
public enum ClientError: Error, CustomStringConvertible, Equatable {
    /// No reply before the deadline.
    case noAnswer(endpoint: String, timeout: Duration)
    /// The coordinator answered ERROR.
    case refused(ErrorReply)
    case unexpected(MessageType)
    case badDocument(String)
    /// The ZeroMQ handshake with the coordinator failed; the text says why, as far as it can be told.
    case handshakeFailed(String)

    public var description: String {
        switch self {
        case .noAnswer(let endpoint, let timeout):
            "no answer from the coordinator at \(endpoint) within \(timeout) "
                + "(is it running? `shoal doctor --coordinator \(endpoint)` checks the path)"
        case .refused(let error): error.message
        case .unexpected(let type): "the coordinator answered \(type), which does not answer this request"
        case .badDocument(let reason): "the coordinator's status document does not decode: \(reason)"
        case .handshakeFailed(let reason): reason
        }
    }
}
