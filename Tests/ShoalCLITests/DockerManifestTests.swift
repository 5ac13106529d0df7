import ArgumentParser
import Foundation
import ShoalCore
import ShoalProtocol
import Testing
import Yams

@testable import shoal

/// No Docker engine or Kubernetes cluster runs where the tests run, so these tests keep docker/ honest without
/// one: every YAML file parses; every `shoal` command line in the manifests parses with the CLI's own parser (so
/// the manifests cannot drift from the flags); and ports, key files, the cluster file and the state directory
/// agree with docker/cluster.yaml and with what each container has mounted.
@Suite struct DockerManifestTests {
    @Test func everyYAMLFileParses() throws {
        let manifests = try Manifests.load()
        let paths = Set(manifests.files.map(\.path))
        for expected in ["compose.yaml", "cluster.yaml", "k8s/kustomization.yaml", "k8s/namespace.yaml",
                         "k8s/configmap.yaml", "k8s/secret.yaml", "k8s/coordinator.yaml", "k8s/worker.yaml",
                         "k8s/hpa.yaml"] {
            #expect(paths.contains("docker/" + expected), "docker/\(expected) is missing")
        }
        for file in manifests.files {
            #expect(!file.documents.isEmpty, "\(file.path) holds no YAML document")
        }
        let kustomization = try #require(manifests.files.first { $0.path == "docker/k8s/kustomization.yaml" })
        let resources = kustomization.documents.first?["resources"]?.strings ?? []
        #expect(!resources.isEmpty, "docker/k8s/kustomization.yaml lists no resources")
        for resource in resources {
            #expect(paths.contains("docker/k8s/" + resource), "kustomization.yaml lists \(resource), which is not there")
        }
    }

    @Test func everyShoalCommandLineParsesWithTheCLI() throws {
        let invocations = try Manifests.load().containers.flatMap(\.invocations)
        // At least what the manifests hold today, so that a collector that finds nothing fails here.
        let least: [(Invocation.Kind, Int)] = [
            (.composeCommand, 2), (.composeHealthcheck, 1), (.kubernetesContainer, 2), (.kubernetesProbe, 4),
        ]
        for (kind, count) in least {
            let found = invocations.filter { $0.kind == kind }.count
            #expect(found >= count, "expected at least \(count) command lines of kind \(kind), found \(found)")
        }
        for invocation in invocations {
            do {
                _ = try Shoal.parseAsRoot(invocation.arguments)
            } catch {
                Issue.record("\(invocation) does not parse: \(Shoal.message(for: error))")
            }
        }
        let subcommands = Set(invocations.compactMap(\.arguments.first))
        #expect(subcommands.isSuperset(of: ["coordinator", "worker", "doctor"]), "\(subcommands)")
    }

