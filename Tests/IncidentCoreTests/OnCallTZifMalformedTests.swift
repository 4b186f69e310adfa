import Testing

@testable import IncidentCore

@Suite("OnCall TZif parsing: versions, and hostile bytes throw instead of trapping")
struct OnCallTZifMalformedTests {
    @Test("every truncation of a real file throws a DomainError naming the zone", arguments: [
        "America/New_York", "Australia/Lord_Howe", "UTC",
    ])
    func truncations(zone id: String) throws {
        let bytes = try OnCallFixtures.tzifBytes(id)
        #expect(throws: Never.self) { try ZoneRules(name: id, tzif: bytes) }
        for n in 0..<bytes.count {
            do {
                _ = try ZoneRules(name: id, tzif: Array(bytes[..<n]))
                Issue.record("\(id) truncated to \(n) of \(bytes.count) bytes was accepted")
            } catch {
                #expect(error.code == "bad_request")
                #expect(error.message.hasPrefix("time zone file '\(id)' is malformed: "), "\(error.message)")
            }
        }
    }

    @Test("random byte flips either parse or throw; parsed zones answer without trapping")
    func flips() throws {
        let original = try OnCallFixtures.tzifBytes("Europe/Berlin")
        var rng = SeededRandom(seed: 2026)
        var rejected = 0
        for _ in 0..<3000 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            do {
                let zone = try ZoneRules(name: "flipped", tzif: bytes)
                for s in [Int64.min / 1000, -3_000_000_000, 0, 1_774_746_000, 4_000_000_000, Int64.max / 1000] {
                    let t = Timestamp(unixSeconds: s)
                    _ = zone.instant(of: zone.localDateTime(at: t))
                }
            } catch {
                rejected += 1
                #expect(error.message.contains("malformed"))
            }
        }
        #expect(rejected > 0)
    }

    @Test("random garbage after a valid header throws", arguments: [0, 1, 2, 3])
    func garbage(seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        for _ in 0..<500 {
            var bytes = Array("TZif2".utf8) + [UInt8](repeating: 0, count: 15)
            for _ in 0..<Int.random(in: 0...200, using: &rng) { bytes.append(UInt8.random(in: 0...255, using: &rng)) }
            _ = try? ZoneRules(name: "garbage", tzif: bytes)
        }
    }

    @Test("precise messages for specific defects")
    func messages() throws {
        func message(_ bytes: [UInt8]) -> String {
            do {
                _ = try ZoneRules(name: "Test/Zone", tzif: bytes)
                return "accepted"
            } catch { return error.message }
        }
        let good = try OnCallFixtures.tzifBytes("America/New_York")
        #expect(message([]).contains("truncated header: need 44 bytes, have 0"))
        #expect(message(Array("TZxf".utf8) + good[4...]).contains("missing 'TZif' magic"))
        var badVersion = good
        badVersion[4] = UInt8(ascii: "9")
        #expect(message(badVersion).contains("unknown version byte 57"))
        var noFooter = good
        noFooter.removeLast()
        #expect(message(noFooter).contains("unterminated footer"))
        let footerStart = try #require(good[..<(good.count - 1)].lastIndex(of: 10))
        let badFooter = Array(good[...footerStart]) + Array("EST5EDT,M3.2.0\n".utf8)
        #expect(message(badFooter).contains("footer: TZ string 'EST5EDT,M3.2.0' is not valid"))
    }

    @Test("a version 1 file (32-bit data, no footer) and a footer-only file are read")
    func versions() throws {
        // v1: two transitions, standard -5 h and daylight -4 h.
        let v1 = Self.tzif(version: 0, times: [1_773_903_600, 1_793_340_000], types: [-18000, -14400], indices: [1, 0])
        let zone = try ZoneRules(name: "v1", tzif: v1)
        #expect(zone.offsetSeconds(at: Timestamp(unixSeconds: 1_773_903_599)) == -18000)
        #expect(zone.offsetSeconds(at: Timestamp(unixSeconds: 1_773_903_600)) == -14400)
        #expect(zone.offsetSeconds(at: Timestamp(unixSeconds: 1_793_340_000)) == -18000)
        #expect(zone.offsetSeconds(at: Timestamp(unixSeconds: 4_000_000_000)) == -18000)  // no footer: last type
        // A "slim" v2 file: no transitions, just the footer.
        let slim = Self.tzif(version: UInt8(ascii: "2"), times: [], types: [-18000], indices: [], footer: "EST5EDT,M3.2.0,M11.1.0")
        let ny = try ZoneRules(name: "slim", tzif: slim)
        #expect(ny.offsetSeconds(at: ts("2026-03-08T06:59:59Z")) == -18000)
        #expect(ny.offsetSeconds(at: ts("2026-03-08T07:00:00Z")) == -14400)
        #expect(ny.instant(of: local("2026-11-01", "01:30")) == ts("2026-11-01T05:30:00Z"))
        #expect(ny.instant(of: local("2026-03-08", "02:30")) == ts("2026-03-08T07:30:00Z"))
    }

    /// A minimal TZif file: v1 block, and for version ≥ 2 a 64-bit block and footer.
    static func tzif(version: UInt8, times: [Int64], types: [Int32], indices: [UInt8], footer: String = "") -> [UInt8] {
        func be<T: FixedWidthInteger>(_ v: T) -> [UInt8] {
            (0..<(T.bitWidth / 8)).reversed().map { UInt8(truncatingIfNeeded: v >> ($0 * 8)) }
        }
        func block(timeSize: Int) -> [UInt8] {
            var out = Array("TZif".utf8) + [version] + [UInt8](repeating: 0, count: 15)
            for count in [0, 0, 0, times.count, types.count, 4] { out += be(UInt32(count)) }
            for t in times { out += timeSize == 4 ? be(Int32(t)) : be(t) }
            out += indices
            for (i, off) in types.enumerated() { out += be(off) + [UInt8(i % 2), 0] }
            out += Array("ABC\0".utf8)
            return out
        }
        var bytes = block(timeSize: 4)
        if version >= UInt8(ascii: "2") { bytes += block(timeSize: 8) + [10] + Array(footer.utf8) + [10] }
        return bytes
    }
}
