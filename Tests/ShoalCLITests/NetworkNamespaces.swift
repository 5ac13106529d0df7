import Foundation
import ShoalTestSupport

/// Separate hosts on one machine, made by a test and removed after it: a network namespace per host, each with
/// an `eth0` (a veth pair) plugged into a bridge that lives in a namespace of its own, addresses 10.77.0.N/24.
/// Nothing is added to the machine's own network namespace.
///
/// Needs root and iproute2 (`ip netns`); `available` says whether this machine has them.
final class NetworkNamespaces {
    /// iproute2's `ip`, where Debian puts it.
    static let ip: String? = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// Whether namespaces can be made here: root, `ip`, and a namespace that can really be added and removed.
    static let available: Bool = {
        guard geteuid() == 0, ip != nil else { return false }
        let probe = "shoal-probe-\(getpid())"
        guard (try? run(["netns", "add", probe])) != nil else { return false }
        _ = try? run(["netns", "del", probe])
        return true
    }()

    struct Host {
        let namespace: String
        let address: String
        /// The bridge's end of the host's cable: setting it down cuts the host off.
        let cable: String
    }

    let prefix: String
    let bridgeNamespace: String
    private(set) var hosts: [String: Host] = [:]

    /// Makes the bridge and one namespace per name in `hosts`, in order: the first is 10.77.0.1, and so on.
    init(hosts names: [String]) throws {
        prefix = "sh\(getpid() % 100_000)\(String(UInt16.random(in: 0...UInt16.max), radix: 16))"
        bridgeNamespace = prefix + "-br"
        try Self.run(["netns", "add", bridgeNamespace])
        try Self.run(["-n", bridgeNamespace, "link", "add", "br0", "type", "bridge"])
        try Self.run(["-n", bridgeNamespace, "link", "set", "br0", "up"])
        for (index, name) in names.enumerated() {
            let host = Host(namespace: "\(prefix)-\(name)", address: "10.77.0.\(index + 1)", cable: "v\(index + 1)")
            try Self.run(["netns", "add", host.namespace])
            hosts[name] = host
            try Self.run(["-n", bridgeNamespace, "link", "add", host.cable, "type", "veth", "peer", "name", "eth0",
                          "netns", host.namespace])
            try Self.run(["-n", bridgeNamespace, "link", "set", host.cable, "master", "br0", "up"])
            try Self.run(["-n", host.namespace, "addr", "add", host.address + "/24", "dev", "eth0"])
            try Self.run(["-n", host.namespace, "link", "set", "eth0", "up"])
            try Self.run(["-n", host.namespace, "link", "set", "lo", "up"])
        }
    }

    func host(_ name: String) -> Host { hosts[name]! }

    /// Starts `shoal arguments` on host `name` (`ip netns exec`, which execs: the child's PID is shoal's).
    func shoal(on name: String, _ arguments: [String], in directory: TemporaryDirectory, label: String) throws -> ChildProcess {
        try ChildProcess(
            URL(fileURLWithPath: Self.ip!), ["netns", "exec", host(name).namespace, try BuiltProducts.shoal.path] + arguments,
            in: directory, currentDirectory: directory.path, name: label)
    }

    /// Unplugs (`false`) or plugs back (`true`) host `name`'s cable at the bridge.
    func setCable(of name: String, connected: Bool) throws {
        try Self.run(["-n", bridgeNamespace, "link", "set", host(name).cable, connected ? "up" : "down"])
    }

    /// Runs `ip arguments` to completion; throws with its stderr when it fails.
    @discardableResult
    static func run(_ arguments: [String]) throws -> String {
        guard let ip else { throw FixtureError("no iproute2 `ip` on this machine") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ip)
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // `ip` writes a line or two: reading to the end before waiting cannot fill a pipe.
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let problem = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw FixtureError("ip \(arguments.joined(separator: " ")) failed: \(problem)")
        }
        return text
    }

    deinit {
        // Removing a namespace removes its end of each veth pair, and with it the other end.
        for host in hosts.values { _ = try? Self.run(["netns", "del", host.namespace]) }
        _ = try? Self.run(["netns", "del", bridgeNamespace])
    }
}