    @Test func portsAgreeWithTheClusterFile() throws {
        let manifests = try Manifests.load()
        let settings = manifests.settings
        let workers = try port(settings.workerEndpoint)
        let clients = try port(settings.clientEndpoint)
        let events = try port(settings.eventsEndpoint)
        let expected: Set<Int> = [workers, clients, events]
        #expect(expected == [5570, 5571, 5572], "docker/cluster.yaml: the protocol's ports are 5570, 5571, 5572")
        for endpoint in [settings.workerEndpoint, settings.clientEndpoint, settings.eventsEndpoint] {
            #expect(try Endpoint(endpoint).host == "0.0.0.0", "docker/cluster.yaml: \(endpoint) must bind every interface")
        }
        #expect(try Dockerfile.load().exposedPorts == expected, "docker/Dockerfile: EXPOSE")

        let coordinators = manifests.containers.filter { $0.runs("coordinator") }
        #expect(coordinators.count >= 2, "a coordinator in compose.yaml and one in k8s/")
        for container in coordinators {
            let arguments = container.main?.arguments ?? []
            for (flag, port) in [("--worker-endpoint", workers), ("--client-endpoint", clients), ("--events-endpoint", events)] {
                if let value = value(of: flag, in: arguments) {
                    #expect(try self.port(value) == port, "\(container): \(flag) \(value), but docker/cluster.yaml says \(port)")
                }
            }
            #expect(Set(container.containerPorts.values) == expected, "\(container): container ports")
            if container.platform == .compose {
                #expect(Set(container.publishedPorts.map(\.container)) == expected, "\(container): published ports")
                #expect(container.publishedPorts.allSatisfy { $0.host == $0.container }, "\(container): \(container.publishedPorts)")
            }
        }
        #expect(!manifests.kubernetesServices.isEmpty, "k8s/: no Service for the coordinator")
        let namedPorts = coordinators.filter { $0.platform == .kubernetes }.reduce(into: [String: Int]()) {
            $0.merge($1.containerPorts) { first, _ in first }
        }
        for service in manifests.kubernetesServices {
            #expect(Set(service.ports.map(\.port)) == expected, "\(service.place): ports")
            for port in service.ports {
                let target = Int(port.targetPort) ?? namedPorts[port.targetPort]
                #expect(target == port.port, "\(service.place): port \(port.port) goes to \(port.targetPort)")
            }
        }

        // Workers dial the coordinator's worker endpoint by its service name; probes dial the client endpoint.
        let composeCoordinators = Set(coordinators.filter { $0.platform == .compose }.map(\.name))
        let serviceNames = Set(manifests.kubernetesServices.map(\.name))
        for container in manifests.containers where container.runs("worker") {
            let arguments = container.main?.arguments ?? []
            let address = try #require(value(of: "--coordinator", in: arguments), "\(container): a worker needs --coordinator")
            let endpoint = try Endpoint(address)
            #expect(endpoint.port.map(Int.init) == workers, "\(container): --coordinator \(address)")
            let hosts = container.platform == .compose ? composeCoordinators : serviceNames
            #expect(hosts.contains { endpoint.host == $0 || endpoint.host.hasPrefix($0 + ".") },
                    "\(container): --coordinator \(address) names none of \(hosts.sorted())")
        }
        for container in manifests.containers {
            for invocation in container.invocations where invocation.arguments.first == "doctor" {
                guard let address = value(of: "--coordinator", in: invocation.arguments) else { continue }
                #expect(container.runs("coordinator"), "\(invocation): probes a coordinator from another container")
                let endpoint = try Endpoint(address)
                #expect(endpoint.isLoopback && endpoint.port.map(Int.init) == clients, "\(invocation): \(address)")
            }
        }
    }

    @Test func keyFilesAreMountedWhereTheCommandLinesLook() throws {
        let manifests = try Manifests.load()
        let keysDirectory = manifests.settings.keysDirectory
        #expect(keysDirectory.hasPrefix("/"), "docker/cluster.yaml: security.keys_dir is \(keysDirectory)")
        var checked = 0
        for container in manifests.containers {
            for invocation in container.invocations {
                let arguments = invocation.arguments
                func option(_ flag: String) -> String? { value(of: flag, in: arguments) }
                let role: PeerRole?
                switch arguments.first ?? "" {
                case "coordinator": role = nil
                case "worker": role = .worker
                case "doctor" where option("--coordinator") != nil: role = .client
                default: continue
                }
                // Without --keys-dir the cluster file's keys_dir applies; without either, cluster/keys (wrong here).
                guard let directory = option("--keys-dir") ?? (option("--config") != nil ? keysDirectory : nil) else {
                    Issue.record("\(invocation): neither --keys-dir nor --config: the keys would be looked for in cluster/keys")
                    continue
                }
                #expect(directory == keysDirectory, "\(invocation): --keys-dir \(directory), but keys_dir is \(keysDirectory)")
                var needed: [String]
                if let role {
                    needed = [option("--coordinator-key") ?? KeyRing.coordinatorPublicPath(in: directory),
                              option("--key") ?? directory + "/" + role.defaultKeyName]
                    for flag in ["--key", "--coordinator-key"] {
                        guard let path = option(flag) else { continue }
                        #expect(path.hasPrefix(keysDirectory + "/"), "\(invocation): \(flag) \(path) is outside \(keysDirectory)")
                    }
                } else {
                    needed = [KeyRing.coordinatorSecretPath(in: directory)]
                    for allowList in PeerRole.allCases.map(\.allowListDirectory) {
                        let listed = container.secretFiles.keys.contains {
                            $0.hasPrefix("\(directory)/\(allowList)/") && $0.hasSuffix(".key")
                        }
                        #expect(listed, "\(container): nothing in \(directory)/\(allowList)/: no \(allowList.dropLast()) would be let in")
                    }
                }
                for path in needed {
                    #expect(container.secretFiles[path] != nil, "\(invocation) needs \(path), which is not mounted")
                }
                checked += 1
            }
        }
        #expect(checked >= 6, "key checks ran on \(checked) command lines")

        // Each file is mounted under the name it was made with: compose takes cluster/keys/PATH to KEYS/PATH, and
        // Kubernetes puts Secret key NAME at .../NAME.
        for container in manifests.containers {
            for (target, source) in container.secretFiles {
                if container.platform == .compose {
                    #expect(source.hasPrefix("../cluster/keys/"), "\(container): secret \(target) comes from \(source)")
                    #expect(String(source.dropFirst("../cluster/keys/".count)) == String(target.dropFirst(keysDirectory.count + 1)),
                            "\(container): \(source) is mounted as \(target)")
                } else {
                    #expect((target as NSString).lastPathComponent == source, "\(container): Secret key \(source) is mounted as \(target)")
                    #expect(manifests.secretTemplateKeys.contains(source), "\(container): k8s/secret.yaml has no key \(source)")
                }
            }
        }
    }

    @Test func clusterFileAndStateDirectoryAreWhereTheCommandLinesSay() throws {
        let manifests = try Manifests.load()
        let settings = manifests.settings
        #expect(manifests.clusterFileCopies.count >= 1, "k8s/: no ConfigMap carries cluster.yaml")
        for (place, text) in manifests.clusterFileCopies {
            #expect(text == manifests.clusterText, "\(place) differs from docker/cluster.yaml: copy docker/cluster.yaml into it")
        }
        var services = 0
        for container in manifests.containers {
            guard let main = container.main, ["coordinator", "worker"].contains(main.arguments.first ?? "") else { continue }
            services += 1
            let config = try #require(value(of: "--config", in: main.arguments), "\(main): no --config")
            #expect(container.configFiles[config] == "docker/cluster.yaml", "\(main): --config \(config) is \(container.configFiles[config] ?? "not mounted")")
            #expect(container.persistentMounts.contains("/srv/shoal/data"), "\(container): no data volume at /srv/shoal/data")
            if main.arguments.first == "coordinator" {
                let state = value(of: "--state-dir", in: main.arguments) ?? settings.stateDirectory
                #expect(state == settings.stateDirectory, "\(main): --state-dir \(state), but state_dir is \(settings.stateDirectory)")
                #expect(container.persistentMounts.contains { state == $0 || state.hasPrefix($0 + "/") },
                        "\(main): --state-dir \(state) is on no volume: a new container would forget every job")
            }
        }
        #expect(services >= 4, "coordinator and worker in compose.yaml and in k8s/")
    }

    @Test func dockerfileBuildsInStagesAndRunsShoalAsANonRootUser() throws {
        let dockerfile = try Dockerfile.load()
        #expect(dockerfile.arguments(of: "FROM").count >= 2, "a build stage and a runtime stage")
        let user = try #require(dockerfile.arguments(of: "USER").last, "no USER: the container would run as root")
        let uid = String(user.split(separator: ":").first ?? "")
        #expect(uid != "root" && uid != "0", "USER \(user)")
        #expect(Int(uid) != nil, "USER \(user): numeric, so that Kubernetes' runAsNonRoot can check it")
        let entrypoint = try #require(dockerfile.arguments(of: "ENTRYPOINT").last)
        let words = try JSONSerialization.jsonObject(with: Data(entrypoint.utf8)) as? [String]
        #expect(words == ["shoal"], "ENTRYPOINT \(entrypoint)")
        for container in try Manifests.load().containers where container.platform == .kubernetes {
            #expect(container.runAsUser == Int(uid), "\(container): runAsUser \(container.runAsUser.map { "\($0)" } ?? "unset"), the image's USER is \(uid)")
        }
    }

    private func port(_ endpoint: String) throws -> Int {
        let port = try #require(try Endpoint(endpoint).port, "\(endpoint) has no port")
        return Int(port)
    }
}

