import Foundation
import ShoalTestSupport
import Testing
import ZeroMQ

/// The real `shoal` executable, run as child processes the way users run it.
@Suite struct ShoalCLITests {
    /// Runs `shoal arguments` to completion (at most `timeout`) and returns its status and output.
    private func run(_ arguments: [String], in directory: TemporaryDirectory, timeout: Duration = .seconds(30))
        async throws -> (status: Int32, stdout: String, stderr: String)
    {
        let child = try ChildProcess(try BuiltProducts.shoal, arguments, in: directory, name: "shoal")
        let status = try #require(await child.waitForExit(timeout: timeout), "shoal \(arguments) did not finish")
        return (status, child.stdout, child.stderr)
    }

    /// Starts `shoal ping --listen` and waits for it to write its endpoint.
    private func startPingServer(in directory: TemporaryDirectory, at address: String = "tcp://127.0.0.1:0")
        async throws -> (ChildProcess, String)
    {
        let endpointFile = directory.path("endpoint")
        let server = try ChildProcess(
            try BuiltProducts.shoal, ["ping", "--listen", address, "--endpoint-file", endpointFile],
            in: directory, name: "ping-server")
        let endpoint = try #require(
            await waitForLine(inFile: endpointFile, timeout: .seconds(20)),
            "the ping server wrote no endpoint; stderr: \(server.stderr)")
        return (server, endpoint)
    }

    @Test func versionAndHelp() async throws {
        let directory = try TemporaryDirectory()
        let version = try await run(["--version"], in: directory)
        #expect(version.status == 0)
        #expect(version.stdout.contains("0.1.0"))
        let help = try await run(["--help"], in: directory)
        #expect(help.status == 0)
        for command in ["doctor", "ping"] { #expect(help.stdout.contains(command), "help lists \(command)") }
    }

    @Test func doctorChecksThisMachine() async throws {
        let directory = try TemporaryDirectory()
        let result = try await run(["doctor"], in: directory)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("[ok  ] libzmq \(ZeroMQ.versionString)"))
        #expect(!result.stdout.contains("FAIL"))
    }

    @Test func pingServerAnswersPingAndDoctorThenStopsOnSIGTERM() async throws {
        let directory = try TemporaryDirectory()
        let (server, endpoint) = try await startPingServer(in: directory)
        #expect(endpoint.hasPrefix("tcp://127.0.0.1:"))

        let ping = try await run(["ping", endpoint, "--count", "3"], in: directory)
        #expect(ping.status == 0, "\(ping.stderr)")
        #expect(ping.stdout.components(separatedBy: "PONG from ping-server").count - 1 == 3, "\(ping.stdout)")
        #expect(ping.stdout.contains("3 PONG, round trip min/median/max"))

        let doctor = try await run(["doctor", "--coordinator", endpoint, "--json"], in: directory)
        #expect(doctor.status == 0, "\(doctor.stdout)")
        let rows = try JSONSerialization.jsonObject(with: Data(doctor.stdout.utf8)) as? [[String: String]]
        let checks = try #require(rows, "doctor --json printed no JSON array: \(doctor.stdout)")
        #expect(checks.allSatisfy { $0["status"] == "pass" }, "\(checks)")
        #expect(checks.contains { $0["summary"]?.contains("is a Shoal ping-server") == true })

        server.signal(SIGTERM)
        let status = await server.waitForExit(timeout: .seconds(60))
        #expect(status == 0, "the ping server did not stop cleanly on SIGTERM: \(server.stderr)")
        #expect(!server.wasSignalled)
    }

    @Test func doctorFailsWithItsReasonAndExitStatusOne() async throws {
        let directory = try TemporaryDirectory()
        let (server, endpoint) = try await startPingServer(in: directory)
        let port = try #require(endpoint.split(separator: ":").last)
        let wrongInterface = try await run(["doctor", "--coordinator", "tcp://127.0.0.2:\(port)"], in: directory)
        #expect(wrongInterface.status == 1)
        #expect(wrongInterface.stdout.contains("[FAIL] wrong interface"), "\(wrongInterface.stdout)")

        server.signal(SIGTERM)
        #expect(await server.waitForExit(timeout: .seconds(60)) == 0)
        // Not the stopped server's port: a test running meanwhile may have been given it.
        let closed = try RefusingTCPPort()
        let refused = try await run(["doctor", "--coordinator", closed.endpoint], in: directory)
        #expect(refused.status == 1)
        #expect(refused.stdout.contains("[FAIL] connection refused"), "\(refused.stdout)")
        withExtendedLifetime(closed) {}  // bound until doctor has run
    }

    @Test func pingToNothingFailsWithAHint() async throws {
        let directory = try TemporaryDirectory()
        // A port nothing listens on, and that no test running meanwhile can be given.
        let nothing = try RefusingTCPPort()
        let endpoint = nothing.endpoint
        let result = try await run(["ping", endpoint, "--count", "1", "--timeout", "0.5"], in: directory)
        #expect(result.status == 1)
        #expect(result.stderr.contains("no answer within 0.5 s"), "\(result.stderr)")
        #expect(result.stderr.contains("shoal doctor --coordinator \(endpoint)"))
        withExtendedLifetime(nothing) {}  // bound until ping has run
    }

    @Test func listeningOnAPortInUseNamesTheEndpoint() async throws {
        let directory = try TemporaryDirectory()
        let (server, endpoint) = try await startPingServer(in: directory)
        let second = try await run(["ping", "--listen", endpoint], in: directory)
        #expect(second.status != 0)
        #expect(second.stderr.contains(endpoint), "\(second.stderr)")
        #expect(second.stderr.contains("Address already in use"), "\(second.stderr)")
        server.signal(SIGTERM)
        #expect(await server.waitForExit(timeout: .seconds(60)) == 0)
    }

    @Test(arguments: [
        (["ping"], "give an endpoint to ping"),
        (["ping", "tcp://127.0.0.1:1", "--listen", "tcp://127.0.0.1:0"], "not both"),
        (["ping", "127.0.0.1:5571"], "is not a valid endpoint"),
        (["ping", "tcp://127.0.0.1:1", "--count", "0"], "--count"),
        (["doctor", "--timeout", "-1"], "--timeout"),
        (["no-such-command"], "Unexpected argument"),
    ])
    func badArgumentsAreUsageErrors(arguments: [String], message: String) async throws {
        let directory = try TemporaryDirectory()
        let result = try await run(arguments, in: directory)
        #expect(result.status == 64, "usage errors exit with EX_USAGE")
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }
}
