import Foundation
import ZeroMQ

/// A CURVE key pair or public key on disk, in czmq's certificate format (ZPL, ZeroMQ RFC 4), so that keys work with
/// czmq's tools and any zcert reader:
///
/// ```
/// #   ZeroMQ CURVE **Secret** Certificate (shoal keygen)
/// metadata
///     name = "worker-1"
/// curve
///     public-key = "<40 Z85 characters>"
///     secret-key = "<40 Z85 characters>"
/// ```
///
/// `shoal keygen NAME` writes `NAME.key` (the public certificate, to hand out) and `NAME.key_secret` (both keys,
/// created with mode 0600, to keep). Neither is ever overwritten.
public struct CurveCertificate: Sendable, Equatable {
    public var name: String
    public var publicKey: CurveKey
    /// Present in a secret certificate only.
    public var secretKey: CurveKey?

    public init(name: String, publicKey: CurveKey, secretKey: CurveKey? = nil) {
        self.name = name
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// The file's text.
    public var text: String {
        let kind = secretKey == nil ? "Public" : "**Secret**"
        var lines = [
            "#   ZeroMQ CURVE \(kind) Certificate (shoal keygen)",
            secretKey == nil
                ? "#   Hand this file to the coordinator's allow-list; it holds no secret."
                : "#   Keep this file private (mode 0600); never copy it to another machine's allow-list.",
            "", "metadata", "    name = \"\(name)\"", "curve", "    public-key = \"\(publicKey.z85)\"",
        ]
        if let secretKey { lines.append("    secret-key = \"\(secretKey.z85)\"") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes `NAME.key` and `NAME.key_secret` into `directory` for a new key pair.
    /// - Returns: the two paths (public, secret).
    /// - Throws: `CertificateError` when a file exists already (keys are identities: never replaced silently) or
    ///   cannot be written.
    public static func generate(name: String, directory: String) throws -> (publicPath: String, secretPath: String) {
        guard !name.isEmpty, !name.contains("/"), !name.hasPrefix("."),
              name.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || CharacterSet.decimalDigits.contains($0) || "-_.@".unicodeScalars.contains($0)) })
        else {
            throw CertificateError(path: name, "a key name is letters, digits, '-', '_', '.' and '@', not starting with '.'")
        }
        let pair = try CurveKeyPair.generate()
        let publicPath = (directory as NSString).appendingPathComponent(name + ".key")
        let secretPath = publicPath + "_secret"
        for path in [publicPath, secretPath] where FileManager.default.fileExists(atPath: path) {
            throw CertificateError(path: path, "exists already; a key is an identity, so it is never overwritten (remove it first to replace it)")
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // The secret first, created exclusively with 0600: no window in which it is readable by others.
        try write(CurveCertificate(name: name, publicKey: pair.publicKey, secretKey: pair.secretKey).text, to: secretPath, mode: 0o600)
        try write(CurveCertificate(name: name, publicKey: pair.publicKey).text, to: publicPath, mode: 0o644)
        return (publicPath, secretPath)
    }

    static func write(_ text: String, to path: String, mode: mode_t) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw CertificateError(path: path, String(cString: strerror(errno))) }
        defer { close(descriptor) }
        _ = fchmod(descriptor, mode)  // whatever the umask
        let bytes = Array(text.utf8)
        guard bytes.withUnsafeBytes({ Glibc.write(descriptor, $0.baseAddress, $0.count) }) == bytes.count,
              fsync(descriptor) == 0
        else { throw CertificateError(path: path, String(cString: strerror(errno))) }
    }

    /// Reads a certificate file (public or secret).
    /// - Throws: `CertificateError` naming the file and line at fault.
    public static func read(path: String) throws -> CurveCertificate {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CertificateError(path: path, "cannot be read")
        }
        var section = ""
        var values: [String: (value: String, line: Int)] = [:]
        for (index, raw) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            if !line.hasPrefix(" ") && !line.hasPrefix("\t") {
                section = trimmed
                continue
            }
            guard let equals = trimmed.firstIndex(of: "=") else {
                throw CertificateError(path: path, line: index + 1, "expected name = \"value\"")
            }
            let key = trimmed[..<equals].trimmingCharacters(in: .whitespaces)
            var value = trimmed[trimmed.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            values["\(section).\(key)"] = (value, index + 1)
        }
        func key(_ name: String) throws -> CurveKey? {
            guard let (text, line) = values["curve.\(name)"] else { return nil }
            guard let key = CurveKey(z85: text) else {
                throw CertificateError(path: path, line: line, "\(name) is not 40 Z85 characters")
            }
            return key
        }
        guard let publicKey = try key("public-key") else {
            throw CertificateError(path: path, "no curve public-key (is this a CURVE certificate?)")
        }
        let secretKey = try key("secret-key")
        if secretKey != nil {
            // As ssh does for its keys: a secret every user of the machine can read is no secret. Group-readable
            // stays allowed (a Kubernetes secret volume with fsGroup, `defaultMode: 0440`).
            var info = stat()
            if stat(path, &info) == 0, info.st_mode & 0o007 != 0 {
                throw CertificateError(
                    path: path, "a secret key must not be readable or writable by other users (mode "
                        + String(info.st_mode & 0o777, radix: 8) + "); chmod 600 it")
            }
        }
        if let secretKey, try CurveKeyPair(secretKey: secretKey).publicKey != publicKey {
            throw CertificateError(path: path, line: values["curve.secret-key"]?.line, "the secret key does not belong to the public key")
        }
        let name = values["metadata.name"]?.value ?? ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        return CurveCertificate(name: name, publicKey: publicKey, secretKey: secretKey)
    }
}

/// A key file that cannot be written or read, named with its line when there is one.
public struct CertificateError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var line: Int?
    public var message: String
    public init(path: String, line: Int? = nil, _ message: String) {
        self.path = path
        self.line = line
        self.message = message
    }
    public var description: String { "\(path)\(line.map { ":\($0)" } ?? ""): \(message)" }
}