/// The value of `--flag VALUE` or `--flag=VALUE` in `arguments`.
private func value(of flag: String, in arguments: [String]) -> String? {
    for (index, argument) in arguments.enumerated() {
        if argument == flag, index + 1 < arguments.count { return arguments[index + 1] }
        if argument.hasPrefix(flag + "=") { return String(argument.dropFirst(flag.count + 1)) }
    }
    return nil
}

/// One `shoal` command line in a manifest, without the leading `shoal`.
private struct Invocation: CustomStringConvertible {
    enum Kind: String { case composeCommand, composeHealthcheck, kubernetesContainer, kubernetesProbe }
    var kind: Kind
    /// File and place, e.g. `docker/compose.yaml: services.worker.command`.
    var place: String
    var arguments: [String]

    var description: String { "\(place): shoal \(arguments.joined(separator: " "))" }
}

/// A container as a manifest describes it: what it runs and what it has mounted.
private struct Container: CustomStringConvertible {
    enum Platform { case compose, kubernetes }
    var platform: Platform
    /// The compose service or the Kubernetes container name.
    var name: String
    var place: String
    /// The container's own command line first, then its health checks and probes.
    var invocations: [Invocation] = []
    /// Key files: path in the container → where it comes from (compose: the secret's file; Kubernetes: the Secret key).
    var secretFiles: [String: String] = [:]
    /// Cluster files: path in the container → the file it carries (`docker/cluster.yaml` when it is that).
    var configFiles: [String: String] = [:]
    /// Where volumes that outlive the container are mounted (named volumes, PersistentVolumeClaims).
    var persistentMounts: Set<String> = []
    /// Ports the container listens on, by name (compose: by number).
    var containerPorts: [String: Int] = [:]
    var publishedPorts: [(host: Int, container: Int)] = []
    var runAsUser: Int?

