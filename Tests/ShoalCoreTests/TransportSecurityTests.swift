import Foundation
import ShoalCore
import ShoalTestSupport
import Testing
import ZeroMQ

/// Which sockets get CURVE, from which keys; the refusal to open a non-loopback endpoint in plaintext.
@Suite struct TransportSecurityTests {
    let directory: TemporaryDirectory
    var keys: String { directory.path("keys") }

    init() throws { directory = try TemporaryDirectory() }

    /// coordinator, w1 (allowed worker), c1 (allowed client), rogue (allowed nowhere).
    func makeKeys() throws {
        for name in ["coordinator", "w1", "c1", "rogue"] { _ = try CurveCertificate.generate(name: name, directory: keys) }
        for (role, name) in [("workers", "w1"), ("clients", "c1")] {
            try FileManager.default.createDirectory(atPath: keys + "/" + role, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: "\(keys)/\(name).key", toPath: "\(keys)/\(role)/\(name).key")
        }
    }

    func settings(_ change: (inout Settings) -> Void = { _ in }) -> Settings {
        var settings = Settings()
        settings.keysDirectory = keys
        change(&settings)
        return settings
    }

    @Test func keyRingReadsTheAllowListsPerRole() throws {
        try makeKeys()
        let ring = try KeyRing.load(directory: keys)
        let w1 = try CurveCertificate.read(path: "\(keys)/w1.key").publicKey
        let c1 = try CurveCertificate.read(path: "\(keys)/c1.key").publicKey
        let rogue = try CurveCertificate.read(path: "\(keys)/rogue.key").publicKey
        #expect(ring.name(of: w1, in: .worker) == "w1")
        #expect(ring.name(of: w1, in: .client) == nil, "a worker key is not a client key")
        #expect(ring.name(of: c1, in: .client) == "c1")
        #expect(ring.name(of: c1, in: .worker) == nil, "a client key is not a worker key")
        #expect(ring.name(of: rogue, in: .worker) == nil && ring.name(of: rogue, in: .client) == nil)
        #expect(ring.coordinator.secretKey != nil)
        #expect(w1.fingerprint.count == 16 && w1.fingerprint != c1.fingerprint)
    }

    @Test func aDamagedAllowListEntryIsNamed() throws {
        try makeKeys()
        try "curve\n    public-key = \"short\"\n".write(toFile: "\(keys)/workers/bad.key", atomically: true, encoding: .utf8)
        #expect { _ = try KeyRing.load(directory: keys) } throws: { "\($0)".contains("workers/bad.key:2") }
    }

    @Test func autoUsesCurveWhenTheCoordinatorKeyExists() throws {
        #expect(try ServerSecurity.resolve(settings()).keys == nil, "no keys: plaintext on loopback")
        try makeKeys()
        #expect(try ServerSecurity.resolve(settings()).keys != nil)
        #expect(try ServerSecurity.resolve(settings { $0.curve = .off }).keys == nil)
    }

