import Testing
@testable import AetherJSON

@Suite struct ValueTests {
    @Test func accessors() {
        let v: JSONValue = ["s": "x", "i": 3, "d": 2.5, "di": 4.0, "b": true, "a": [1], "o": ["k": nil], "n": nil]
        #expect(v["s"]?.stringValue == "x")
        #expect(v["i"]?.intValue == 3)
        #expect(v["i"]?.doubleValue == 3.0)
        #expect(v["d"]?.intValue == nil)
        #expect(v["d"]?.doubleValue == 2.5)
        #expect(v["di"]?.intValue == 4)
        #expect(JSONValue.double(1e300).intValue == nil)
        #expect(JSONValue.double(.nan).intValue == nil)
        #expect(JSONValue.double(-9_223_372_036_854_775_808.0).intValue == .min)
        #expect(JSONValue.double(9_223_372_036_854_775_808.0).intValue == nil)
        #expect(v["b"]?.boolValue == true)
        #expect(v["a"]?.arrayValue == [1])
        #expect(v["a"]?[0] == 1)
        #expect(v["a"]?[1] == nil)
        #expect(v["o"]?.objectValue?["k"] == .null)
        #expect(v["n"]?.isNull == true)
        #expect(v["missing"] == nil)
        #expect(JSONValue.string("x")["k"] == nil)
        #expect(v["s"]?.intValue == nil && v["s"]?.boolValue == nil && v["s"]?.arrayValue == nil)
    }

    @Test(arguments: [
        (JSONValue.null, "null"), (true, "boolean"), (1, "integer"), (1.5, "number"),
        ("s", "string"), ([], "array"), ([:], "object"),
    ] as [(JSONValue, String)])
    func typeNames(_ value: JSONValue, _ name: String) {
        #expect(value.typeName == name)
    }

    @Test func objectMutation() {
        var o: JSONObject = ["a": 1, "b": 2]
        o["c"] = 3
        o["a"] = 10
        #expect(o.keys == ["a", "b", "c"])
        #expect(o["a"] == 10)
        o["b"] = nil
        #expect(o.keys == ["a", "c"])
        #expect(o.count == 2 && !o.isEmpty)
        #expect(o.removeValue(forKey: "zz") == nil)
        #expect(o.removeValue(forKey: "a") == 10)
        #expect(o.contains(key: "c") && !o.contains(key: "a"))
        var pairs: [String] = []
        for (key, value) in o { pairs.append("\(key)=\(value)") }
        #expect(pairs == ["c=3"])
        #expect(JSONObject().isEmpty)
        let duplicated: JSONObject = ["k": 1, "j": 2, "k": 3]
        #expect(duplicated.keys == ["k", "j"] && duplicated["k"] == 3)
    }

    @Test func largeObjectIndexStaysConsistent() {
        var o = JSONObject()
        for i in 0..<50 { o["k\(i)"] = .int(Int64(i)) }
        #expect(o.count == 50)
        for i in stride(from: 0, to: 50, by: 3) { o["k\(i)"] = nil }
        for i in 0..<50 { #expect(o["k\(i)"] == (i % 3 == 0 ? nil : .int(Int64(i)))) }
        o["k1"] = "replaced"
        #expect(o["k1"] == "replaced")
        #expect(o.keys.first == "k1")
        while let key = o.keys.last, o.count > 5 { o[key] = nil }
        #expect(o.count == 5)
        #expect(o.keys == ["k1", "k2", "k4", "k5", "k7"])
        o["new"] = true
        #expect(o["new"] == true && o["k7"] == 7)
    }

    @Test func objectEqualityIgnoresOrderButNotContent() {
        let a: JSONObject = ["x": 1, "y": [2]]
        let b: JSONObject = ["y": [2], "x": 1]
        #expect(a == b)
        #expect(a != ["x": 1, "y": [3]])
        #expect(a != ["x": 1])
        #expect(a != ["x": 1, "z": [2]])
        #expect(JSONValue.object(a) != .array([]))
        #expect(JSONValue.int(1) != .double(1))
    }

    @Test func keysAreComparedByExactBytes() {
        var o = JSONObject()
        o["é"] = 1
        o["e\u{301}"] = 2
        #expect(o.count == 2)
        #expect(o["é"] == 1 && o["e\u{301}"] == 2)
    }

    @Test func errorDescription() {
        let e = JSONError(offset: 3, message: "lone surrogate \\uD800 at offset 3")
        #expect(e.description == e.message && "\(e)" == e.message)
    }
}