    var main: Invocation? { invocations.first { $0.kind == .composeCommand || $0.kind == .kubernetesContainer } }
    func runs(_ subcommand: String) -> Bool { main?.arguments.first == subcommand }
    var description: String { place }
}

/// A Kubernetes Service's ports.
private struct KubernetesService {
    var name: String
    var place: String
    var ports: [(port: Int, targetPort: String)]
}

/// One YAML file under docker/, parsed.
private struct YAMLFile {
    /// Relative to the repository root, e.g. `docker/k8s/worker.yaml`.
    var path: String
    var documents: [Node]
}

/// Everything under docker/, read and taken apart.
private struct Manifests {
    /// The repository root: this file is Tests/ShoalCLITests/DockerManifestTests.swift.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    var files: [YAMLFile] = []
    var clusterText = ""
    /// docker/cluster.yaml read by Shoal's own loader (unknown keys are errors there too).
    var settings = Settings()
    var containers: [Container] = []
    var kubernetesServices: [KubernetesService] = []
    /// The keys k8s/secret.yaml defines.
    var secretTemplateKeys: Set<String> = []
    /// ConfigMap entries named cluster.yaml: place → text.
    var clusterFileCopies: [String: String] = [:]

    static func load() throws -> Manifests {
        var manifests = Manifests()
        let docker = root.appendingPathComponent("docker")
        let enumerator = try #require(FileManager.default.enumerator(atPath: docker.path), "no docker/ directory")
        let names = (enumerator.allObjects as? [String] ?? []).filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
        for name in names.sorted() {
            let path = "docker/" + name
            let text = try String(contentsOf: docker.appendingPathComponent(name), encoding: .utf8)
            var documents: [Node] = []
            do {
                var sequence = try Yams.compose_all(yaml: text)
                while let document = sequence.next() { documents.append(document) }
                if let error = sequence.error { throw error }
            } catch {
                Issue.record("\(path) is not valid YAML: \(error)")
                throw error
            }
            manifests.files.append(YAMLFile(path: path, documents: documents))
            if path == "docker/cluster.yaml" { manifests.clusterText = text }
        }
        var settings = Settings()
        do {
            try SettingsLoader.apply(yaml: manifests.clusterText, source: "docker/cluster.yaml", to: &settings)
        } catch {
            Issue.record("docker/cluster.yaml: \(error)")
            throw error
        }
        manifests.settings = settings
        for file in manifests.files where file.path == "docker/compose.yaml" {
            manifests.containers += try composeContainers(file)
        }
        let kubernetes = manifests.files.filter { $0.path.hasPrefix("docker/k8s/") }
        for file in kubernetes {
            for document in file.documents {
                let name = document["metadata"]?["name"]?.string ?? "?"
                switch document["kind"]?.string {
                case "Secret":
                    for section in ["data", "stringData"] {
                        manifests.secretTemplateKeys.formUnion(document[section]?.entries.map(\.key) ?? [])
                    }
                case "ConfigMap":
                    for (key, value) in document["data"]?.entries ?? [] where key == "cluster.yaml" {
                        manifests.clusterFileCopies["\(file.path): ConfigMap \(name)"] = value.string ?? ""
                    }
                case "Service":
                    let ports = (document["spec"]?["ports"]?.array() ?? []).map {
                        (port: $0["port"]?.int ?? -1, targetPort: $0["targetPort"]?.string ?? $0["port"]?.string ?? "")
                    }
                    manifests.kubernetesServices.append(
                        KubernetesService(name: name, place: "\(file.path): Service \(name)", ports: ports))
                default:
                    break
                }
            }
        }
        let allDocuments = kubernetes.flatMap(\.documents)
        for file in kubernetes {
            for document in file.documents {
                let found = try kubernetesContainers(
                    document, in: file.path, clusterText: manifests.clusterText, configMaps: allDocuments)
                manifests.containers += found
            }
        }
        return manifests
    }

