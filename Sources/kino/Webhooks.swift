import ArgumentParser
import Foundation
import KinoService
import Logging

struct Webhooks: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, list and delete a project's webhook endpoints, and read their delivery log.",
        discussion: """
            The same endpoints as the API's /v1/webhook_endpoints (the OpenAI SDK's client.webhooks).
            Examples:
              kino webhooks create --project team --name ci --url https://example.com/hooks --events video.completed,video.failed
              kino webhooks list --project team
              kino webhooks deliveries --project team                 every event sent or waiting, newest first
              kino webhooks rotate whep_0a1b2c3d4e5f6a7b8c9d0e1f --project team --keep-old
              kino webhooks delete whep_0a1b2c3d4e5f6a7b8c9d0e1f --project team
            Events: video.completed, video.failed, video.cancelled. Deliveries are signed the Standard Webhooks way; verify
            them with the SDK's client.webhooks.unwrap(body, headers, secret=...). See docs/serve.md, "Webhooks".
            """,
        subcommands: [WebhooksCreate.self, WebhooksList.self, WebhooksDelete.self, WebhooksRotate.self, WebhooksDeliveries.self]
    )
}

/// The data folder and project every `kino webhooks` command works on, as a service the commands call like the API does.
struct WebhookTarget: ParsableArguments {
    @OptionGroup var dataOption: DataOption
    @Option(help: "The project (a key's project; `kino keys list` shows it).") var project: String

    func open(allowPrivate: Bool = false) throws -> (VideoService, Principal) {
        let folder = DataFolder(explicit: dataOption.data)
        var configuration = ServiceConfiguration(catalog: ModelCatalog(models: ["kino-tiny"]))
        configuration.webhooks.allowPrivate = allowPrivate
        configuration.webhooks.privateFlag = "`kino webhooks create --allow-private` (and `kino serve --allow-private-webhooks` to deliver)"
        var quiet = Logger(label: "kino.webhooks")
        quiet.logLevel = .error
        let service = VideoService(configuration: configuration, store: try folder.openStore(), outputs: try OutputStore(root: folder.videosFolder),
                                   logger: quiet)
        return (service, Principal(keyID: nil, keyName: "kino webhooks", keySerial: 0, project: project, scopes: [.generate, .read]))
    }
}

struct WebhooksCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Add an endpoint; its signing secret is the last line printed.")

    @OptionGroup var target: WebhookTarget
    @Option(help: "A name for the endpoint.") var name: String
    @Option(help: "The https:// URL that receives deliveries.") var url: String
    @Option(help: "Comma-separated events: video.completed, video.failed, video.cancelled.") var events = "video.completed,video.failed"
    @Flag(help: "Allow plain http:// and private addresses (the server must then run with --allow-private-webhooks).") var allowPrivate = false

    func run() async throws {
        let (service, principal) = try target.open(allowPrivate: allowPrivate)
        let endpoint = try await service.createWebhookEndpoint(
            RequestFields(values: ["name": name, "url": url, "event_types": events]), principal: principal)
        print("Created webhook endpoint \(endpoint.id) (\(endpoint.name)) for \(endpoint.eventTypes.map(\.rawValue).joined(separator: ",")) -> \(endpoint.url).")
        print("Signing secret (store it now; it cannot be shown again):")
        print(endpoint.secret)
    }
}

struct WebhooksList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "One endpoint per line, tab-separated: id, name, url, events, created.")

    @OptionGroup var target: WebhookTarget

    func run() async throws {
        let (service, principal) = try target.open()
        let formatter = ISO8601DateFormatter()
        var after: String?
        repeat {
            let page = try await service.webhookEndpoints(principal: principal, after: after, limit: 100)
            for e in page.endpoints {
                let created = formatter.string(from: Date(timeIntervalSince1970: Double(e.createdAt) / 1000))
                print([e.id, e.name, e.url, e.eventTypes.map(\.rawValue).joined(separator: ","), created].joined(separator: "\t"))
            }
            after = page.hasMore ? page.endpoints.last?.id : nil
        } while after != nil
    }
}

struct WebhooksDelete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete an endpoint; its undelivered events are dropped.")

    @OptionGroup var target: WebhookTarget
    @Argument(help: "The endpoint id (first column of `kino webhooks list`).") var id: String

    func run() async throws {
        let (service, principal) = try target.open()
        try await service.deleteWebhookEndpoint(id, principal: principal)
        print("Deleted webhook endpoint \(id).")
    }
}

struct WebhooksRotate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rotate", abstract: "Give an endpoint a new signing secret (printed last).")

    @OptionGroup var target: WebhookTarget
    @Argument(help: "The endpoint id.") var id: String
    @Flag(help: "Keep signing with the old secret too for 24 hours, while receivers switch.") var keepOld = false

    func run() async throws {
        let (service, principal) = try target.open()
        let endpoint = try await service.rotateWebhookSecret(
            id, RequestFields(values: ["keep_old_secret_active_for_24_hours": keepOld ? "true" : "false"]), principal: principal)
        print("New signing secret for \(endpoint.id)\(keepOld ? " (the old one also signs for 24 hours)" : ""):")
        print(endpoint.secret)
    }
}

struct WebhooksDeliveries: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deliveries",
        abstract: "The delivery log, newest first, tab-separated: created, event id, endpoint, type, video, state, attempts, last status, last error.")

    @OptionGroup var target: WebhookTarget
    @Option(help: "Only this endpoint's deliveries.") var endpoint: String?
    @Option(help: "How many lines.") var limit = 50

    func run() async throws {
        let (service, principal) = try target.open()
        let formatter = ISO8601DateFormatter()
        for d in try await service.webhookDeliveries(principal: principal, endpointID: endpoint, limit: limit) {
            let created = formatter.string(from: Date(timeIntervalSince1970: Double(d.createdAt) / 1000))
            print([created, d.eventID, d.endpointID, d.type.rawValue, d.videoID ?? "-", d.state.rawValue, String(d.attempts),
                   d.lastStatusCode.map(String.init) ?? "-", d.lastError ?? "-"].joined(separator: "\t"))
        }
    }
}
