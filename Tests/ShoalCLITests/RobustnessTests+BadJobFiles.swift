import Foundation
import ShoalClient
import ShoalCore
import ShoalTestSupport
import Testing

/// A bad job file through the real `shoal submit` against a running coordinator (issue 3, "Bad input"): refused at
/// submit time with FILE:LINE:COLUMN, the key and what was expected; exit status 1; nothing queued. The unknown-key
/// case is `ClusterTests.aBadJobFileIsRefusedAtSubmitWithItsLineAndNothingIsQueued`.
extension RobustnessTests {
    struct BadJobFile: Sendable, CustomTestStringConvertible {
        let name: String
        let yaml: String
        /// What stderr must say after the file's path: `LINE:COLUMN: KEY: ` and a fragment of the message.
        let line: Int
        let column: Int
        let key: String
        let saying: String

        var testDescription: String { name }
    }

    static let badJobFiles: [BadJobFile] = [
        BadJobFile(name: "YAML syntax error", yaml: "kind: noop\nname: [a, b\ntasks: 1\n", line: 3, column: 6, key: "",
                   saying: "invalid YAML: did not find expected ',' or ']'"),
        BadJobFile(name: "wrong type", yaml: "kind: noop\nname: x\nmax_attempts: '3'\ntasks: 1\n", line: 3, column: 15,
                   key: "max_attempts", saying: "expected a whole number, got a string"),
        BadJobFile(name: "missing required field", yaml: "kind: noop\nname: x\nsleep_ms: 5\n", line: 1, column: 1,
                   key: "tasks", saying: "missing required key"),
        BadJobFile(name: "zero tasks", yaml: "kind: noop\nname: x\ntasks: 0\n", line: 3, column: 8, key: "tasks",
                   saying: "must be between 1 and 10000000, got 0"),
        BadJobFile(name: "zero attempts", yaml: "kind: noop\nname: x\nmax_attempts: 0\ntasks: 1\n", line: 3, column: 15,
                   key: "max_attempts", saying: "must be between 1 and 1000, got 0"),
        BadJobFile(name: "unknown kind", yaml: "kind: nop\nname: x\ntasks: 1\n", line: 1, column: 7, key: "kind",
                   saying: "unknown kind 'nop'; did you mean 'noop'?"),
        // Resolved against the submitter's directory, which the coordinator only knows from SUBMIT.
        BadJobFile(name: "inputs that match nothing",
                   yaml: "kind: command\nname: x\ncommand: [\"wc\", \"-l\"]\ninputs: [\"logs/*.log\"]\n",
                   line: 4, column: 10, key: "inputs[0]", saying: "'logs/*.log' matches no regular file in "),
    ]

    @Test(arguments: badJobFiles)
    func aBadJobFileIsRefusedAtSubmitAndNothingIsQueued(_ bad: BadJobFile) async throws {
        let cluster = try ClusterFixture()
        try await cluster.startCoordinator()
        let path = cluster.directory.path("bad.yaml")
        try bad.yaml.write(toFile: path, atomically: true, encoding: .utf8)
        let submit = try await Self.runShoal(["submit", path, "--coordinator", cluster.clientEndpoint],
                                             in: cluster.directory)
        #expect(submit.status == 1, "\(submit.stdout)\(submit.stderr)")
        let location = "\(path):\(bad.line):\(bad.column): " + (bad.key.isEmpty ? "" : "\(bad.key): ")
        #expect(submit.stderr.contains(location + bad.saying), "expected '\(location)\(bad.saying)…' in: \(submit.stderr)")
        #expect(!submit.stdout.contains("job "), "no job id printed: \(submit.stdout)")

        let jobs = try await Self.runShoal(["jobs", "--json", "--coordinator", cluster.clientEndpoint],
                                           in: cluster.directory)
        #expect(jobs.status == 0, "\(jobs.stderr)")
        let listed = try JSONDecoder().decode([JobStatus].self, from: Data(jobs.stdout.utf8))
        #expect(listed.isEmpty, "nothing is queued: \(jobs.stdout)")
    }
}