    /// The services of compose.yaml: `command` (the image's entrypoint is `shoal`), health checks, secrets,
    /// configs, volumes and ports.
    static func composeContainers(_ file: YAMLFile) throws -> [Container] {
        let document = try #require(file.documents.first, "\(file.path) is empty")
        let services = document["services"]?.entries ?? []
        #expect(!services.isEmpty, "\(file.path): no services")
        let secretSources = Dictionary(
            (document["secrets"]?.entries ?? []).map { ($0.key, $0.value["file"]?.string ?? "") }, uniquingKeysWith: { a, _ in a })
        let configSources = Dictionary(
            (document["configs"]?.entries ?? []).map { ($0.key, $0.value["file"]?.string ?? "") }, uniquingKeysWith: { a, _ in a })
        var containers: [Container] = []
        for (name, service) in services {
            let place = "\(file.path): services.\(name)"
            var container = Container(platform: .compose, name: name, place: place)
            if let entrypoint = service["entrypoint"] {
                #expect(entrypoint.strings == ["shoal"], "\(place).entrypoint: the image's entrypoint is shoal")
            }
            if let command = service["command"] {
                let arguments = try #require(command.strings, "\(place).command: write it as a list of strings")
                container.invocations.append(Invocation(kind: .composeCommand, place: place + ".command", arguments: arguments))
            }
            if let test = service["healthcheck"]?["test"] {
                let words = try #require(test.strings, "\(place).healthcheck.test: write it as a list")
                #expect(Array(words.prefix(2)) == ["CMD", "shoal"], "\(place).healthcheck.test: [\"CMD\", \"shoal\", ...]")
                container.invocations.append(Invocation(
                    kind: .composeHealthcheck, place: place + ".healthcheck.test", arguments: Array(words.dropFirst(2))))
            }
            for secret in service["secrets"]?.array() ?? [] {
                let source = secret.string ?? secret["source"]?.string ?? ""
                var target = secret["target"]?.string ?? source
                if !target.hasPrefix("/") { target = "/run/secrets/" + target }
                container.secretFiles[target] = secretSources[source] ?? "undefined secret \(source)"
            }
            for config in service["configs"]?.array() ?? [] {
                let source = config.string ?? config["source"]?.string ?? ""
                let target = config["target"]?.string ?? "/" + source
                let file = configSources[source].map {
                    URL(fileURLWithPath: $0, relativeTo: root.appendingPathComponent("docker", isDirectory: true)).standardizedFileURL.path
                }
                let docker = root.appendingPathComponent("docker/cluster.yaml").standardizedFileURL.path
                container.configFiles[target] = file == docker ? "docker/cluster.yaml" : (file ?? "undefined config \(source)")
            }
            for volume in service["volumes"]?.array() ?? [] {
                // Named volumes only: "NAME:/path[:mode]" or { type: volume, source, target }.
                if let short = volume.string {
                    let parts = short.split(separator: ":").map(String.init)
                    if parts.count >= 2, !parts[0].hasPrefix("/"), !parts[0].hasPrefix(".") { container.persistentMounts.insert(parts[1]) }
                } else if volume["type"]?.string == "volume", let target = volume["target"]?.string {
                    container.persistentMounts.insert(target)
                }
            }
            for port in service["ports"]?.array() ?? [] {
                // "HOST:CONTAINER", "IP:HOST:CONTAINER" (optionally /tcp), or { target, published }.
                let pair: (host: Int, container: Int)?
                if let short = port.string, port.mapping == nil {
                    let parts = short.split(separator: "/").first.map { $0.split(separator: ":").map(String.init) } ?? []
                    let numbers = parts.suffix(2).compactMap { Int($0) }
                    pair = numbers.count == 2 ? (host: numbers[0], container: numbers[1]) : nil
                } else {
                    pair = port["target"]?.int.flatMap { target in port["published"]?.int.map { (host: $0, container: target) } }
                }
                let ports = try #require(pair, "\(place).ports: cannot read \(port)")
                container.publishedPorts.append(ports)
                container.containerPorts["\(ports.container)"] = ports.container
            }
            containers.append(container)
        }
        return containers
    }

