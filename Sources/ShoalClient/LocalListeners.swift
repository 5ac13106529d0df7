#if canImport(Glibc)
import Glibc
#endif

/// The TCP addresses this machine listens on for a port, from /proc/net/tcp and /proc/net/tcp6 (Linux).
///
/// When a connect is refused, this is how `shoal doctor` tells "nothing runs" from "it runs, but on another
/// interface": the classic mistake of a coordinator bound to 127.0.0.1 and workers dialling the host's address.
enum LocalListeners {
    static func addresses(listeningOn port: UInt16) -> [String] {
        var found: [String] = []
        for (path, isV6) in [("/proc/net/tcp", false), ("/proc/net/tcp6", true)] {
            guard let text = readFile(path) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                // sl local_address rem_address st …; st 0A is LISTEN.
                guard fields.count > 3, fields[3] == "0A" else { continue }
                let local = fields[1].split(separator: ":")
                guard local.count == 2, UInt16(local[1], radix: 16) == port else { continue }
                found.append(isV6 ? ipv6(String(local[0])) : ipv4(String(local[0])))
            }
        }
        return found
    }

    /// /proc prints an IPv4 address as 8 hex digits of the in-memory (little-endian on x86/arm) u32.
    private static func ipv4(_ hex: String) -> String {
        guard let value = UInt32(hex, radix: 16) else { return hex }
        let bytes = withUnsafeBytes(of: value) { Array($0) }  // memory order = network order
        return bytes.map(String.init).joined(separator: ".")
    }

    private static func ipv6(_ hex: String) -> String {
        hex == String(repeating: "0", count: 32) ? "::" : (hex == "00000000000000000000000001000000" ? "::1" : hex)
    }

    private static func readFile(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count <= 0 { break }
            bytes.append(contentsOf: buffer[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
