import Foundation
import ShoalETL
import ShoalProtocol
import ZeroMQ

/// Whether the cluster's sockets use CURVE (docs/security.md).
public enum CurveMode: String, Sendable, CaseIterable {
    /// CURVE when the keys directory holds the coordinator's key (for the coordinator, its secret certificate;
    /// for workers and clients, its public one); plaintext otherwise.
    case auto
    /// CURVE, or refuse to start naming the key that is missing.
    case on
    /// Plaintext. The coordinator still refuses to bind a non-loopback address without `--insecure`.
    case off
}

/// The two roles a key can be allowed in, each served on its own endpoint (its ZAP domain).
public enum PeerRole: String, Sendable, CaseIterable {
    /// May register on the worker endpoint and run tasks.
    case worker
    /// May submit, watch, cancel and drain on the client endpoint and subscribe to events.
    case client

    /// The ZAP domain of the endpoints this role connects to.
    public var zapDomain: String { "shoal-\(rawValue)s" }
    /// The keys directory's sub-directory listing the public keys allowed in this role.
    public var allowListDirectory: String { rawValue + "s" }
    /// The certificate a process of this role presents unless told otherwise (`--key`), in the keys directory.
    public var defaultKeyName: String { rawValue + ".key_secret" }

    public init?(zapDomain: String) {
        guard let role = PeerRole.allCases.first(where: { $0.zapDomain == zapDomain }) else { return nil }
        self = role
    }
}

/// A keys directory (docs/security.md): the coordinator's certificate and the allow-list of each role.
///
/// ```
/// KEYS/coordinator.key          the coordinator's public certificate: every worker and client needs it
/// KEYS/coordinator.key_secret   the coordinator's secret certificate: on the coordinator's host only
/// KEYS/workers/*.key            public certificates of the keys allowed to be workers
/// KEYS/clients/*.key            public certificates of the keys allowed to be clients
/// ```
public struct KeyRing: Sendable, Equatable {
    public var directory: String
    /// The coordinator's certificate, with its secret key.
    public var coordinator: CurveCertificate
    /// Per role, each allowed public key and the name its certificate gives.
    public var allowed: [PeerRole: [CurveKey: String]]

    public static func coordinatorPublicPath(in directory: String) -> String { directory + "/coordinator.key" }
    public static func coordinatorSecretPath(in directory: String) -> String { directory + "/coordinator.key_secret" }

    /// Reads the coordinator's secret certificate and both allow-lists.
    /// - Throws: `CertificateError` naming the file (and line) at fault; a missing allow-list directory is an
    ///   empty list, not an error.
    public static func load(directory: String) throws -> KeyRing {
        let secretPath = coordinatorSecretPath(in: directory)
        guard FileManager.default.fileExists(atPath: secretPath) else {
            throw CertificateError(
                path: secretPath, "missing: make the coordinator's keys with `shoal keygen coordinator --dir \(directory)`")
        }
        let coordinator = try CurveCertificate.read(path: secretPath)
        guard coordinator.secretKey != nil else {
            throw CertificateError(path: secretPath, "holds no secret key (is it the public .key file renamed?)")
        }
        var allowed: [PeerRole: [CurveKey: String]] = [:]
        for role in PeerRole.allCases {
            let listDirectory = directory + "/" + role.allowListDirectory
            // A missing list is an empty one; an unreadable one is an error (a reload must not revoke everyone
            // because of a permission mistake).
            var isDirectory: ObjCBool = false
            let names: [String]
            if FileManager.default.fileExists(atPath: listDirectory, isDirectory: &isDirectory) {
                do {
                    names = try FileManager.default.contentsOfDirectory(atPath: listDirectory)
                } catch {
                    throw CertificateError(path: listDirectory, "cannot be read: \(error.localizedDescription)")
                }
            } else {
                names = []
            }
            var keys: [CurveKey: String] = [:]
            for name in names.sorted() where name.hasSuffix(".key") {
                let certificate = try CurveCertificate.read(path: listDirectory + "/" + name)
                keys[certificate.publicKey] = certificate.name
            }
            allowed[role] = keys
        }
        return KeyRing(directory: directory, coordinator: coordinator, allowed: allowed)
    }

    /// The name of `key` in `role`'s allow-list, or `nil` when it is not allowed there.
    public func name(of key: CurveKey, in role: PeerRole) -> String? { allowed[role]?[key] }
}

extension CurveKey {
    /// A short, stable name for logs: the first 16 hex digits of the key's SHA-256 (as `ssh-keygen -l` does
    /// for SSH keys, shortened).
    public var fingerprint: String {
        String(ETLFinalizer.sha256(bytes).prefix(16))
    }
}

/// How the coordinator's endpoints are secured, resolved from the settings before anything binds.
public struct ServerSecurity: Sendable {
    /// The keys, or `nil` for plaintext.
    public var keys: KeyRing?

