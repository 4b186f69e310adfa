// MARK: - Turn and restriction arithmetic for one layer

extension ScheduleLayer {
    /// Days per turn for wall-clock rotations; nil for an hours rotation.
    private var stepDays: Int? {
        switch rotation {
        case .daily: 1
        case .weekly: 7
        case .hours: nil
        }
    }

    /// Seconds since the epoch at which turn `k` starts (k may be negative: before the layer).
    func turnStartSeconds(_ k: Int, zone: ZoneRules) -> Int64 {
        let first = LocalDateTime(date: start, time: handoff)
        switch rotation {
        case .daily, .weekly:
            let date = start.adding(days: k * (stepDays ?? 1))
            return zone.instantSeconds(of: LocalDateTime(date: date, time: handoff).secondsSinceEpoch)
        case .hours(let n):
            return zone.instantSeconds(of: first.secondsSinceEpoch) + Int64(k) * Int64(n) * 3600
        }
    }

    /// The index of the turn running at `seconds`, computed arithmetically (no walk from the start);
    /// nil before the first handoff or for a layer that cannot rotate (no participants, hours ≤ 0).
    func turnIndex(atSeconds s: Int64, zone: ZoneRules) -> Int? {
        guard !participants.isEmpty else { return nil }
        var k: Int
        switch rotation {
        case .hours(let n):
            guard n > 0 else { return nil }
            let elapsed = s - turnStartSeconds(0, zone: zone)
            let period = Int64(n) * 3600
            k = Int(elapsed >= 0 ? elapsed / period : -((-elapsed + period - 1) / period))
        case .daily, .weekly:
            let step = stepDays ?? 1
            let today = LocalDateTime(secondsSinceEpoch: s + Int64(zone.offsetSeconds(atUnixSeconds: s))).date
            let days = start.days(to: today)
            k = days >= 0 ? days / step : -((-days + step - 1) / step)
            // Today's handoff may still be ahead; a repeated midnight may put tomorrow's behind.
            for _ in 0..<2 where s < turnStartSeconds(k, zone: zone) { k -= 1 }
            for _ in 0..<2 where turnStartSeconds(k + 1, zone: zone) <= s { k += 1 }
        }
        return k >= 0 ? k : nil
    }

    /// Who this layer puts on call at `seconds`, ignoring other layers; nil when nobody.
    func person(atSeconds s: Int64, zone: ZoneRules) -> String? {
        guard isActive(atSeconds: s, zone: zone), let k = turnIndex(atSeconds: s, zone: zone) else { return nil }
        return participants[k % participants.count]
    }

    /// Whether `seconds` falls inside one of the restriction windows (always, without restrictions).
    func isActive(atSeconds s: Int64, zone: ZoneRules) -> Bool {
        if restrictions.isEmpty { return true }
        let today = LocalDateTime(secondsSinceEpoch: s + Int64(zone.offsetSeconds(atUnixSeconds: s))).date
        // A window belongs to the day it opens: yesterday's overnight window may still be open.
        for offset in -1...1 {
            var found = false
            forEachWindow(on: today.adding(days: offset), zone: zone) { open, close in
                if open <= s && s < close { found = true }
            }
            if found { return true }
        }
        return false
    }

    /// Calls `body(open, close)` (seconds) for each restriction window opening on `date`.
    func forEachWindow(on date: LocalDate, zone: ZoneRules, _ body: (Int64, Int64) -> Void) {
        let weekday = date.weekday
        let dayStart = LocalDateTime(date: date, time: .midnight).secondsSinceEpoch
        for r in restrictions where r.days.contains(weekday) {
            let open = zone.instantSeconds(of: dayStart + Int64(r.start.secondsSinceMidnight))
            let closeWall = dayStart + Int64(r.end.secondsSinceMidnight) + (r.isOvernight ? 86_400 : 0)
            body(open, zone.instantSeconds(of: closeWall))
        }
    }

    /// Appends the instants (seconds) in (from, to) where this layer's answer may change:
    /// turn starts and restriction window edges.
    func appendBoundaries(fromSeconds from: Int64, toSeconds to: Int64, zone: ZoneRules, into out: inout [Int64]) {
        guard !participants.isEmpty else { return }
        if case .hours(let n) = rotation, n <= 0 { return }
        var k = (turnIndex(atSeconds: from, zone: zone) ?? -1) + 1
        while true {
            let s = turnStartSeconds(k, zone: zone)
            if s >= to { break }
            if s > from { out.append(s) }
            k += 1
        }
        guard !restrictions.isEmpty else { return }
        let first = LocalDateTime(secondsSinceEpoch: from + Int64(zone.offsetSeconds(atUnixSeconds: from))).date
        let last = LocalDateTime(secondsSinceEpoch: to + Int64(zone.offsetSeconds(atUnixSeconds: to))).date
        var date = first.adding(days: -2)
        while date <= last.adding(days: 1) {
            forEachWindow(on: date, zone: zone) { open, close in
                if open > from && open < to { out.append(open) }
                if close > from && close < to { out.append(close) }
            }
            date = date.adding(days: 1)
        }
    }
}
