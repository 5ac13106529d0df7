import ArgumentParser
import Foundation
import ShoalCore
import ShoalProtocol
import ZeroMQ

/// `shoal watch [JOB]`: the coordinator's event stream, live — jobs changing state, progress about once a second,
/// workers joining and leaving. With a job, it ends when that job does (exit 1 unless it succeeded).
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Follow the coordinator's events: job states, progress, workers joining and leaving.",
        discussion: """
            Subscribes to the coordinator's event endpoint (docs/protocol.md, EVENT). Events are not stored: a
            watcher sees what happens from the moment it connects (`shoal status` shows the state so far). A gap in
            the sequence numbers means events were dropped, and is reported.
            """
    )

    @Argument(help: "Only this job's events; the command ends when the job does.")
    var job: JobID?

    @Option(name: .long, help: "The coordinator's event endpoint (default: from the cluster file, tcp://127.0.0.1:5572).")
    var events: String?

    @Option(name: .long, help: "Cluster file (default: cluster/cluster.yaml when present).")
    var config: String?

    @Flag(name: .long, help: "Print each event as one JSON object per line.")
    var json = false

    @OptionGroup var keys: PeerKeyOptions

    func run() async throws {
        let endpoint: String
        let settings: Settings
        do {
            settings = try SettingsLoader.load(configPath: config)
            endpoint = events ?? settings.eventsEndpoint
            _ = try Endpoint(endpoint)
        } catch {
            throw ValidationError("--events: \(error)")
        }
        // Watchers are clients: a client key subscribes.
        let security = try keys.security(settings, role: .client, endpoint: endpoint)
        let topic = job.map { "job.\($0)" } ?? ""
        let context = try Context()
        let loop = try await SocketLoop.start(
            context: context,
            sockets: [SocketSpec(.sub, options: [.linger(milliseconds: 0), .subscribe(Array(topic.utf8))] + security.socketOptions,
                                 connect: [endpoint], monitorEvents: SocketEvent.handshakeFailures)],
            name: "shoal-watch")
        let interrupts = InterruptTrap {}
        defer { interrupts.cancel() }
        var lastSequence: UInt64?
        var outcome: JobState?
        var refused = false
        var lastFailure: String?
        for await inbound in loop.inbound {
            if case .event(_, let event) = inbound, event.isHandshakeFailure {
                // Refused by the allow-list: nothing will ever arrive. Other failures may pass (a restart): said once.
                let reason = security.explain(event, role: .client)
                if reason != lastFailure { FileHandle.standardError.write(Data("shoal watch: \(reason)\n".utf8)) }
                lastFailure = reason
                if case .handshakeFailedAuth = event {
                    refused = true
                    break
                }
                continue
            }
            guard case .message(_, let frames) = inbound,
                  let (topic, event) = try? ShoalCodec.decodeEvent(frames) else { continue }
            if let last = lastSequence, event.sequence > last + 1 {
                FileHandle.standardError.write(Data("(\(event.sequence - last - 1) event(s) missed)\n".utf8))
            }
            lastSequence = event.sequence
            let document = (try? JSONSerialization.jsonObject(with: Data(event.document.bytes))) as? [String: String] ?? [:]
            let line = json ? Self.jsonLine(topic: topic, event: event, document: document)
                            : Self.line(event: event, document: document)
            FileHandle.standardOutput.write(Data((line + "\n").utf8))  // unbuffered: a watcher reads it live
            if job != nil, event.kind == "job", let state = document["state"].flatMap(JobState.init(rawValue:)),
               state.isTerminal
            {
                outcome = state
                break
            }
        }
        await loop.stop()
        if refused { throw ExitCode(1) }
        if let outcome, outcome != .succeeded { throw ExitCode(1) }
    }

    /// "12:03:04 job 3 running: 120 succeeded, 8 running, 872 queued, 0 failed, 0 retries"-style text.
    static func line(event: ClusterEvent, document: [String: String]) -> String {
        let time = Date(timeIntervalSince1970: Double(event.timeMs) / 1000)
        let clock = time.formatted(.dateTime.hour(.twoDigits(amPM: .omitted)).minute(.twoDigits).second(.twoDigits))
        let job = document["job"] ?? "?"
        switch event.kind {
        case "progress":
            return "\(clock) job \(job) \(document["state"] ?? "?"): \(document["succeeded"] ?? "0") succeeded, "
                + "\(document["running"] ?? "0") running, \(document["queued"] ?? "0") queued, "
                + "\(document["failed"] ?? "0") failed, \(document["retries"] ?? "0") retries"
        case "job":
            let name = document["name"].map { " (\($0))" } ?? ""
            let error = document["error"].map { ": \($0)" } ?? ""
            return "\(clock) job \(job)\(name) \(document["state"] ?? "?")\(error)"
        case "worker":
            let reason = document["reason"].map { ": \($0)" } ?? ""
            return "\(clock) worker \(document["worker"] ?? "?") \(document["event"] ?? "?")\(reason)"
        default:
            return "\(clock) \(event.kind) \(document.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))"
        }
    }

    static func jsonLine(topic: String, event: ClusterEvent, document: [String: String]) -> String {
        let object: [String: Any] = [
            "topic": topic, "sequence": event.sequence, "time_ms": event.timeMs, "kind": event.kind,
            "document": document,
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
