// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Shoal",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "shoal", targets: ["shoal"]),
        .library(name: "ZeroMQ", targets: ["ZeroMQ"]),
        .library(name: "ShoalProtocol", targets: ["ShoalProtocol"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // libzmq from the system (Debian: libzmq3-dev). Nothing but the modulemap and a shim header.
        .systemLibrary(
            name: "CZeroMQ",
            pkgConfig: "libzmq",
            providers: [.apt(["libzmq3-dev"])]
        ),
        // zlib from the system (Debian: zlib1g-dev), for gzip-compressed ETL inputs.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // ETL without networking: columnar batches, readers, the expression language, steps, aggregates, writers.
        // (SHA-256 of written files for the manifests from swift-crypto.)
        .target(name: "ShoalETL", dependencies: ["CZlib", .product(name: "Crypto", package: "swift-crypto")]),
        // Training without networking: matrices and kernels, models, losses, optimizers, fixed-point gradient
        // sums, the micro-batch plan, datasets read through ShoalETL's readers.
        .target(name: "ShoalTraining", dependencies: ["ShoalETL", "CShoalKernels"]),
        // The one numeric kernel Swift cannot express: a copy with non-temporal stores (publishing a step's
        // parameters without reading their destination first).
        .target(name: "CShoalKernels"),
        // One SQLite call Swift cannot make (a variadic function); linked through GRDBSQLite.
        .target(name: "CShoalSQLite"),
        // The only Swift module that calls libzmq.
        .target(name: "ZeroMQ", dependencies: ["CZeroMQ"]),
        // Shoal's wire protocol: message types and their encoding over frames; no sockets.
        .target(name: "ShoalProtocol", dependencies: ["ZeroMQ"]),
        // The cluster's logic without I/O shells: settings, job files, planning, the scheduler state machine,
        // and the durable state store (SQLite through GRDB).
        .target(
            name: "ShoalCore",
            dependencies: [
                "ShoalProtocol",
                "ShoalETL",
                "ShoalTraining",
                "ZeroMQ",
                "CShoalSQLite",
                .product(name: "Yams", package: "Yams"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The worker service and the task executors (the `command` kind and the built-in `noop`).
        .target(
            name: "ShoalWorker",
            dependencies: [
                "ShoalCore",
                "ShoalETL",
                "ShoalTraining",
                "ShoalProtocol",
                "ZeroMQ",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Client-side operations: the preflight check behind `shoal doctor`, ping.
        .target(
            name: "ShoalClient",
            dependencies: ["ShoalCore", "ZeroMQ", "ShoalProtocol", .product(name: "Logging", package: "swift-log")]
        ),
        // The coordinator service: endpoints for workers, clients and watchers around the scheduler and store.
        .target(
            name: "ShoalCoordinator",
            dependencies: [
                "ShoalCore",
                "ShoalETL",
                "ZeroMQ",
                "ShoalProtocol",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The CLI: parses flags into settings and runs services.
        .executableTarget(
            name: "shoal",
            dependencies: [
                "ZeroMQ",
                "ShoalProtocol",
                "ShoalClient",
                "ShoalCoordinator",
                "ShoalCore",
                "ShoalETL",
                "ShoalWorker",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Benchmarks run on demand (bench/*.sh, see bench/README.md), never in the test suite.
        .executableTarget(
            name: "shoal-bench",
            dependencies: [
                "ZeroMQ", "ShoalCore", "ShoalProtocol", "ShoalETL", "ShoalTraining", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "bench/Sources/shoal-bench"
        ),
        // Helpers for tests only: child processes, temporary directories, deadlines.
        .target(name: "ShoalTestSupport", dependencies: []),
        .testTarget(name: "ShoalETLTests", dependencies: ["ShoalETL", "ShoalTestSupport"]),
        .testTarget(name: "ShoalTrainingTests", dependencies: ["ShoalTraining", "ShoalETL", "ShoalTestSupport"]),
        .testTarget(name: "ZeroMQTests", dependencies: ["ZeroMQ", "ShoalTestSupport"]),
        .testTarget(
            name: "ShoalCoreTests",
            dependencies: [
                "ShoalCore", "ShoalProtocol", "ZeroMQ", "ShoalTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        .testTarget(name: "ShoalWorkerTests", dependencies: ["ShoalWorker", "ShoalCore", "ShoalProtocol", "ZeroMQ", "ShoalTestSupport"]),
        .testTarget(name: "ShoalProtocolTests", dependencies: ["ShoalProtocol", "ZeroMQ", "ShoalTestSupport"]),
        .testTarget(
            name: "ShoalClientTests",
            dependencies: [
                "ShoalClient", "ShoalCoordinator", "ShoalProtocol", "ZeroMQ", "ShoalTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Runs the real `shoal` executable as child processes; depends on it so `swift test` builds it.
        .testTarget(
            name: "ShoalCLITests",
            dependencies: [
                "shoal", "ShoalClient", "ShoalCoordinator", "ShoalCore", "ShoalProtocol", "ZeroMQ", "ShoalTestSupport",
                "ShoalTraining", "ShoalETL", "ShoalWorker",
                // The docker/ manifests are read with Yams and their command lines parsed with the CLI's own parser.
                .product(name: "Yams", package: "Yams"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