    /// Resolves `settings.curve` for the coordinator and applies the rule that keeps a cluster from being
    /// opened to a network by accident: a non-loopback endpoint without CURVE needs `settings.insecure`.
    /// - Throws: `SecurityError` saying what is missing or refused, and how to fix it.
    public static func resolve(_ settings: Settings) throws -> ServerSecurity {
        let secretPath = KeyRing.coordinatorSecretPath(in: settings.keysDirectory)
        let useCurve: Bool
        switch settings.curve {
        case .on: useCurve = true
        case .off: useCurve = false
        case .auto: useCurve = FileManager.default.fileExists(atPath: secretPath)
        }
        if useCurve {
            do {
                return ServerSecurity(keys: try KeyRing.load(directory: settings.keysDirectory))
            } catch {
                throw SecurityError("CURVE is \(settings.curve == .on ? "on" : "auto, and the keys are incomplete"): \(error)")
            }
        }
        let exposed = [settings.workerEndpoint, settings.clientEndpoint, settings.eventsEndpoint].filter {
            !((try? Endpoint($0))?.isLoopback ?? false)
        }
        if !exposed.isEmpty && !settings.insecure {
            throw SecurityError(
                "refusing to bind \(exposed.joined(separator: ", ")) without CURVE: anyone who reaches that address "
                    + "could run code on the workers and read the data. Make keys "
                    + "(`shoal keygen coordinator --dir \(settings.keysDirectory)`, docs/security.md), bind "
                    + "127.0.0.1, or pass --insecure on a network you trust")
        }
        return ServerSecurity(keys: nil)
    }
}

/// How a worker or client connects: the socket options for CURVE, or none for plaintext.
public struct ClientSecurity: Sendable {
    /// The coordinator's public key, this process's key pair; `nil` for plaintext.
    public var curve: (server: CurveKey, identity: CurveCertificate)?

    public var isCurve: Bool { curve != nil }

    public init(curve: (server: CurveKey, identity: CurveCertificate)?) { self.curve = curve }

    /// Plaintext.
    public static let plaintext = ClientSecurity(curve: nil)

    /// The options that make a DEALER/SUB a CURVE client of the coordinator; empty for plaintext.
    public var socketOptions: [SocketOption] {
        guard let (server, identity) = curve, let secret = identity.secretKey else { return [] }
        return [.curveServerKey(server), .curvePublicKey(identity.publicKey), .curveSecretKey(secret)]
    }

    /// Resolves `settings.curve` for a process in `role`: the coordinator's public certificate from the keys
    /// directory (or `settings.coordinatorKey`), and this process's own secret certificate (`settings.identityKey`,
    /// else `KEYS/worker.key_secret` or `KEYS/client.key_secret`).
    /// - Parameter endpoint: where the process connects. Plaintext to a non-loopback address needs
    ///   `settings.insecure`, as binding one does: a worker runs what it is sent, and a job file can hold secrets.
    ///   `nil` skips the rule (`shoal doctor`, which only pings).
    /// - Throws: `SecurityError` naming the file that is missing or wrong, or refusing plaintext.
    public static func resolve(_ settings: Settings, role: PeerRole, endpoint: String? = nil) throws -> ClientSecurity {
        let serverPath = settings.coordinatorKey ?? KeyRing.coordinatorPublicPath(in: settings.keysDirectory)
        let useCurve: Bool
        switch settings.curve {
        case .on: useCurve = true
        case .off: useCurve = false
        case .auto: useCurve = settings.coordinatorKey != nil || FileManager.default.fileExists(atPath: serverPath)
        }
        guard useCurve else {
            if let endpoint, let parsed = try? Endpoint(endpoint), !parsed.isLoopback, !settings.insecure {
                let risk = role == .worker ? "and have this worker run what it likes" : "and read the job files"
                throw SecurityError(
                    "refusing to connect to \(endpoint) without CURVE: on that network anyone could pose as the "
                        + "coordinator \(risk). Give the keys (--keys-dir with the coordinator's coordinator.key, and --key with this "
                        + "\(role.rawValue)'s own), or pass --insecure on a network you trust")
            }
            return ClientSecurity(curve: nil)
        }
        let identityPath = settings.identityKey ?? settings.keysDirectory + "/" + role.defaultKeyName
        do {
            let server = try CurveCertificate.read(path: serverPath)
            guard FileManager.default.fileExists(atPath: identityPath) else {
                throw CertificateError(
                    path: identityPath,
                    "missing: this \(role.rawValue) needs a key of its own (`shoal keygen NAME`, then --key NAME.key_secret; "
                        + "the coordinator must list NAME.key in its \(role.allowListDirectory)/ directory)")
            }
            let identity = try CurveCertificate.read(path: identityPath)
            guard identity.secretKey != nil else {
                throw CertificateError(path: identityPath, "holds no secret key: pass the .key_secret file, not the public .key")
            }
            return ClientSecurity(curve: (server.publicKey, identity))
        } catch {
            throw SecurityError("CURVE is \(settings.curve == .on ? "on" : "on because \(serverPath) exists"): \(error)")
        }
    }
}

extension ClientSecurity {
    /// What a failed handshake with the coordinator most likely means, for a process in `role`.
    public func explain(_ event: SocketEvent, role: PeerRole) -> String {
        switch event {
        case .handshakeFailedAuth(let endpoint, let status):
            let key = curve.map { "\($0.identity.name) (\($0.identity.publicKey.fingerprint))" } ?? "this key"
            return "the coordinator at \(endpoint) refused \(key) as a \(role.rawValue) (ZAP \(status)): "
                + "its public .key file must be in the coordinator's \(role.allowListDirectory)/ directory"
        case .handshakeFailedProtocol(let endpoint, _), .handshakeFailedNoDetail(let endpoint, _):
            return isCurve
                ? "the CURVE handshake with \(endpoint) failed (\(event)): the coordinator runs without CURVE, or "
                    + "the coordinator key this \(role.rawValue) trusts is not that coordinator's"
                : "the handshake with \(endpoint) failed (\(event)): the coordinator requires CURVE; give this "
                    + "\(role.rawValue) the keys directory (--keys-dir, with coordinator.key) and its own key (--key)"
        default:
            return "\(event)"
        }
    }
}

/// A security setting that cannot be honoured; the message says what to do.
public struct SecurityError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
