import Testing

@testable import IncidentCore

@Suite("OnCall zone rules: offsets and local time from real TZif files")
struct OnCallZoneRulesTests {
    // MARK: - Offsets

    @Test(
        "2090 transitions come from the footer rule (checked against Python's zoneinfo)",
        arguments: [
            ("America/New_York", "2090-03-12T07:00:00Z", -18000, -14400),
            ("America/New_York", "2090-11-05T06:00:00Z", -14400, -18000),
            ("Europe/Berlin", "2090-03-26T01:00:00Z", 3600, 7200),
            ("Europe/Berlin", "2090-10-29T01:00:00Z", 7200, 3600),
            ("Australia/Lord_Howe", "2090-04-01T15:00:00Z", 39600, 37800),
            ("Australia/Lord_Howe", "2090-09-30T15:30:00Z", 37800, 39600),
            ("Asia/Jerusalem", "2090-03-24T00:00:00Z", 7200, 10800),  // M3.4.4/26: hours over 24
            ("Asia/Jerusalem", "2090-10-28T23:00:00Z", 10800, 7200),
            ("America/Nuuk", "2090-03-26T01:00:00Z", -7200, -3600),  // M3.5.0/-1: negative time
            ("America/Nuuk", "2090-10-29T01:00:00Z", -3600, -7200),
            ("Europe/Dublin", "2090-03-26T01:00:00Z", 0, 3600),  // negative DST: GMT is the "daylight" part
            ("Europe/Dublin", "2090-10-29T01:00:00Z", 3600, 0),
            ("America/Santiago", "2090-04-02T03:00:00Z", -10800, -14400),  // southern, /24
            ("America/Santiago", "2090-09-03T04:00:00Z", -14400, -10800),
        ] as [(String, String, Int, Int)])
    func footerTransitions(zone id: String, at text: String, before: Int, after: Int) throws {
        let zone = try OnCallFixtures.zone(id)
        let t = ts(text)
        #expect(zone.offsetSeconds(at: t - .seconds(1)) == before)
        #expect(zone.offsetSeconds(at: t - .milliseconds(1)) == before)
        #expect(zone.offsetSeconds(at: t) == after)
    }

    @Test(
        "random instants 1850–2150 match Python's zoneinfo (LMT, history, footer)",
        arguments: [
            ("America/New_York", -1_040_508_387, -18000), ("America/New_York", 4_910_529_361, -14400),
            ("America/New_York", -2_605_583_657, -18000), ("America/New_York", -2_828_142_754, -17762),
            ("America/New_York", -623_705_815, -18000), ("America/New_York", 5_176_508_418, -18000),
            ("Europe/Berlin", -1_974_685_159, 3600), ("Europe/Berlin", -3_658_847_506, 3208),
            ("Europe/Berlin", -2_847_782_645, 3208), ("Europe/Berlin", 4_917_080_115, 7200),
            ("Europe/Berlin", 5_657_110_185, 7200), ("Europe/Berlin", 2_848_647_542, 7200),
            ("Australia/Lord_Howe", 1_454_926_944, 39600), ("Australia/Lord_Howe", 3_039_018_540, 37800),
            ("Australia/Lord_Howe", -325_858_243, 36000), ("Australia/Lord_Howe", 3_506_627_578, 39600),
            ("Australia/Lord_Howe", 1_969_506_550, 37800), ("Australia/Lord_Howe", -3_119_046_224, 38180),
            ("Asia/Jerusalem", -2_341_163_015, 8440), ("Asia/Jerusalem", 906_482_065, 7200),
            ("Asia/Jerusalem", 923_535_383, 10800), ("Asia/Jerusalem", 4_148_102_291, 10800),
            ("Asia/Jerusalem", 3_101_125_251, 10800), ("Asia/Jerusalem", -320_236_033, 7200),
            ("America/Nuuk", 3_642_315_856, -3600), ("America/Nuuk", -1_483_743_483, -10800),
            ("America/Nuuk", -2_161_032_813, -12416), ("America/Nuuk", 2_879_138_161, -3600),
            ("America/Nuuk", 4_209_144_641, -3600), ("America/Nuuk", -1_307_116_993, -10800),
            ("Europe/Dublin", -760_712_592, 3600), ("Europe/Dublin", 4_999_923_225, 3600),
            ("Europe/Dublin", 941_939_536, 0), ("Europe/Dublin", 1_702_029_241, 0),
            ("Europe/Dublin", -2_219_883_327, -1521), ("Europe/Dublin", 2_098_056_840, 3600),
            ("America/Santiago", -1_003_534_805, -14400), ("America/Santiago", 5_538_143_873, -14400),
            ("America/Santiago", -655_249_836, -14400), ("America/Santiago", 1_209_950_063, -14400),
            ("America/Santiago", 2_137_890_423, -10800), ("America/Santiago", -1_394_744_647, -16965),
            ("Asia/Tehran", 3_448_537_519, 12600), ("Asia/Tehran", -453_931_335, 12600),
            ("Asia/Tehran", 1_863_002_236, 12600), ("Asia/Tehran", -2_636_887_266, 12344),
            ("Pacific/Apia", -1_816_071_895, -41400), ("Pacific/Apia", -2_649_173_922, 45184),
            ("Pacific/Apia", 3_018_919_417, 46800), ("Pacific/Apia", 497_565_808, -39600),
            ("Asia/Kolkata", -3_315_886_155, 21200), ("Asia/Kolkata", -1_091_965_372, 19800),
            ("Asia/Kolkata", 4_786_450_457, 19800),
        ] as [(String, Int64, Int)])
    func knownOffsets(zone id: String, unixSeconds: Int64, offset: Int) throws {
        let zone = try OnCallFixtures.zone(id)
        #expect(zone.offsetSeconds(at: Timestamp(unixSeconds: unixSeconds)) == offset)
    }

