import ArgumentParser
import Foundation
import KinoProvenance
import KinoService

struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a video's C2PA content credentials and read its invisible watermark.",
        discussion: """
            Prints two lines:
              c2pa: trusted|valid|invalid|absent
              watermark: key_id=ID key_name=NAME video_id=ID     (or: watermark: absent)
            trusted: the manifest checks out and its signer chains to this data folder's CA (or an anchor listed in
            <data>/provenance.json); valid: it checks out but the signer is not trusted here; invalid: the file or
            manifest was changed or is malformed (reasons go to standard error). Key and video names are looked up
            in the data folder's database. Exit status 0 when the manifest is valid or trusted and the watermark was
            found, 1 otherwise. See docs/provenance.md.

            Examples:
              kino verify clip.mp4
              kino verify downloaded.mp4 --data /srv/kino
            """)

    @Argument(help: "The MP4 to check.") var file: String
    @OptionGroup var dataOption: DataOption

    func run() async throws {
        let url = URL(fileURLWithPath: file)
        guard FileManager.default.fileExists(atPath: url.path) else { throw ValidationError("no such file: \(file)") }
        let folder = DataFolder(explicit: dataOption.data)
        let anchors = try CertificateAuthority.trustAnchors(dataFolder: folder.url)
        let report = try await runOnThread { try C2PAVerifier.verify(fileAt: url, trustAnchors: anchors) }
        say("c2pa: \(report.state.rawValue)")
        for problem in report.problems { warn("c2pa: \(problem)") }
        if let agent = report.softwareAgent { warn("c2pa: made by \(agent) (\(report.digitalSourceType ?? "no digitalSourceType"))") }
        for ingredient in report.ingredients { warn("c2pa: made from \(ingredient)") }

        // A damaged video stream (e.g. a changed mdat byte) may not decode: that is "absent", not a crash.
        let mark: WatermarkCheck.Serials?
        do {
            mark = try await runOnThread { try WatermarkCheck.detect(url) }
        } catch {
            warn("watermark: cannot read the video frames: \(error)")
            mark = nil
        }
        if let mark {
            let names = try await lookUp(mark, folder: folder)
            say("watermark: key_id=\(names.keyID) key_name=\(names.keyName) video_id=\(names.videoID)")
        } else {
            say("watermark: absent")
        }
        let credentialsOK = report.state == .trusted || report.state == .valid
        if !(credentialsOK && mark != nil) { throw ExitCode(1) }
    }

    /// Names for the serials, from the data folder's database (read only if it already exists).
    private func lookUp(_ mark: WatermarkCheck.Serials, folder: DataFolder) async throws -> (keyID: String, keyName: String, videoID: String) {
        guard mark.keySerial != 0 || mark.videoSerial != 0 else { return ("none", "local", "none") }
        guard FileManager.default.fileExists(atPath: folder.databasePath) else {
            return ("unknown-serial-\(mark.keySerial)", "unknown", "unknown-serial-\(mark.videoSerial)")
        }
        let store = try folder.openStore()
        let key = mark.keySerial == 0 ? nil : try await store.key(serial: Int64(mark.keySerial))
        let video = mark.videoSerial == 0 ? nil : try await store.videoID(serial: Int64(mark.videoSerial))
        return (key?.id ?? (mark.keySerial == 0 ? "none" : "unknown-serial-\(mark.keySerial)"),
                key.map { $0.name.replacingOccurrences(of: " ", with: "_") } ?? "unknown",
                video ?? (mark.videoSerial == 0 ? "none" : "unknown-serial-\(mark.videoSerial)"))
    }
}

func warn(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