    @Test func curveOnWithoutKeysSaysWhichFileIsMissing() throws {
        #expect { _ = try ServerSecurity.resolve(settings { $0.curve = .on }) } throws: {
            "\($0)".contains("coordinator.key_secret") && "\($0)".contains("shoal keygen coordinator")
        }
        #expect { _ = try ClientSecurity.resolve(settings { $0.curve = .on }, role: .worker) } throws: {
            "\($0)".contains("coordinator.key")
        }
    }

    @Test func aNonLoopbackEndpointNeedsCurveOrInsecure() throws {
        let exposed = settings { $0.workerEndpoint = "tcp://0.0.0.0:5570" }
        #expect { _ = try ServerSecurity.resolve(exposed) } throws: {
            "\($0)".contains("refusing to bind tcp://0.0.0.0:5570 without CURVE") && "\($0)".contains("--insecure")
        }
        var insecure = exposed
        insecure.insecure = true
        #expect(try ServerSecurity.resolve(insecure).keys == nil)
        for local in ["tcp://127.0.0.1:0", "tcp://127.0.0.9:5570", "tcp://localhost:1", "tcp://[::1]:2", "ipc:///tmp/x"] {
            #expect(try ServerSecurity.resolve(settings { $0.workerEndpoint = local }).keys == nil, "\(local)")
        }
        try makeKeys()
        #expect(try ServerSecurity.resolve(exposed).keys != nil, "with CURVE any address may be bound")
    }

    @Test func workersAndClientsPresentTheirOwnKey() throws {
        try makeKeys()
        // The default identity is KEYS/worker.key_secret, which these keys do not have.
        #expect { _ = try ClientSecurity.resolve(settings(), role: .worker) } throws: {
            "\($0)".contains("worker.key_secret") && "\($0)".contains("missing")
        }
        let worker = try ClientSecurity.resolve(settings { $0.identityKey = "\(keys)/w1.key_secret" }, role: .worker)
        let curve = try #require(worker.curve)
        #expect(curve.identity.name == "w1")
        #expect(curve.server == (try CurveCertificate.read(path: "\(keys)/coordinator.key")).publicKey)
        #expect(worker.socketOptions.count == 3)
        #expect { _ = try ClientSecurity.resolve(settings { $0.identityKey = "\(keys)/w1.key" }, role: .worker) } throws: {
            "\($0)".contains("holds no secret key")
        }
        #expect(try ClientSecurity.resolve(settings { $0.curve = .off }, role: .client).socketOptions.isEmpty)
    }

    @Test func workersAndClientsWillNotTalkPlaintextToANonLoopbackCoordinator() throws {
        #expect { _ = try ClientSecurity.resolve(settings(), role: .worker, endpoint: "tcp://10.1.2.3:5570") } throws: {
            "\($0)".contains("refusing to connect to tcp://10.1.2.3:5570 without CURVE") && "\($0)".contains("--insecure")
        }
        #expect(try !ClientSecurity.resolve(settings { $0.insecure = true }, role: .client, endpoint: "tcp://10.1.2.3:5571").isCurve)
        #expect(try !ClientSecurity.resolve(settings(), role: .worker, endpoint: "tcp://127.0.0.1:5570").isCurve)
        #expect(try !ClientSecurity.resolve(settings(), role: .client, endpoint: nil).isCurve, "doctor: no rule")
        try makeKeys()
        let curve = try ClientSecurity.resolve(
            settings { $0.identityKey = "\(keys)/w1.key_secret" }, role: .worker, endpoint: "tcp://10.1.2.3:5570")
        #expect(curve.isCurve, "with keys any address is fine")
    }

    @Test func anAllowListThatCannotBeReadIsAnErrorNotAnEmptyList() throws {
        try makeKeys()
        try FileManager.default.removeItem(atPath: "\(keys)/clients")
        // A file where the directory should be: unreadable as a list even for root.
        try "not a directory".write(toFile: "\(keys)/clients", atomically: true, encoding: .utf8)
        #expect { _ = try KeyRing.load(directory: keys) } throws: { "\($0)".contains("clients") && "\($0)".contains("cannot be read") }
    }

    @Test func clusterFileAndEnvironmentSetSecurity() throws {
        var settings = Settings()
        try SettingsLoader.apply(
            yaml: "security:\n  curve: on\n  keys_dir: /etc/shoal/keys\n  key: /etc/shoal/w.key_secret\n  max_message_size: 64MiB\n",
            source: "cluster.yaml", to: &settings)
        #expect(settings.curve == .on && settings.keysDirectory == "/etc/shoal/keys")
        #expect(settings.identityKey == "/etc/shoal/w.key_secret" && settings.maxMessageBytes == 64 << 20)
        #expect { try SettingsLoader.apply(yaml: "security:\n  curve: maybe\n", source: "c.yaml", to: &settings) } throws: {
            "\($0)".contains("c.yaml") && "\($0)".contains("curve") && "\($0)".contains("auto, on or off")
        }
        #expect { try SettingsLoader.apply(yaml: "security:\n  max_message_size: 10\n", source: "c.yaml", to: &settings) } throws: {
            "\($0)".contains("max_message_size")
        }
        #expect { try SettingsLoader.apply(yaml: "security:\n  insecure: true\n", source: "c.yaml", to: &settings) } throws: {
            "\($0)".contains("insecure")
        }
        try SettingsLoader.apply(environment: ["SHOAL_CURVE": "off", "SHOAL_KEYS_DIR": "k"], to: &settings)
        #expect(settings.curve == .off && settings.keysDirectory == "k")
        #expect(SettingsLoader.byteSize("2GiB") == 2 << 30 && SettingsLoader.byteSize("512") == 512)
        #expect(SettingsLoader.byteSize("lots") == nil)
    }
}
