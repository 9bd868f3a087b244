import Foundation
import KinoService
import Testing
@testable import KinoServer

/// The page and API files are resources; these checks stand in for a linter: every placeholder filled, the
/// pages share one style sheet and one common script, the OpenAPI document carries the service's limits.
@Suite struct ServerAssetsTests {
    var configuration: ServiceConfiguration {
        var c = ServiceConfiguration(catalog: ModelCatalog(models: ["kino-tiny"]))
        c.styles = ["plain", "noir"]
        return c
    }

    @Test func everyPlaceholderIsFilledFromTheConfiguration() throws {
        let assets = try ServerAssets.load(configuration: configuration)
        for text in [assets.studioHTML, assets.studioJS, assets.reviewHTML, assets.reviewJS, assets.commonJS, assets.css, assets.openAPI] {
            #expect(!text.contains("{{"))
        }
        #expect(assets.studioHTML.contains("maxlength=\"\(VideoLimits.maximumPromptLength)\""))
        for size in configuration.sizes { #expect(assets.studioHTML.contains("<option value=\"\(size)\"")) }
        #expect(assets.studioHTML.contains("<option value=\"\(configuration.defaultSize)\" selected>"))
        #expect(assets.openAPI.contains("maxLength: \(VideoLimits.maximumPromptLength)"))
        #expect(assets.openAPI.contains("enum: [\"plain\", \"noir\"]"))
    }

    @Test func theOpenAPIDocumentIsAnOpenAPIMapping() throws {
        let yaml = try ServerAssets.load(configuration: configuration).openAPI
        let topLevel = yaml.split(separator: "\n").filter { !$0.hasPrefix(" ") && !$0.hasPrefix("#") && !$0.isEmpty }
        #expect(topLevel.first?.hasPrefix("openapi: 3.") == true)
        #expect(topLevel.contains("paths:") && topLevel.contains("components:"))
        #expect(!yaml.contains("\t"), "YAML must not indent with tabs")
    }

    @Test func bothPagesShareOneStyleSheetAndOneCommonScript() throws {
        let assets = try ServerAssets.load(configuration: configuration)
        for page in [assets.studioHTML, assets.reviewHTML] {
            #expect(page.contains("<link rel=\"stylesheet\" href=\"/studio/app.css\">"))
            #expect(page.contains("<script src=\"/studio/common.js\" defer></script>"))
            #expect(!page.contains("<style"))
        }
        for script in [assets.studioJS, assets.reviewJS] {
            #expect(!script.contains("function el(") && !script.contains("async function api("), "shared helpers live in common.js")
        }
    }

    @Test func unknownOrUnclosedPlaceholdersAreErrors() {
        #expect(throws: KinoServerError.self) { try ServerAssets.fill("a {{nope}} b", [:], name: "x") }
        #expect(throws: KinoServerError.self) { try ServerAssets.fill("a {{open", ["open": "1"], name: "x") }
        #expect(throws: KinoServerError.self) { try ServerAssets.load(configuration: configuration, from: URL(fileURLWithPath: "/nonexistent")) }
    }
}
