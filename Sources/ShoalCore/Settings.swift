/// Everything a coordinator, worker or client process is configured with, in one value.
///
/// Filled in layers, each overriding the one before: these defaults, `cluster/cluster.yaml` (or `--config`),
/// `SHOAL_*` environment variables, then command-line flags (`SettingsLoader`).
public struct Settings: Sendable, Equatable {
    /// The coordinator's ROUTER for workers (docs/protocol.md, section 1).
    public var workerEndpoint = "tcp://127.0.0.1:5570"
    /// The coordinator's ROUTER for clients (`shoal submit`, `status`, …).
    public var clientEndpoint = "tcp://127.0.0.1:5571"
    /// The coordinator's PUB for watchers.
    public var eventsEndpoint = "tcp://127.0.0.1:5572"
    /// Where the coordinator keeps its SQLite database; the same directory after a restart resumes every job.
    public var stateDirectory = ".shoal/state"
    /// Bulk frames (a training step's parameters and gradients) between the coordinator and workers that share
    /// its host go through shared memory (`/dev/shm`) instead of the socket; false: always the socket. Both
    /// sides must allow it; each checks with a probe that it really shares the other's memory.
    public var sharedMemory = true
    /// How often each side must send something (HEARTBEAT when idle).
    public var heartbeatInterval: Duration = .milliseconds(500)
    /// Silence after which a worker (or, seen from a worker, the coordinator) is declared dead.
    public var heartbeatTimeout: Duration = .seconds(5)
    /// Attempts per task before its job fails, unless the job file says otherwise.
    public var maxAttempts = 3
    /// A running attempt whose progress has not moved for this long is killed and retried; unless the job says.
    public var hangTimeout: Duration = .seconds(600)
    /// Speculate a copy of a task running longer than this factor × the median of its job's finished tasks,
    /// once the queue is empty; 0 disables speculation.
    public var speculationFactor = 3.0
    /// Never speculate a task that has run for less than this.
    public var speculationMinimumRuntime: Duration = .seconds(2)
    /// CURVE on the cluster's sockets (docs/security.md).
    public var curve = CurveMode.auto
    /// The keys directory: the coordinator's certificates and the per-role allow-lists (`KeyRing`).
    public var keysDirectory = "cluster/keys"
    /// A worker's or client's own secret certificate; `nil`: `worker.key_secret` / `client.key_secret` in the
    /// keys directory.
    public var identityKey: String?
    /// The coordinator's public certificate, for workers and clients; `nil`: `coordinator.key` in the keys
    /// directory.
    public var coordinatorKey: String?
    /// The coordinator may bind a non-loopback address without CURVE (`--insecure`; never from a file).
    public var insecure = false
    /// The largest message the coordinator accepts (ZMQ_MAXMSGSIZE): libzmq drops a peer announcing a larger
    /// frame before buffering any of it.
    public var maxMessageBytes: Int64 = (1 << 30) + (1 << 20)

    public init() {}
}
