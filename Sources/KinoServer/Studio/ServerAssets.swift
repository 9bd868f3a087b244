import Foundation
import KinoService

/// The files the server sends as they are written (Sources/KinoServer/Resources): the studio and review pages,
/// their shared script and style, and the OpenAPI document. They are edited and linted as HTML, JS, CSS and YAML;
/// the values they show that the service decides (prompt limit, sizes, seconds, styles) are filled in from the
/// service's configuration when the server starts, so the pages and the document never repeat them.
struct ServerAssets: Sendable {
    let studioHTML: String
    let studioJS: String
    let reviewHTML: String
    let reviewJS: String
    let commonJS: String
    let css: String
    let openAPI: String
    /// `styles/NAME.webp` of the resources: a sample clip's picture for each style preset.
    var styleSamples: [String: [UInt8]] = [:]
    /// The site icon (a film frame), so browsers asking for /favicon.ico get an answer rather than a 404.
    static let favicon = """
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#1f5fd1"/>\
        <path d="M12 9v14l11-7z" fill="#fff"/></svg>
        """

    /// Where the resource files are: `$KINO_RESOURCES`, the `Kino_KinoServer.resources` bundle SwiftPM puts
    /// beside the executable, or this checkout's Sources/KinoServer/Resources. A `kino` binary copied elsewhere
    /// needs the bundle folder copied beside it (docs/serve.md).
    static func folder(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> URL {
        var candidates: [URL] = []
        if let env = environment["KINO_RESOURCES"], !env.isEmpty { candidates.append(URL(fileURLWithPath: env)) }
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath()
        let bundle = executable.deletingLastPathComponent().appendingPathComponent("Kino_KinoServer.resources")
        candidates.append(bundle.appendingPathComponent("Resources"))
        candidates.append(URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Resources"))
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0.appendingPathComponent("openapi.yaml").path) }) else {
            throw KinoServerError(description: "The server's page and API files are missing (looked in \(candidates.map(\.path).joined(separator: ", "))). "
                                  + "Copy the Kino_KinoServer.resources folder from the build folder next to the kino binary, or set KINO_RESOURCES to a folder holding them.")
        }
        return found
    }

    static func load(configuration: ServiceConfiguration, from folder: URL? = nil) throws -> ServerAssets {
        let folder = try folder ?? Self.folder()
        let values = placeholders(configuration)
        func file(_ name: String) throws -> String {
            let url = folder.appendingPathComponent(name)
            guard let text = try? String(contentsOf: url, encoding: .utf8) else {
                throw KinoServerError(description: "Cannot read \(url.path); the server's resource files are incomplete.")
            }
            return try fill(text, values, name: name)
        }
        var assets = ServerAssets(studioHTML: try file("studio.html"), studioJS: try file("studio.js"),
                                  reviewHTML: try file("review.html"), reviewJS: try file("review.js"),
                                  commonJS: try file("common.js"), css: try file("app.css"), openAPI: try file("openapi.yaml"))
        let styles = folder.appendingPathComponent("styles")
        for name in (try? FileManager.default.contentsOfDirectory(atPath: styles.path)) ?? [] where name.hasSuffix(".webp") {
            if let data = FileManager.default.contents(atPath: styles.appendingPathComponent(name).path) {
                assets.styleSamples[String(name.dropLast(5))] = Array(data)
            }
        }
        return assets
    }

    /// The values the files name as `{{name}}`.
    static func placeholders(_ c: ServiceConfiguration) -> [String: String] {
        func option(_ value: String, _ label: String, selected: Bool) -> String {
            "<option value=\"\(value)\"\(selected ? " selected" : "")>\(label)</option>"
        }
        func yamlList(_ items: [String]) -> String { "[" + items.map { "\"\($0)\"" }.joined(separator: ", ") + "]" }
        let sizes = c.sizes.map { size in
            let shape = size.width > size.height ? " (landscape)" : size.width < size.height ? " (portrait)" : ""
            return option(size.description, size.description + shape, selected: size == c.defaultSize)
        }
        let seconds = c.secondsChoices.map { option(String($0), String($0), selected: $0 == c.defaultSeconds) }
        let styles = [option("", "none", selected: true)] + c.styles.map { option($0, $0, selected: false) }
        return [
            "max_prompt_length": String(VideoLimits.maximumPromptLength),
            "size_options": sizes.joined(separator: "\n"),
            "seconds_options": seconds.joined(separator: "\n"),
            "style_options": styles.joined(separator: "\n"),
            "max_steps": String(c.maxSteps),
            "size_enum": yamlList(c.sizes.map(\.description)),
            "default_size": c.defaultSize.description,
            "seconds_enum": yamlList(c.secondsChoices.map(String.init)),
            "default_seconds": String(c.defaultSeconds),
            "style_enum": yamlList(c.styles),
            "recipe_enum": yamlList(c.recipes),
            // "" too: an empty field (a form left blank) means the default model.
            "model_enum": yamlList(c.catalog.models + c.catalog.aliases.keys.sorted() + [""]),
        ]
    }

    /// Replaces every `{{name}}`; a name with no value is an error, so a typo in a page cannot ship.
    static func fill(_ text: String, _ values: [String: String], name: String) throws -> String {
        var out = "", rest = Substring(text)
        while let open = rest.range(of: "{{") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw KinoServerError(description: "\(name): a '{{' is never closed")
            }
            let key = String(rest[open.upperBound..<close.lowerBound])
            guard let value = values[key] else { throw KinoServerError(description: "\(name): unknown placeholder {{\(key)}}") }
            out += value
            rest = rest[close.upperBound...]
        }
        return out + rest
    }
}
