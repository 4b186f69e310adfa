import Testing

@testable import AdminProtocol

/// Feeds a chunk given as bytes.
private func feed(_ framer: inout LineFramer, _ bytes: [UInt8]) -> LineFramer.Output {
    bytes.withUnsafeBytes { framer.feed($0) }
}

/// Feeds a chunk given as text.
private func feed(_ framer: inout LineFramer, _ text: String) -> LineFramer.Output {
    feed(&framer, Array(text.utf8))
}

private func text(_ lines: [[UInt8]]) -> [String] {
    lines.map { String(decoding: $0, as: UTF8.self) }
}

private func lines(_ output: LineFramer.Output, sourceLocation: SourceLocation = #_sourceLocation) -> [String] {
    guard case .lines(let l) = output else {
        Issue.record("expected lines, got \(output)", sourceLocation: sourceLocation)
        return []
    }
    return text(l)
}

@Suite struct LineFramerTests {
    @Test func completeLinesInOneChunk() {
        var f = LineFramer(lineBytesMax: 100)
        #expect(lines(feed(&f, "a\nbc\ndef\n")) == ["a", "bc", "def"])
        #expect(f.bufferedBytes == 0)
    }

    @Test func lineSplitAcrossChunks() {
        var f = LineFramer(lineBytesMax: 100)
        #expect(lines(feed(&f, "{\"id\":")) == [])
        #expect(f.bufferedBytes == 6)
        #expect(lines(feed(&f, "1,\"op\"")) == [])
        #expect(lines(feed(&f, ":\"x\"}\n{\"id\":2")) == [#"{"id":1,"op":"x"}"#])
        #expect(f.bufferedBytes == 7)
        #expect(lines(feed(&f, "}\n")) == [#"{"id":2}"#])
        #expect(f.bufferedBytes == 0)
    }

    @Test func byteAtATime() {
        var f = LineFramer(lineBytesMax: 100)
        var out: [String] = []
        for b in Array("one\r\ntwo\n\nthree\n".utf8) { out += lines(feed(&f, [b])) }
        #expect(out == ["one", "two", "three"])
        #expect(f.bufferedBytes == 0)
    }

    @Test func crlfIsStripped() {
        var f = LineFramer(lineBytesMax: 100)
        #expect(lines(feed(&f, "a\r\nb\r\n")) == ["a", "b"])
        // CR and LF in different chunks.
        #expect(lines(feed(&f, "c\r")) == [])
        #expect(lines(feed(&f, "\n")) == ["c"])
        // A CR inside a line is kept.
        #expect(lines(feed(&f, "x\ry\n")) == ["x\ry"])
    }

    @Test func blankLinesAreSkipped() {
        var f = LineFramer(lineBytesMax: 100)
        #expect(lines(feed(&f, "\n\n \n\t\n\r\n  \t\r\na\n\nb\n")) == ["a", "b"])
        // Blank lines in the buffered path too.
        #expect(lines(feed(&f, "  ")) == [])
        #expect(lines(feed(&f, "\n\nc\n")) == ["c"])
    }

    @Test func emptyChunk() {
        var f = LineFramer(lineBytesMax: 10)
        #expect(lines(feed(&f, [])) == [])
        #expect(lines(feed(&f, "ab")) == [])
        #expect(lines(feed(&f, [])) == [])
        #expect(lines(feed(&f, "\n")) == ["ab"])
    }

    @Test func lineOfExactlyTheLimitIsAccepted() {
        let limit = 64
        let line = String(repeating: "x", count: limit)
        var f = LineFramer(lineBytesMax: limit)
        #expect(lines(feed(&f, line + "\n")) == [line])
        // Exactly the limit, still arriving: kept, then completed.
        #expect(lines(feed(&f, line)) == [])
        #expect(f.bufferedBytes == limit)
        #expect(lines(feed(&f, "\n")) == [line])
        // Exactly the limit, split in two chunks.
        #expect(lines(feed(&f, String(line.prefix(10)))) == [])
        #expect(lines(feed(&f, String(line.dropFirst(10)) + "\nz\n")) == [line, "z"])
    }

    @Test func lineOverTheLimitIsTooLargeWithTheLinesBefore() {
        let limit = 64
        var f = LineFramer(lineBytesMax: limit)
        let long = String(repeating: "y", count: limit + 1)
        #expect(feed(&f, "first\nsecond\n" + long + "\nafter\n") == .tooLarge(before: [Array("first".utf8), Array("second".utf8)]))
    }

    @Test func lineOverTheLimitInTheBufferedPath() {
        let limit = 64
        var f = LineFramer(lineBytesMax: limit)
        #expect(lines(feed(&f, "ok\n" + String(repeating: "y", count: 40))) == ["ok"])
        #expect(feed(&f, "\nnext\n" + String(repeating: "z", count: limit + 1) + "\n") == .tooLarge(before: [Array(String(repeating: "y", count: 40).utf8), Array("next".utf8)]))
    }

    @Test func overLongPartialLineWithoutNewlineIsTooLarge() {
        let limit = 64
        var f = LineFramer(lineBytesMax: limit)
        #expect(feed(&f, String(repeating: "y", count: limit + 1)) == .tooLarge(before: []))
        // Growing past the limit over several chunks, after a complete line.
        var g = LineFramer(lineBytesMax: limit)
        #expect(lines(feed(&g, "a\n" + String(repeating: "y", count: 30))) == ["a"])
        #expect(lines(feed(&g, String(repeating: "y", count: 30))) == [])
        #expect(g.feed(UnsafeRawBufferPointer(start: nil, count: 0)) == .lines([]))
        #expect(feed(&g, String(repeating: "y", count: 5)) == .tooLarge(before: []))
        // A huge chunk with complete lines first.
        var h = LineFramer(lineBytesMax: limit)
        #expect(feed(&h, "p\nq\n" + String(repeating: "y", count: 10 * limit)) == .tooLarge(before: [[UInt8(ascii: "p")], [UInt8(ascii: "q")]]))
    }
}