    @Test("UTC, from the built-in value and from the UTC zone file")
    func utc() throws {
        let file = try OnCallFixtures.zone("UTC")
        for t in [Timestamp.epoch, ts("2026-03-08T07:30:00Z"), ts("2090-07-01T00:00:00Z"), ts("1800-01-01T00:00:00Z")] {
            #expect(ZoneRules.utc.offsetSeconds(at: t) == 0)
            #expect(file.offsetSeconds(at: t) == 0)
            #expect(ZoneRules.utc.instant(of: ZoneRules.utc.localDateTime(at: t)) == t)
        }
        #expect(ZoneRules.utc.localDateTime(at: ts("2026-03-08T07:30:59.999Z")) == LocalDateTime(
            date: day("2026-03-08"), time: LocalTime(hour: 7, minute: 30, second: 59)))
        #expect(try OnCallFixtures.zone("Etc/GMT+5").offsetSeconds(at: ts("2090-01-01T00:00:00Z")) == -18000)
    }

    @Test("extreme instants neither trap nor overflow")
    func extremes() throws {
        let zone = try OnCallFixtures.zone("America/New_York")
        for ms in [Int64.min, Int64.min + 1, -1, 0, Int64.max - 1, Int64.max] {
            let t = Timestamp(unixMillis: ms)
            _ = zone.offsetSeconds(at: t)
            let l = zone.localDateTime(at: t)
            _ = zone.instant(of: l)
        }
    }

    // MARK: - Wall clock → instant (RFC 5545)

    @Test(
        "gaps read with the offset before; repeated times mean the first occurrence",
        arguments: [
            // New York 2026-03-08 02:00→03:00, 2026-11-01 02:00→01:00
            ("America/New_York", "2026-03-08", "02:30", "2026-03-08T07:30:00Z"),
            ("America/New_York", "2026-03-08", "02:00", "2026-03-08T07:00:00Z"),
            ("America/New_York", "2026-03-08", "01:59", "2026-03-08T06:59:00Z"),
            ("America/New_York", "2026-03-08", "03:00", "2026-03-08T07:00:00Z"),
            ("America/New_York", "2026-11-01", "01:30", "2026-11-01T05:30:00Z"),
            ("America/New_York", "2026-11-01", "00:59", "2026-11-01T04:59:00Z"),
            ("America/New_York", "2026-11-01", "02:00", "2026-11-01T07:00:00Z"),
            // Berlin 2026-03-29 02:00→03:00, 2026-10-25 03:00→02:00
            ("Europe/Berlin", "2026-03-29", "02:30", "2026-03-29T01:30:00Z"),
            ("Europe/Berlin", "2026-10-25", "02:30", "2026-10-25T00:30:00Z"),
            ("Europe/Berlin", "2026-10-25", "03:00", "2026-10-25T02:00:00Z"),
            // Lord Howe: 30-minute shifts, +10:30 / +11
            ("Australia/Lord_Howe", "2026-10-04", "02:15", "2026-10-03T15:45:00Z"),
            ("Australia/Lord_Howe", "2026-10-04", "02:30", "2026-10-03T15:30:00Z"),
            ("Australia/Lord_Howe", "2026-04-05", "01:45", "2026-04-04T14:45:00Z"),
            ("Australia/Lord_Howe", "2026-04-05", "01:29", "2026-04-04T14:29:00Z"),
            ("Australia/Lord_Howe", "2026-04-05", "02:00", "2026-04-04T15:30:00Z"),
            // Far future, from the footer
            ("America/New_York", "2090-03-12", "02:30", "2090-03-12T07:30:00Z"),
            ("America/New_York", "2090-11-05", "01:30", "2090-11-05T05:30:00Z"),
        ] as [(String, String, String, String)])
    func instantOfLocal(zone id: String, date: String, time: String, expected: String) throws {
        let zone = try OnCallFixtures.zone(id)
        #expect(zone.instant(of: local(date, time)) == ts(expected))
    }

    @Test("instant → local → instant round-trips except inside repeated hours", arguments: [
        "America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Jerusalem", "Pacific/Apia",
    ])
    func roundTrip(zone id: String) throws {
        let zone = try OnCallFixtures.zone(id)
        var rng = SeededRandom(seed: 11)
        for _ in 0..<3000 {
            let t = Timestamp(unixSeconds: Int64.random(in: -2_000_000_000...5_000_000_000, using: &rng))
            let l = zone.localDateTime(at: t)
            let back = zone.instant(of: l)
            // A repeated wall time resolves to its first occurrence, which is never later.
            #expect(back <= t, "\(id) \(t)")
            #expect(zone.localDateTime(at: back) == l, "\(id) \(t)")
            if back != t {
                #expect(zone.offsetSeconds(at: back) > zone.offsetSeconds(at: t), "\(id) \(t)")
            }
        }
    }

    // MARK: - Footer strings

    @Test("POSIX TZ strings parse in all rule forms", arguments: [
        ("EST5EDT,M3.2.0,M11.1.0", -18000, -14400),
        ("CET-1CEST,M3.5.0,M10.5.0/3", 3600, 7200),
        ("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", 37800, 39600),
        ("XXX3YYY,J60/2,J300/2", -10800, -7200),
        ("XXX3YYY,59,300/-2:30", -10800, -7200),
        ("XXX3YYY2:30,M4.5.6/+167,M10.1.0/-167", -10800, -9000),
        ("EST5EDT", -18000, -14400),
        ("<-05>5", -18000, -18000),
        ("UTC0", 0, 0),
    ] as [(String, Int, Int)])
    func tzStrings(text: String, std: Int, dst: Int) throws {
        let rule = try #require(try PosixTZRule(parsing: text))
        #expect(rule.standardOffsetSeconds == std)
        #expect((rule.daylight?.offsetSeconds ?? std) == dst)
    }

    @Test("Jn skips February 29; n counts it; M5 is the last week")
    func dateRules() {
        let leap = 2028
        #expect(PosixTZRule.day(.julianNoLeap(60), year: leap) == day("2028-03-01").daysSinceEpoch)
        #expect(PosixTZRule.day(.julianNoLeap(59), year: leap) == day("2028-02-28").daysSinceEpoch)
        #expect(PosixTZRule.day(.zeroBased(59), year: leap) == day("2028-02-29").daysSinceEpoch)
        #expect(PosixTZRule.day(.zeroBased(59), year: 2027) == day("2027-03-01").daysSinceEpoch)
        #expect(PosixTZRule.day(.julianNoLeap(365), year: leap) == day("2028-12-31").daysSinceEpoch)
        #expect(PosixTZRule.day(.monthWeekDay(month: 3, week: 5, weekday: 0), year: 2026) == day("2026-03-29").daysSinceEpoch)
        #expect(PosixTZRule.day(.monthWeekDay(month: 3, week: 2, weekday: 0), year: 2026) == day("2026-03-08").daysSinceEpoch)
        #expect(PosixTZRule.day(.monthWeekDay(month: 2, week: 5, weekday: 6), year: 2026) == day("2026-02-28").daysSinceEpoch)
    }

    @Test("a J-rule footer drives offsets", arguments: [
        ("2027-03-01T04:59:59Z", -10800), ("2027-03-01T05:00:00Z", -7200),  // J60 02:00 at UTC-3
        ("2028-03-01T04:59:59Z", -10800), ("2028-03-01T05:00:00Z", -7200),  // still 1 March in a leap year
    ] as [(String, Int)])
    func julianFooter(at text: String, offset: Int) throws {
        let rule = try #require(try PosixTZRule(parsing: "XXX3YYY,J60/2,J300/2"))
        #expect(rule.offsetSeconds(atUnixSeconds: ts(text).unixMillis / 1000) == offset)
    }

    @Test("bad TZ strings say what is wrong", arguments: [
        "E", "EST", "EST5EDT,M3.2.0", "EST5EDT,M13.2.0,M11.1.0", "EST5EDT,M3.6.0,M11.1.0", "EST5EDT,M3.2.7,M11.1.0",
        "EST5EDT,J0,J300", "EST5EDT,J366,J300", "EST5EDT,366,300", "EST25", "EST5EDT,M3.2.0/168,M11.1.0",
        "<+10", "<+1$>-10", "EST5:60", "EST5EDT,M3.2.0,M11.1.0x", "EST123456789",
    ])
    func badTZStrings(text: String) {
        #expect(throws: DomainError.self) { try PosixTZRule(parsing: text) }
        do { _ = try PosixTZRule(parsing: text) } catch { #expect(error.message.contains("'\(text)'")) }
    }
}
