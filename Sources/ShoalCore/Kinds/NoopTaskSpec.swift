/// What one task of a `noop` job does: sleep, then succeed or fail. For benchmarks and tests of the
/// scheduler's retries; a million of these plan in well under a second because all share two encodings.
public struct NoopTaskSpec: JSONTaskSpec, Equatable {
    /// How long the task sleeps before it ends, in milliseconds.
    public var sleepMs: Int
    /// Whether every attempt fails (the job's `fail_shards`).
    public var fail: Bool

    public init(sleepMs: Int, fail: Bool) {
        self.sleepMs = sleepMs
        self.fail = fail
    }

    private enum CodingKeys: String, CodingKey {
        case sleepMs = "sleep_ms"
        case fail
    }
}
