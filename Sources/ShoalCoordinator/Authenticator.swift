import Foundation
import Logging
import ShoalCore
import Synchronization
import ZeroMQ

/// Who may connect to the coordinator, by role: the keys directory's allow-lists (`KeyRing`), consulted by the
/// ZAP handler at each CURVE handshake and by the socket loop at each message (`admits`), so a key removed
/// by `reload` loses its connection at its next message without a restart.
///
/// The user id a handshake carries is the peer's public key in Z85: that is what `admits` checks against the
/// current lists. Called from the ZAP thread, the socket-loop thread and the coordinator's task: the lists
/// and counters live behind one mutex.
public final class Authenticator: Sendable {
    /// Handshakes and connections, since the coordinator started.
    public struct Counters: Sendable, Equatable {
        public var accepted = 0
        /// Handshakes refused by ZAP: unknown or revoked keys, or a key of the other role.
        public var refused = 0
        /// Connections shut down because their key was revoked after the handshake.
        public var disconnected = 0
        /// Handshakes that failed before ZAP: a peer without CURVE, or with the wrong coordinator key.
        public var failedHandshakes = 0
    }

    private struct State {
        var ring: KeyRing
        var counters = Counters()
        var lastReload: String?
        /// Per kind of refusal and peer: when it was last logged, and how many like it were not logged since.
        var logged: [String: (at: ContinuousClock.Instant, quiet: Int)] = [:]
    }

    /// Refusals of one kind from one peer are logged at most this often (a peer retrying, or anyone at all who
    /// reaches the port, must not be able to flood the log); the counters count every one.
    static let logInterval: Duration = .seconds(10)

    /// Whether to log the refusal `key` now; if so, how many like it went unlogged since the last time.
    private func shouldLog(_ key: String) -> Int? {
        let now = ContinuousClock.now
        return state.withLock { state -> Int? in
            if let last = state.logged[key], last.at.duration(to: now) < Self.logInterval {
                state.logged[key]?.quiet += 1
                return nil
            }
            if state.logged.count > 10_000 { state.logged.removeAll() }  // bounded, whoever knocks
            let quiet = state.logged[key]?.quiet ?? 0
            state.logged[key] = (now, 0)
            return quiet
        }
    }

    private let state: Mutex<State>
    /// Held for a whole reload: SIGHUP and RELOAD-KEYS may ask at once, and an older reading of the directory must
    /// not replace a newer one (it could bring a revoked key back).
    private let reloading = Mutex(())
    private let logger: Logger

    public init(ring: KeyRing, logger: Logger) {
        state = Mutex(State(ring: ring))
        self.logger = logger
    }

    public var counters: Counters { state.withLock { $0.counters } }
    public var ring: KeyRing { state.withLock { $0.ring } }
    /// What the last reload changed, for `shoal status` and `shoal keys reload`.
    public var lastReload: String? { state.withLock { $0.lastReload } }

    /// The ZAP decision for a handshake: CURVE, a domain that names a role, a key on that role's list.
    public func authorize(_ request: ZAPHandler.Request) -> ZAPHandler.Decision {
        let role = PeerRole(zapDomain: request.domain)
        let key = request.curveKey
        let name = state.withLock { state -> String? in
            guard let role, let key, let name = state.ring.name(of: key, in: role) else {
                state.counters.refused += 1
                return nil
            }
            state.counters.accepted += 1
            return name
        }
        if let name, let key {
            logger.debug("handshake accepted", metadata: [
                "role": "\(role?.rawValue ?? "?")", "key": "\(name) \(key.fingerprint)", "peer": "\(request.address)",
            ])
            return .allow(userID: key.z85)
        }
        let reason: String
        if request.mechanism != "CURVE" {
            reason = "CURVE required, got \(request.mechanism)"
        } else if role == nil {
            reason = "unknown ZAP domain '\(request.domain)'"
        } else {
            reason = "key not allowed as a \(role!.rawValue)"
        }
        let fingerprint = key.map(\.fingerprint) ?? "none"
        if let quiet = shouldLog("refused \(reason) \(request.address) \(fingerprint)") {
            logger.warning("refused a handshake", metadata: [
                "reason": "\(reason)", "peer": "\(request.address)", "key": "\(fingerprint)",
                "role": "\(role?.rawValue ?? "?")", "unlogged_since": "\(quiet)",
            ])
        }
        return .deny(reason: reason)
    }

