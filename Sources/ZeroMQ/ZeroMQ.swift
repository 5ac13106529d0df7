import CZeroMQ

/// Facts about the libzmq this process runs against.
public enum ZeroMQ {
    /// libzmq's version, e.g. (4, 3, 4).
    public static var version: (major: Int, minor: Int, patch: Int) {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return (Int(major), Int(minor), Int(patch))
    }

    /// The version as "4.3.4".
    public static var versionString: String {
        let v = version
        return "\(v.major).\(v.minor).\(v.patch)"
    }

    /// Whether libzmq was built with `capability` ("curve", "ipc", "gssapi", "draft", …).
    public static func has(_ capability: String) -> Bool {
        zmq_has(capability) != 0
    }
}

extension String {
    /// Text from a C buffer libzmq filled, up to its first NUL.
    init(nulTerminated buffer: [CChar]) {
        self.init(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
