import Foundation
import Testing
@testable import KinoService

@Suite("Feedback on outputs")
struct FeedbackTests {
    @Test func ratingsAndNotesAreStoredPerVideoAndListedForTheOperator() async throws {
        let store = try SQLiteStore(path: temporaryDatabasePath())
        let outputs = try OutputStore(root: FileManager.default.temporaryDirectory.appendingPathComponent("kino-feedback-\(UUID().uuidString)"))
        let service = VideoService(configuration: ServiceConfiguration(catalog: ModelCatalog(models: ["kino-tiny"])), store: store, outputs: outputs)
        let alice = try await service.keys.authenticate(token: try await service.keys.create(name: "alice").token)
        let bob = try await service.keys.authenticate(token: try await service.keys.create(name: "bob").token)
        let job = try await service.create(RequestFields(values: ["prompt": "a red ball"]), principal: alice)
        _ = try await service.setFeedback(job.id, RequestFields(values: ["rating": "down"]), principal: alice, now: 10)
        let noted = try await service.setFeedback(job.id, RequestFields(values: ["note": "too dark"]), principal: alice, now: 20)
        #expect(noted.rating == .down && noted.note == "too dark", "a note keeps the rating")
        await #expect(try await service.video(job.id, principal: alice).feedback?.note == "too dark")
        let cleared = try await service.setFeedback(job.id, RequestFields(values: ["rating": "none"]), principal: alice, now: 30)
        #expect(cleared.rating == nil && cleared.note == "too dark")
        let erased = try await service.setFeedback(job.id, RequestFields(values: ["note": "", "rating": "none"]), principal: alice, now: 31)
        #expect(erased.note == nil, "an empty note clears it")
        await #expect(throws: KinoServiceError.self, "another project's video") {
            _ = try await service.setFeedback(job.id, RequestFields(values: ["rating": "up"]), principal: bob)
        }
        for fields in [["rating": "meh"], [:], ["rating": "up", "stars": "5"], ["rating": ""]] {
            await #expect(throws: KinoServiceError.self, "\(fields)") {
                _ = try await service.setFeedback(job.id, RequestFields(values: fields), principal: alice)
            }
        }
        let listed = try await store.allFeedback(limit: 10)
        #expect(listed.count == 1 && listed[0].prompt == "a red ball" && listed[0].updatedAt == 31 && listed[0].project == alice.project)
    }
}