    /// The containers of a Kubernetes workload: `command` must be `["shoal"]`, `args` the subcommand's; exec probes.
    static func kubernetesContainers(_ document: Node, in path: String, clusterText: String, configMaps: [Node]) throws -> [Container] {
        let kind = document["kind"]?.string ?? ""
        let name = document["metadata"]?["name"]?.string ?? "?"
        let pod: Node?
        switch kind {
        case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job": pod = document["spec"]?["template"]?["spec"]
        case "CronJob": pod = document["spec"]?["jobTemplate"]?["spec"]?["template"]?["spec"]
        case "Pod": pod = document["spec"]
        default: pod = nil
        }
        guard let pod else { return [] }
        var volumes: [String: Node] = [:]
        for volume in pod["volumes"]?.array() ?? [] { volumes[volume["name"]?.string ?? ""] = volume }
        let claimTemplates = Set((document["spec"]?["volumeClaimTemplates"]?.array() ?? []).compactMap { $0["metadata"]?["name"]?.string })
        var containers: [Container] = []
        for spec in (pod["initContainers"]?.array() ?? []) + (pod["containers"]?.array() ?? []) {
            let containerName = spec["name"]?.string ?? "?"
            let place = "\(path): \(kind) \(name), container \(containerName)"
            var container = Container(platform: .kubernetes, name: containerName, place: place)
            container.runAsUser = spec["securityContext"]?["runAsUser"]?.int ?? pod["securityContext"]?["runAsUser"]?.int
            #expect(spec["command"]?.strings == ["shoal"], "\(place): command must be [\"shoal\"] and args the subcommand's")
            var arguments: [String] = []
            if let args = spec["args"] { arguments = try #require(args.strings, "\(place).args: a list of strings") }
            container.invocations.append(Invocation(kind: .kubernetesContainer, place: place + " args", arguments: arguments))
            for probe in ["startupProbe", "readinessProbe", "livenessProbe"] {
                guard let command = spec[probe]?["exec"]?["command"] else { continue }
                let words = try #require(command.strings, "\(place).\(probe): a list of strings")
                #expect(words.first == "shoal", "\(place).\(probe): runs \(words.first ?? "nothing"), not shoal")
                container.invocations.append(Invocation(
                    kind: .kubernetesProbe, place: "\(place) \(probe)", arguments: Array(words.dropFirst())))
            }
            for port in spec["ports"]?.array() ?? [] {
                guard let number = port["containerPort"]?.int else { continue }
                container.containerPorts[port["name"]?.string ?? "\(number)"] = number
            }
            for mount in spec["volumeMounts"]?.array() ?? [] {
                guard let volumeName = mount["name"]?.string, let mountPath = mount["mountPath"]?.string else { continue }
                if claimTemplates.contains(volumeName) { container.persistentMounts.insert(mountPath); continue }
                guard let volume = volumes[volumeName] else {
                    Issue.record("\(place): mounts \(volumeName), which the pod does not define")
                    continue
                }
                if volume["persistentVolumeClaim"] != nil { container.persistentMounts.insert(mountPath) }
                if let secret = volume["secret"] {
                    for item in secret["items"]?.array() ?? [] {
                        guard let key = item["key"]?.string, let itemPath = item["path"]?.string else { continue }
                        container.secretFiles[mountPath + "/" + itemPath] = key
                    }
                    #expect(secret["items"] != nil, "\(place): volume \(volumeName) should list the key files it mounts")
                }
                if let configMap = volume["configMap"] {
                    let mapName = configMap["name"]?.string ?? ""
                    let data = configMaps.first { $0["kind"]?.string == "ConfigMap" && $0["metadata"]?["name"]?.string == mapName }?["data"]
                    for item in configMap["items"]?.array() ?? [] {
                        guard let key = item["key"]?.string, let itemPath = item["path"]?.string else { continue }
                        let text = data?[key]?.string
                        container.configFiles[mountPath + "/" + itemPath] =
                            text == clusterText ? "docker/cluster.yaml" : "ConfigMap \(mapName) key \(key)"
                    }
                }
            }
            containers.append(container)
        }
        return containers
    }
}

/// docker/Dockerfile's instructions, with continuation lines joined and comments dropped.
private struct Dockerfile {
    var instructions: [(keyword: String, arguments: String)] = []

