import ArgumentParser
import ShoalProtocol

/// `shoal`: the one command of a Shoal cluster.
struct Shoal: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shoal",
        abstract: "Run data and training jobs on a cluster of Shoal workers over ZeroMQ.",
        discussion: """
            Start with `shoal doctor` to check this machine, and `shoal doctor --coordinator tcp://HOST:PORT` \
            to check the path to a coordinator.
            """,
        version: ShoalRelease.software,
        subcommands: [
            RunCommand.self, UpCommand.self, CoordinatorCommand.self, WorkerCommand.self, SubmitCommand.self,
            StatusCommand.self, JobsCommand.self, WorkersCommand.self, LogsCommand.self, CancelCommand.self,
            DrainCommand.self, WatchCommand.self, DoctorCommand.self, PingCommand.self, DatagenCommand.self,
            PredictCommand.self, KeygenCommand.self, KeysCommand.self,
        ]
    )
}
