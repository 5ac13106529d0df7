import ArgumentParser
import Foundation
import ShoalCore

/// `shoal keygen NAME`: a new CURVE key pair for a worker or a client, as czmq certificate files.
struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Make a CURVE key pair: NAME.key (public, to hand out) and NAME.key_secret (0600, to keep).",
        discussion: """
            The files are czmq certificates (ZPL text: metadata name, curve public-key and, in the secret file, \
            secret-key, each 40 Z85 characters). A key is an identity: an existing file is never overwritten.
            """)

    @Argument(help: "The key's name (letters, digits, '-', '_', '.', '@'), e.g. worker-1 or alice@laptop.")
    var name: String
    @Option(name: .long, help: "Where to write the files.")
    var dir = "."

    func run() throws {
        let (publicPath, secretPath) = try CurveCertificate.generate(name: name, directory: dir)
        let certificate = try CurveCertificate.read(path: publicPath)
        print("public key \(certificate.publicKey.z85)")
        print("wrote \(publicPath) (public) and \(secretPath) (secret, mode 0600)")
    }
}

/// `shoal keys`: what a running coordinator does with keys.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Manage a running coordinator's keys.",
        subcommands: [KeysReloadCommand.self])
}

/// `shoal keys reload`: the coordinator reads its allow-lists again (the same as SIGHUP).
struct KeysReloadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Make the coordinator read its workers/ and clients/ allow-lists again (the same as SIGHUP).",
        discussion: """
            Keys no longer listed are refused from now on, and a connection they already have is shut down at its \
            next message. Needs a client key; prints what changed.
            """)

    @OptionGroup var address: CoordinatorAddressOptions

    func run() async throws {
        let status = try await withCoordinator(address) { try await $0.reloadKeys(timeout: address.deadline) }
        print(status.coordinator.security?.lastReload ?? "keys reloaded")
    }
}
