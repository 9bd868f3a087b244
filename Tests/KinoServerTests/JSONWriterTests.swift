import Foundation
import Testing
@testable import KinoServer

@Suite("JSON writer")
struct JSONWriterTests {
    @Test func escapesAndNestsLikeJSONSerializationReadsIt() throws {
        let tricky = "quote \" backslash \\ newline \n tab \t bell \u{07} emoji 🎬 and é"
        var w = JSONWriter()
        w.beginObject()
        w.field("s", tricky)
        w.field("n", Int64(-42))
        w.field("d", 0.4)
        w.field("none", String?.none)
        w.field("yes", true)
        w.key("empty")
        w.nullValue()
        w.beginArray("list")
        for i in 0..<2 {
            w.element()
            w.beginObject()
            w.field("i", Int64(i))
            w.endObject()
        }
        w.endArray()
        w.endObject()
        let parsed = try #require(try JSONSerialization.jsonObject(with: w.data) as? [String: Any])
        #expect(parsed["s"] as? String == tricky)
        #expect(parsed["n"] as? Int == -42 && parsed["d"] as? Double == 0.4 && parsed["yes"] as? Bool == true)
        #expect(parsed["none"] is NSNull && parsed["empty"] is NSNull)
        #expect((parsed["list"] as? [[String: Any]])?.compactMap { $0["i"] as? Int } == [0, 1])
    }
}
