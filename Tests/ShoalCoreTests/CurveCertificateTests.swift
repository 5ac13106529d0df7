import Foundation
import ShoalCore
import ShoalTestSupport
import Testing
import ZeroMQ

/// `shoal keygen`'s files: czmq certificates, the secret one private, never overwritten, read back exactly.
@Suite struct CurveCertificateTests {
    let directory: TemporaryDirectory
    init() throws { directory = try TemporaryDirectory() }

    @Test func generatedFilesReadBackAsAMatchingPair() throws {
        let (publicPath, secretPath) = try CurveCertificate.generate(name: "worker-1", directory: directory.path("keys"))
        #expect(publicPath == directory.path("keys/worker-1.key") && secretPath == publicPath + "_secret")
        let secret = try CurveCertificate.read(path: secretPath)
        let published = try CurveCertificate.read(path: publicPath)
        #expect(secret.name == "worker-1" && published.name == "worker-1")
        #expect(published.secretKey == nil, "the public file holds no secret")
        #expect(secret.publicKey == published.publicKey)
        #expect(try CurveKeyPair(secretKey: try #require(secret.secretKey)).publicKey == published.publicKey)
        let mode = try FileManager.default.attributesOfItem(atPath: secretPath)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try String(contentsOfFile: publicPath, encoding: .utf8).contains("public-key = \"\(published.publicKey.z85)\""))
    }

    @Test func aSecretKeyOtherUsersCanReadIsRefused() throws {
        let (publicPath, secretPath) = try CurveCertificate.generate(name: "w", directory: directory.path)
        chmod(secretPath, 0o644)
        #expect {
            _ = try CurveCertificate.read(path: secretPath)
        } throws: { "\($0)".contains("w.key_secret") && "\($0)".contains("mode 644") && "\($0)".contains("chmod 600") }
        // Group-readable (a Kubernetes secret volume with fsGroup) is allowed, and a public key may be read by all.
        chmod(secretPath, 0o440)
        #expect(try CurveCertificate.read(path: secretPath).secretKey != nil)
        chmod(publicPath, 0o644)
        #expect(try CurveCertificate.read(path: publicPath).secretKey == nil)
    }

    @Test func anExistingKeyIsNeverOverwritten() throws {
        let (publicPath, secretPath) = try CurveCertificate.generate(name: "w", directory: directory.path)
        let before = try String(contentsOfFile: secretPath, encoding: .utf8)
        #expect {
            _ = try CurveCertificate.generate(name: "w", directory: directory.path)
        } throws: { "\($0)".contains("w.key") && "\($0)".contains("never overwritten") }
        #expect(try String(contentsOfFile: secretPath, encoding: .utf8) == before)
        #expect(FileManager.default.fileExists(atPath: publicPath))
        #expect(throws: CertificateError.self) { _ = try CurveCertificate.generate(name: "../escape", directory: directory.path) }
    }

    @Test func damagedFilesAreNamedWithTheirLine() throws {
        let pair = try CurveKeyPair.generate()
        let other = try CurveKeyPair.generate()
        let path = directory.path("bad.key_secret")
        try "curve\n    public-key = \"\(pair.publicKey.z85)\"\n    secret-key = \"\(other.secretKey.z85)\"\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o600)
        #expect { _ = try CurveCertificate.read(path: path) } throws: {
            "\($0)".hasSuffix("bad.key_secret:3: the secret key does not belong to the public key")
        }
        try "curve\n    public-key = \"not a key\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect { _ = try CurveCertificate.read(path: path) } throws: { "\($0)".contains("bad.key_secret:2: public-key is not 40 Z85") }
        try "metadata\n    name = \"x\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect { _ = try CurveCertificate.read(path: path) } throws: { "\($0)".contains("no curve public-key") }
    }
}
