import ShoalProtocol
import Testing

/// Endpoint parsing: what users type on the command line and in cluster.yaml.
@Suite struct EndpointTests {
    @Test(arguments: [
        ("tcp://127.0.0.1:5571", Endpoint.Transport.tcp, "127.0.0.1", UInt16?.some(5571)),
        ("tcp://*:0", .tcp, "*", 0),
        ("tcp://*:*", .tcp, "*", nil),
        ("tcp://[::1]:5570", .tcp, "::1", 5570),
        ("tcp://coordinator.example:5572", .tcp, "coordinator.example", 5572),
        ("ipc:///tmp/shoal.sock", .ipc, "/tmp/shoal.sock", nil),
        ("inproc://workers", .inproc, "workers", nil),
    ])
    func parses(text: String, transport: Endpoint.Transport, host: String, port: UInt16?) throws {
        let endpoint = try Endpoint(text)
        #expect(endpoint.transport == transport)
        #expect(endpoint.host == host)
        #expect(endpoint.port == port)
        #expect(endpoint.description == text)
    }

    @Test(arguments: [
        ("127.0.0.1:5571", "expected tcp://HOST:PORT"),
        ("udp://127.0.0.1:5571", "unknown transport 'udp'"),
        ("tcp://127.0.0.1", "missing ':PORT'"),
        ("tcp://:5571", "the host is empty"),
        ("tcp://127.0.0.1:99999", "not a port number"),
        ("tcp://127.0.0.1:http", "not a port number"),
        ("ipc://", "name is empty"),
    ])
    func rejectsWithAReason(text: String, reason: String) {
        #expect {
            _ = try Endpoint(text)
        } throws: { error in
            let message = "\(error)"
            return message.contains(text) && message.contains(reason)
        }
    }

    @Test func loopbackIsRecognised() throws {
        #expect(try Endpoint("tcp://127.0.0.1:1").isLoopback)
        #expect(try Endpoint("tcp://127.8.9.10:1").isLoopback)
        #expect(try Endpoint("tcp://localhost:1").isLoopback)
        #expect(try Endpoint("tcp://[::1]:1").isLoopback)
        #expect(try Endpoint("ipc:///tmp/x").isLoopback)
        #expect(try !Endpoint("tcp://10.0.0.5:1").isLoopback)
        #expect(try !Endpoint("tcp://*:1").isLoopback)
        #expect(try !Endpoint("tcp://0.0.0.0:1").isLoopback)
    }
}
