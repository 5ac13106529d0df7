import Foundation
import ShoalTestSupport
import Testing

/// `shoal watch JOB` follows a job's events live and ends with it.
@Suite(.serialized) struct WatchTests {
    @Test func watchFollowsAJobToItsEndAndExitsWithItsOutcome() async throws {
        let cluster = try ClusterFixture()
        try await cluster.startCoordinator()
        try await cluster.startWorker("w1", slots: 1)
        // The first job of a fresh state directory is job 1. 12 × 250 ms on one slot: ~3 s of events to see.
        let watcher = try ChildProcess(
            try BuiltProducts.shoal, ["watch", "1", "--events", cluster.eventsEndpoint],
            in: cluster.directory, name: "watch")
        let job = try await cluster.submit("""
            kind: noop
            name: watched
            tasks: 12
            sleep_ms: 250
            speculation: false
            """)
        #expect(job == 1)
        let status = try #require(await watcher.waitForExit(timeout: .seconds(60)), "shoal watch did not end")
        #expect(status == 0, "\(watcher.stderr)")
        let lines = watcher.stdout.split(separator: "\n").map(String.init)
        // (The job's first events may come before the subscription is in place: PUB/SUB keeps no history.)
        #expect(lines.contains { $0.contains("job 1 running: ") && $0.contains(" succeeded, ") }, "a progress line: \(lines)")
        #expect(lines.last?.hasSuffix("job 1 succeeded") == true, "\(lines)")
    }

    @Test func watchExitsNonZeroWhenItsJobFails() async throws {
        let cluster = try ClusterFixture()
        try await cluster.startCoordinator()
        try await cluster.startWorker("w1", slots: 1)
        let watcher = try ChildProcess(
            try BuiltProducts.shoal, ["watch", "1", "--events", cluster.eventsEndpoint, "--json"],
            in: cluster.directory, name: "watch")
        _ = try await cluster.submit("""
            kind: noop
            name: doomed
            tasks: 4
            sleep_ms: 300
            fail_shards: [3]
            max_attempts: 1
            """)
        let status = try #require(await watcher.waitForExit(timeout: .seconds(60)), "shoal watch did not end")
        #expect(status == 1, "\(watcher.stderr)")
        let last = try #require(watcher.stdout.split(separator: "\n").last)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        let document = try #require(object["document"] as? [String: String])
        #expect(object["topic"] as? String == "job.1")
        #expect(document["state"] == "failed", "\(object)")
        #expect(document["error"]?.contains("failed on purpose") == true, "\(object)")
    }
}