    /// For `SocketSpec.admit` on `role`'s endpoint: whether the key that handshook (the user id) is still allowed.
    public func admits(_ role: PeerRole) -> @Sendable (String) -> Bool {
        { [self] userID in
            guard let key = CurveKey(z85: userID) else { return false }
            return state.withLock { $0.ring.name(of: key, in: role) != nil }
        }
    }

    /// Records that the socket loop shut down a connection whose key was revoked.
    public func noteDisconnected(peer: String, address: String, role: PeerRole) {
        state.withLock { $0.counters.disconnected += 1 }
        logger.warning("disconnected a peer whose key was revoked", metadata: [
            "role": "\(role.rawValue)", "peer": "\(address)", "key": "\(CurveKey(z85: peer)?.fingerprint ?? peer)",
        ])
    }

    /// Records a handshake that failed before ZAP was asked.
    public func noteFailedHandshake(_ event: SocketEvent, role: PeerRole) {
        state.withLock { $0.counters.failedHandshakes += 1 }
        // The monitor names the endpoint, not the peer: one line per role every `logInterval`.
        if let quiet = shouldLog("failed \(role.rawValue)") {
            logger.warning("a handshake failed (a peer without CURVE, or one using another coordinator key?)", metadata: [
                "role": "\(role.rawValue)", "event": "\(event)", "unlogged_since": "\(quiet)",
            ])
        }
    }

    /// Reads the keys directory again. Keys no longer listed are refused from now on: at their next handshake,
    /// and at the next message of a connection they already have. The coordinator's own certificate is kept
    /// (changing it needs a restart: the sockets hold it).
    /// - Returns: what changed, per role.
    /// - Throws: when the directory cannot be read; the lists in force stay as they were.
    @discardableResult
    public func reload() throws -> [PeerRole: (added: [String], removed: [String])] {
        try reloading.withLock { _ in try reloadHoldingLock() }
    }

    private func reloadHoldingLock() throws -> [PeerRole: (added: [String], removed: [String])] {
        let current = state.withLock { $0.ring }
        var fresh = try KeyRing.load(directory: current.directory)
        fresh.coordinator = current.coordinator
        var changes: [PeerRole: (added: [String], removed: [String])] = [:]
        for role in PeerRole.allCases {
            let before = current.allowed[role] ?? [:]
            let after = fresh.allowed[role] ?? [:]
            let added = after.filter { before[$0.key] == nil }.map { "\($0.value) \($0.key.fingerprint)" }.sorted()
            let removed = before.filter { after[$0.key] == nil }.map { "\($0.value) \($0.key.fingerprint)" }.sorted()
            changes[role] = (added, removed)
        }
        let revoked = changes.values.flatMap(\.removed).sorted()
        let added = changes.values.flatMap(\.added).sorted()
        let summary = "reloaded at \(Date().formatted(.iso8601)): "
            + "\(fresh.allowed[.worker]?.count ?? 0) worker and \(fresh.allowed[.client]?.count ?? 0) client keys allowed; "
            + "revoked: \(revoked.isEmpty ? "none" : revoked.joined(separator: ", ")); "
            + "added: \(added.isEmpty ? "none" : added.joined(separator: ", "))"
        state.withLock {
            $0.ring = fresh
            $0.lastReload = summary
        }
        logger.notice("keys reloaded", metadata: [
            "workers": "\(fresh.allowed[.worker]?.count ?? 0)", "clients": "\(fresh.allowed[.client]?.count ?? 0)",
            "revoked": "\(revoked)", "added": "\(added)",
        ])
        return changes
    }
}
