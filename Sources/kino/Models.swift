import ArgumentParser
import Foundation
import KinoPipeline
import KinoService

struct Models: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the models Kino can find, or fit a model's preview colours.",
        subcommands: [ListModels.self, FitPreview.self], defaultSubcommand: ListModels.self)
}

struct ListModels: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the models Kino can find, with their native sizes and whether they start from a picture.",
        discussion: "Kino looks in $KINO_MODELS, <data>/models and the checkout's models/ folder (see docs/models.md).")

    @Option(help: "Data folder (default: $KINO_DATA, else ~/.local/share/kino).") var data: String?

    func run() async throws {
        let locator = ModelLocator(dataDirectory: DataFolder(explicit: data).url)
        let models = locator.available()
        if models.isEmpty {
            print("no models found; searched: \(locator.searchPaths.map(\.path).joined(separator: ", "))")
            return
        }
        for m in models {
            let d = m.defaults
            let sizes = d?.nativeSizes?.map { "\($0[0])x\($0[1])" }.joined(separator: ",") ?? "any (multiples of 16)"
            var fields = ["\(m.name)", "native \(sizes)"]
            if let fps = d?.fps { fields.append("\(fps) fps") }
            if let steps = d?.steps { fields.append("\(steps) steps") }
            if TextToVideoPipeline.acceptsConditioning(folder: m.folder) { fields.append("image-to-video, extend") }
            if d?.previewRGB != nil { fields.append("previews") }
            fields.append(m.folder.path)
            print(fields.joined(separator: "\t"))
        }
    }
}

