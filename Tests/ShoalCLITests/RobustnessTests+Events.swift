import Foundation
import ShoalClient
import ShoalCore
import ShoalProtocol
import ShoalTestSupport
import Testing
import ZeroMQ

/// The events endpoint (docs/protocol.md, section 5.6): what a watcher subscribed to everything sees of one job.
extension RobustnessTests {
    @Test func theEventStreamShowsAJobRunningProgressingAndSucceedingInSequence() async throws {
        let cluster = try ClusterFixture()
        try await cluster.startCoordinator()
        try await cluster.startWorker("w1", slots: 2)
        let watcher = try await RawPeer.subscriber(connecting: cluster.eventsEndpoint, prefix: "", context: try Context())
        // The subscription leaves right after the handshake; a STATUS round trip gives the PUB time to take it in
        // before the job's first event.
        #expect(await waitUntil(timeout: .seconds(60)) {
            watcher.monitorEvents.contains { if case .handshakeSucceeded = $0 { true } else { false } }
        }, "the SUB socket never connected: \(watcher.monitorEvents)")
        try await cluster.waitFor("a status round trip") { _ in true }

        // 20 tasks × 250 ms on 2 slots: about 2.5 s, so at least one once-a-second progress event.
        let job = try await cluster.submit(Self.noopJob(name: "watched", tasks: 20, sleepMs: 250))
        let final = try await cluster.waitForEnd(of: job)
        #expect(final.record.state == .succeeded, "\(final)")
        let topic = "job.\(job)"
        let ended = await watcher.waitForMessage(within: .seconds(10)) { frames in
            guard let (eventTopic, event) = try? ShoalCodec.decodeEvent(frames), eventTopic == topic,
                  event.kind == "job" else { return false }
            return Self.json(event)["state"] == "succeeded"
        }
        #expect(ended != nil, "no 'succeeded' event on \(topic)")

        var events: [(topic: String, event: ClusterEvent)] = []
        for frames in watcher.messages {
            do { events.append(try ShoalCodec.decodeEvent(frames)) } catch {
                Issue.record("an undecodable event (\(error)): \(frames.map(\.bytes))")
            }
        }
        let summary = events.map { "\($0.event.sequence) \($0.topic) \($0.event.kind) \(Self.json($0.event))" }
        // One sequence, +1 per event: a watcher of everything that missed nothing sees no gap.
        let sequences = events.map(\.event.sequence)
        #expect(sequences == Array((sequences.first ?? 0)..<((sequences.first ?? 0) + UInt64(sequences.count))),
                "sequence numbers are not consecutive: \(summary)")
        #expect(zip(events, events.dropFirst()).allSatisfy { $0.event.timeMs <= $1.event.timeMs },
                "time_ms goes backwards: \(summary)")

        let ofJob = events.filter { $0.topic == topic }
        #expect(ofJob.allSatisfy { Self.json($0.event)["job"] == "\(job)" }, "\(summary)")
        let states = ofJob.filter { $0.event.kind == "job" }.map { (Self.json($0.event)["state"] ?? "?", $0.event.sequence) }
        let running = states.first { $0.0 == "running" }?.1
        let succeeded = states.filter { $0.0 == "succeeded" }.map(\.1)
        #expect(running != nil, "no job event says the job is running: \(summary)")
        #expect(succeeded.count == 1, "one 'succeeded' event: \(summary)")
        let progress = ofJob.filter { $0.event.kind == "progress" }
        #expect(!progress.isEmpty, "no progress event in a job of about 2.5 s: \(summary)")
        if let running, let succeeded = succeeded.first {
            #expect(running < succeeded, "\(summary)")
            #expect(progress.allSatisfy { running < $0.event.sequence && $0.event.sequence < succeeded },
                    "progress comes while the job runs: \(summary)")
        }
        let done = progress.compactMap { Self.json($0.event)["succeeded"].flatMap { Int($0) } }
        #expect(done == done.sorted(), "progress never goes back: \(summary)")
        #expect(states.last?.0 == "succeeded", "nothing follows the end of the job: \(summary)")
        await watcher.close()
    }

    static func json(_ event: ClusterEvent) -> [String: String] {
        (try? JSONSerialization.jsonObject(with: Data(event.document.bytes))) as? [String: String] ?? [:]
    }
}
