import Foundation
import ShoalCore
import ShoalProtocol
import ZeroMQ

/// The checks behind `shoal doctor`: this machine's libzmq, then, given an address, each layer between here
/// and a coordinator in turn — the address, TCP, the ZeroMQ handshake, the Shoal protocol version — so that a
/// wrong interface, a closed port and a version mismatch each get their own message.
public enum Preflight {
    /// The oldest libzmq Shoal supports: ZMTP heartbeats and ROUTER handover need 4.2; 4.3 fixed their bugs.
    public static let minimumZeroMQ = (major: 4, minor: 2)

    /// Checks of this machine alone.
    public static func localChecks(software: String) -> [PreflightCheck] {
        var checks: [PreflightCheck] = []
        let supported = ProtocolVersion.supported
        checks.append(PreflightCheck(.pass, "\(software), wire protocol \(supported.lowerBound)…\(supported.upperBound)"))
        let zmq = ZeroMQ.version
        if (zmq.major, zmq.minor) >= minimumZeroMQ {
            checks.append(PreflightCheck(.pass, "libzmq \(ZeroMQ.versionString)"))
        } else {
            checks.append(PreflightCheck(
                .fail, "libzmq \(ZeroMQ.versionString) is too old",
                hint: "Shoal needs libzmq \(minimumZeroMQ.major).\(minimumZeroMQ.minor) or newer "
                    + "(Debian: apt-get install libzmq3-dev)"))
        }
        if ZeroMQ.has("curve") {
            checks.append(PreflightCheck(.pass, "CURVE encryption and authentication available"))
        } else {
            checks.append(PreflightCheck(
                .warn, "libzmq was built without CURVE",
                hint: "traffic cannot be encrypted; clusters across machines need a libzmq built with libsodium"))
        }
        return checks
    }

    /// Probes `address` layer by layer, stopping at the first layer that fails.
    /// - Parameters:
    ///   - address: what the user typed, e.g. `tcp://10.0.0.5:5571`.
    ///   - timeout: the deadline of each network step.
    public static func probe(
        _ address: String, timeout: Duration, software: String, context: Context,
        security: ClientSecurity = .plaintext
    ) async -> [PreflightCheck] {
        let endpoint: Endpoint
        do {
            endpoint = try Endpoint(address)
        } catch {
            return [PreflightCheck(.fail, "\(error)", hint: "example: --coordinator tcp://127.0.0.1:5571")]
        }
        var checks: [PreflightCheck] = []
        if endpoint.transport == .tcp {
            guard let port = endpoint.port, port != 0, endpoint.host != "*" else {
                return [PreflightCheck(.fail, "\(endpoint) names no single host and port to connect to",
                                       hint: "give the coordinator's address, e.g. tcp://127.0.0.1:5571")]
            }
            let tcp = await tcpCheck(host: endpoint.host, port: port, timeout: timeout)
            checks.append(tcp)
            if tcp.status == .fail { return checks }
        }
        checks.append(contentsOf: await protocolChecks(
            endpoint, timeout: timeout, software: software, context: context, security: security))
        return checks
    }

    static func tcpCheck(host: String, port: UInt16, timeout: Duration) async -> PreflightCheck {
        let milliseconds = Int32(clamping: timeout.components.seconds * 1000
                                   + timeout.components.attoseconds / 1_000_000_000_000_000)
        // A blocking connect: run it on its own thread, never on the cooperative pool.
        let outcome = await onThread { TCPProbe.connect(host: host, port: port, timeoutMs: milliseconds) }
        switch outcome {
        case .connected(let address):
            return PreflightCheck(.pass, "TCP connection to \(host):\(port) (\(address))")
        case .unresolved(let reason):
            return PreflightCheck(.fail, "cannot resolve host '\(host)': \(reason)",
                                  hint: "check the host name, or give an IP address")
        case .refused(let address):
            let listeners = LocalListeners.addresses(listeningOn: port)
            if !listeners.isEmpty && !listeners.contains(address) && !listeners.contains("0.0.0.0")
                && !listeners.contains("::")
            {
                return PreflightCheck(
                    .fail, "wrong interface: nothing listens on \(address):\(port), but this machine listens on "
                        + "port \(port) at \(listeners.joined(separator: ", "))",
                    hint: "connect to \(listeners.map { "tcp://\($0):\(port)" }.joined(separator: " or ")), "
                        + "or bind the coordinator to \(address) (or 0.0.0.0, with CURVE)")
            }
            return PreflightCheck(
                .fail, "connection refused: nothing listens on \(address):\(port)",
                hint: "is the coordinator running, and is this its port? (defaults: workers 5570, clients 5571, "
                    + "events 5572)")
        case .unreachable(let address, let reason):
            return PreflightCheck(.fail, "cannot reach \(address):\(port): \(reason)",
                                  hint: "wrong network or interface: check the address and this machine's routes")
        case .timedOut(let address):
            return PreflightCheck(
                .fail, "no answer from \(address):\(port) within \(timeout)",
                hint: "the host is down, unreachable from here, or a firewall drops the packets")
        }
    }

