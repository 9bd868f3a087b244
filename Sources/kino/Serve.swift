import ArgumentParser
import Foundation
import KinoRender
import KinoServer
import KinoService
import KinoTensor

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the web studio and the /v1/videos API on one port, with in-process workers.",
        discussion: """
            Examples:
              kino serve                                  http://127.0.0.1:8080, data in ~/.local/share/kino
              kino serve --host 0.0.0.0 --port 9000 --data /srv/kino --workers 2
              kino serve --model /models/Wan2.1-T2V-1.3B-Diffusers --precision bf16 --lora /loras/style.safetensors:0.8
              kino serve --insecure-no-auth               no keys needed (loopback addresses only)
            On first start with no keys it prints an admin key once. Behind a TLS reverse proxy, see docs/serve.md.
            """
    )

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 8080
    @OptionGroup var dataOption: DataOption
    @OptionGroup var engine: EngineOptions
    @Option(help: "In-process workers (0: only queue; run `kino worker` elsewhere).") var workers = 1
    @Option(name: .customLong("model-alias"), help: "Accepted aliases, e.g. sora-2=kino-tiny,sora-2-pro=wan2.1-t2v-1.3b (default: both to the served model).")
    var modelAlias: String?
    @Option(help: "Hours finished videos stay downloadable before their files are deleted.") var retentionHours: Double = 24
    @Flag(help: "Allow requests without an API key. Refused unless --host is a loopback address.") var insecureNoAuth = false
    @Flag(help: "Mark the studio session cookie Secure (set this behind an HTTPS reverse proxy).") var secureCookies = false
    @Option(help: "Seconds a connection may send nothing (or only part of a request) before it is closed.")
    var idleTimeout = Double(ServerLimits.idleTimeout.components.seconds)
    @Option(help: "Open connections served at once; more get 503 and are closed.") var maxConnections = ServerLimits.maxConnections
    @Option(help: .hidden) var leaseSeconds: Double = 30
    @Flag(help: "Let webhook endpoints use plain http:// and private or loopback addresses (closed networks, tests).")
    var allowPrivateWebhooks = false
    @Option(help: "Waits between webhook retries, e.g. 5s,5m,30m,2h (default: 5s,5m,30m,2h,5h,10h,10h).") var webhookRetries: String?
    @Flag(help: "Fetch input_reference image URLs (https, public addresses, 20 MiB, 15 s; see docs/serve.md).")
    var allowRemoteReferences = false
    @Flag(help: "With --allow-remote-references: also fetch from private and loopback addresses (closed networks, tests).")
    var allowPrivateReferences = false

    func run() async throws {
        var settings = ServeSettings(data: DataFolder(explicit: dataOption.data))
        settings.host = host
        settings.port = port
        settings.workers = workers
        settings.modelAliases = modelAlias
        settings.retentionHours = retentionHours
        settings.leaseSeconds = leaseSeconds
        settings.insecureNoAuth = insecureNoAuth
        settings.secureCookies = secureCookies
        settings.idleTimeoutSeconds = idleTimeout
        settings.maxConnections = maxConnections
        settings.allowPrivateWebhooks = allowPrivateWebhooks
        settings.webhookRetries = webhookRetries
        settings.allowRemoteReferences = allowRemoteReferences
        settings.allowPrivateReferences = allowPrivateReferences
        try await ServerLauncher.run(settings) { folder in
            try EngineRenderer(model: try engine.selection(data: folder.url), signing: try ClipProvenance.identity(dataFolder: folder.url))
        }
    }
}
