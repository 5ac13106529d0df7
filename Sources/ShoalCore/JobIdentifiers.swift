/// A job's id: assigned by the coordinator's store, increasing, never reused.
public typealias JobID = UInt64

/// A task's id, unique across all jobs of one state directory. An *attempt* is `(TaskID, attempt number)`,
/// the protocol's `TaskRef`.
public typealias TaskID = UInt64

/// A worker's id as it registers (HELLO's `worker_id`): stable for the worker process's life.
public typealias WorkerID = String
