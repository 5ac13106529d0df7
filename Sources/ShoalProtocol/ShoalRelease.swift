import ZeroMQ

/// This Shoal build's release.
public enum ShoalRelease {
    public static let version = "0.1.0"

    /// "shoal 0.1.0 (libzmq 4.3.4)": what a peer reports in PONG and `shoal doctor` prints.
    public static var software: String { "shoal \(version) (libzmq \(ZeroMQ.versionString))" }
}
