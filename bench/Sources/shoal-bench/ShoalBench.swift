import ArgumentParser

/// `shoal-bench`: Shoal's ZeroMQ module measured against raw libzmq, one probe per subcommand.
///
/// Each probe mirrors a C probe in `../shared/bench/peers/` call for call and process for process, so the two
/// can run interleaved in one session (`bench/foundation.sh`) and be compared as ratios.
@main
struct ShoalBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shoal-bench",
        abstract: "Benchmarks of Shoal's ZeroMQ module, mirroring the raw-libzmq probes in ../shared/bench/peers.",
        discussion: """
            shoal-bench rt --api message --peers 2 --window 100 --per 100000   # like: zmq_rt 2 100 100000
            shoal-bench thr --endpoint tcp://127.0.0.1:47322 --mib 16 --count 40      # like: zmq_thr EP 16 40
            --api frames uses Sendable [Frame] messages; --api loop goes through SocketLoop (the thread bridge) instead.
            """,
        subcommands: [
            ETLShardsCommand.self,
            RoundTripCommand.self, RoundTripPeerCommand.self, ThroughputCommand.self, ThroughputSenderCommand.self,
            CSVReadCommand.self, KernelsCommand.self, StoreCommand.self, SchedulerCommand.self,
        ]
    )
}