    static func protocolChecks(
        _ endpoint: Endpoint, timeout: Duration, software: String, context: Context,
        security: ClientSecurity = .plaintext
    ) async -> [PreflightCheck] {
        let pinger: Pinger
        let handshake = security.curve.map {
            "CURVE handshake with \(endpoint) as \($0.identity.name) (key \($0.identity.publicKey.fingerprint))"
        } ?? "ZeroMQ handshake with \(endpoint) (plaintext)"
        do {
            pinger = try await Pinger(endpoint: endpoint.description, context: context, options: security.socketOptions)
        } catch {
            return [PreflightCheck(.fail, "cannot connect a ZeroMQ socket to \(endpoint): \(error)")]
        }
        let outcome = await pinger.ping(nonce: UInt64.random(in: 1...UInt64.max), sender: software, timeout: timeout)
        let connection = pinger.connection
        await pinger.close()
        let ours = ProtocolVersion.supported
        switch outcome {
        case .pong(let pong, let roundTrip):
            guard ours.contains(pong.version) else {
                return [versionMismatch(endpoint, peer: pong.minVersion...max(pong.minVersion, pong.maxVersion))]
            }
            return [
                PreflightCheck(.pass, handshake),
                PreflightCheck(.pass, "\(endpoint) is a Shoal \(pong.role) (\(pong.software)), "
                               + "protocol \(pong.version), round trip \(milliseconds(roundTrip)) ms"),
            ]
        case .refused(let reply) where reply.code == .unsupportedVersion:
            return [versionMismatch(endpoint, peer: reply.minVersion...max(reply.minVersion, reply.maxVersion))]
        case .refused(let reply):
            return [PreflightCheck(.fail, "\(endpoint) refused PING: \(reply.code): \(reply.message)")]
        case .notShoal(let reason):
            return [PreflightCheck(
                .fail, "\(endpoint) speaks ZeroMQ but not the Shoal protocol: \(reason)",
                hint: "is this the coordinator's worker or client endpoint, not another service?")]
        case .handshakeFailed(let event):
            return [PreflightCheck(
                .fail, "\(handshake) failed: \(event)",
                hint: security.explain(event, role: .client) + " (docs/security.md)")]
        case .timedOut where connection.handshakeSucceeded:
            return [
                PreflightCheck(.pass, handshake),
                PreflightCheck(
                    .fail, "\(endpoint) did not answer PING within \(timeout)",
                    hint: "a ZeroMQ service that is not a Shoal coordinator endpoint listens there (the events "
                        + "endpoint, perhaps); Shoal answers PING on its worker and client endpoints"),
            ]
        case .timedOut where endpoint.transport == .tcp:
            return [PreflightCheck(
                .fail, "\(endpoint) accepted TCP but no ZeroMQ handshake completed within \(timeout)"
                    + (connection.disconnects > 0 ? " (it closed the connection)" : ""),
                hint: "something other than ZeroMQ listens on that port")]
        case .timedOut:
            return [PreflightCheck(.fail, "no answer from \(endpoint) within \(timeout)",
                                   hint: "is the coordinator running, and is this its endpoint?")]
        }
    }

    private static func versionMismatch(_ endpoint: Endpoint, peer: ClosedRange<UInt8>) -> PreflightCheck {
        let ours = ProtocolVersion.supported
        return PreflightCheck(
            .fail, "protocol version mismatch: \(endpoint) speaks \(peer.lowerBound)…\(peer.upperBound), "
                + "this shoal speaks \(ours.lowerBound)…\(ours.upperBound)",
            hint: "run the same Shoal release on the coordinator, the workers and the clients")
    }

    private static func milliseconds(_ duration: Duration) -> String {
        let ms = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
        return String(format: "%.2f", ms)
    }

    /// Runs a blocking `body` on a new thread and awaits its result.
    static func onThread<Result: Sendable>(_ body: @escaping @Sendable () -> Result) async -> Result {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: body()) }.start()
        }
    }
}