    static func load() throws -> Dockerfile {
        let text = try String(contentsOf: Manifests.root.appendingPathComponent("docker/Dockerfile"), encoding: .utf8)
        var dockerfile = Dockerfile()
        var pending = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("#") || trimmed.isEmpty { continue }
            if trimmed.hasSuffix("\\") {
                pending += String(trimmed.dropLast()) + " "
                continue
            }
            let instruction = (pending + trimmed).trimmingCharacters(in: .whitespaces)
            pending = ""
            guard !instruction.isEmpty else { continue }
            let keyword = instruction.prefix { !$0.isWhitespace }
            dockerfile.instructions.append((
                keyword: keyword.uppercased(),
                arguments: instruction.dropFirst(keyword.count).trimmingCharacters(in: .whitespaces)))
        }
        return dockerfile
    }

    func arguments(of keyword: String) -> [String] { instructions.filter { $0.keyword == keyword }.map(\.arguments) }

    /// The ports of every EXPOSE (`5570`, `5570/tcp`).
    var exposedPorts: Set<Int> {
        Set(arguments(of: "EXPOSE").flatMap { $0.split(separator: " ") }.compactMap { Int($0.split(separator: "/")[0]) })
    }
}

private extension Node {
    /// A list of scalars as strings; `nil` unless this is a list of scalars.
    var strings: [String]? {
        guard let sequence else { return nil }
        let values = sequence.compactMap { $0.scalar?.string }
        return values.count == sequence.count ? values : nil
    }

    /// A mapping's entries with string keys, in order.
    var entries: [(key: String, value: Node)] {
        mapping?.compactMap { pair in pair.key.string.map { (key: $0, value: pair.value) } } ?? []
    }
}
