import Foundation
import ShoalTestSupport
import Testing
@testable import ZeroMQ

extension SocketLoop {
    /// Reads `inbound` until `match` returns a value, for at most `limit`; the items skipped are returned too.
    func firstInbound<Match: Sendable>(
        within limit: Duration = .seconds(10),
        _ match: @escaping @Sendable (SocketLoop.Inbound) -> Match?
    ) async throws -> Match {
        try await withDeadline(limit) { [inbound] in
            for await item in inbound {
                if let found = match(item) { return found }
            }
            throw LoopEnded()
        }
    }
}

/// The loop's `inbound` stream finished before the expected item arrived.
struct LoopEnded: Error {}

extension SocketMonitor {
    /// Reads events until one satisfies `predicate` or `milliseconds` pass.
    /// - Returns: the matching event (or `nil` on timeout) and every event seen, for failure messages.
    func waitForEvent(
        within milliseconds: Int = 5_000, where predicate: (SocketEvent) -> Bool
    ) throws -> (match: SocketEvent?, seen: [SocketEvent]) {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .milliseconds(milliseconds))
        var seen: [SocketEvent] = []
        while true {
            let left = clock.now.duration(to: deadline)
            guard left > .zero else { return (nil, seen) }
            let wait = Int(left.components.seconds * 1_000 + left.components.attoseconds / 1_000_000_000_000_000) + 1
            guard let event = try receive(timeout: wait) else { continue }
            seen.append(event)
            if predicate(event) { return (event, seen) }
        }
    }
}
