import Foundation
import ShoalWorker

/// Makes a child process end when the process that started it is gone, however that one ended.
///
/// `shoal up` and the tests start coordinators and workers as children. Their parent stops them on the way out,
/// but a parent killed with SIGKILL, or a test process that crashed, cannot: its children were reparented and ran on,
/// holding ports and CPU. With `SHOAL_EXIT_WITH_PARENT=1` in its environment (which `shoal up` sets for its
/// children, and the test support for every process it starts) a process checks its parent every half second and,
/// once reparented, sends itself SIGTERM — the graceful path: a worker drains, a coordinator stops — then exits
/// outright if that has not ended it within `grace`. Polling `getppid()` rather than `PR_SET_PDEATHSIG`, which fires
/// when the parent *thread* that spawned the child ends, and Foundation spawns from whichever thread asks.
enum ParentWatch {
    static let variable = "SHOAL_EXIT_WITH_PARENT"

    /// Starts the watch when the environment asks for it.
    static func startIfRequested(environment: [String: String] = ProcessInfo.processInfo.environment) {
        guard let value = environment[variable], !value.isEmpty, value != "0" else { return }
        // The parent's PID when the starter gave it (`LocalCluster`): a parent that died before this line ran is
        // caught too. "1" asks to watch whichever parent this process has now.
        let parent = Int32(value).flatMap { $0 > 1 ? $0 : nil } ?? getppid()
        let thread = Thread {
            while getppid() == parent { usleep(500_000) }
            kill(getpid(), SIGTERM)
            usleep(useconds_t(grace * 1_000_000))
            // A worker's commands must not outlive it (`CommandProcessGroups`); nothing else runs them down.
            CommandProcessGroups.killAll()
            _exit(1)
        }
        thread.name = "shoal-parent-watch"
        thread.start()
    }

    /// How long SIGTERM has to end the process before it exits outright.
    static let grace: Double = 15
}
