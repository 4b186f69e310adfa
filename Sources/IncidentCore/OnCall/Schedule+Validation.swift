// MARK: - Validation

extension Schedule {
    /// Checks the schedule before it is stored or used.
    /// - Parameter knownPeople: the names a rotation or override may use.
    /// - Throws: `DomainError.badRequest` naming the schedule part and the bad value: an empty
    ///   name or zone id, no layers, a duplicate or empty layer name, an empty participant list,
    ///   an unknown person, an hours rotation outside 1…8760, a handoff or window start at 24:00,
    ///   a window that starts and ends at the same time or lists no days, an override whose end
    ///   is not after its start, or two overlapping overrides.
    public func validate(knownPeople: Set<String>) throws(DomainError) {
        guard !name.isEmpty else { throw .badRequest("schedule name is empty; expected a name such as payments-primary") }
        try CatalogName.check(name, kind: "schedule")
        try Self.validateZoneID(timeZone, schedule: name)
        guard !layers.isEmpty else {
            throw .badRequest("schedule '\(name)' has no layers; expected at least one rotation layer")
        }
        var seen: Set<String> = []
        for (i, layer) in layers.enumerated() {
            let what = "schedule '\(name)' layers[\(i)]"
            guard !layer.name.isEmpty else { throw .badRequest("\(what) has an empty name") }
            guard layer.name != Shift.overrideSource else {
                throw .badRequest("\(what): layer name '\(Shift.overrideSource)' is reserved for overrides; pick another")
            }
            guard seen.insert(layer.name).inserted else {
                throw .badRequest("\(what): layer name '\(layer.name)' is used twice; layer names must be unique")
            }
            try layer.validate(knownPeople: knownPeople, what: "schedule '\(name)' layer '\(layer.name)'")
        }
        try validateOverrides(knownPeople: knownPeople)
    }

    private func validateOverrides(knownPeople: Set<String>) throws(DomainError) {
        for (i, o) in overrides.enumerated() {
            let what = "schedule '\(name)' overrides[\(i)]"
            guard knownPeople.contains(o.person) else {
                throw .badRequest("\(what): person '\(o.person)' is not known; add them first or fix the name")
            }
            guard o.end > o.start else {
                throw .badRequest("\(what) for '\(o.person)': end \(o.end) is not after start \(o.start)")
            }
        }
        let sorted = overrides.sorted { $0.start < $1.start }
        for (a, b) in zip(sorted, sorted.dropFirst()) where b.start < a.end {
            throw .badRequest(
                "schedule '\(name)': override for '\(a.person)' \(a.start)–\(a.end) overlaps override for "
                    + "'\(b.person)' \(b.start)–\(b.end); overrides must not overlap")
        }
    }

    /// An IANA id shape check (`Area/Location`); also keeps ids usable as zoneinfo paths.
    static func validateZoneID(_ id: String, schedule: String) throws(DomainError) {
        let allowed = id.utf8.allSatisfy { c in
            ((c | 0x20) >= 97 && (c | 0x20) <= 122) || (c >= 48 && c <= 57) || c == 47 || c == 95 || c == 45 || c == 43
        }
        guard !id.isEmpty, allowed, !id.hasPrefix("/"), !id.hasSuffix("/"), !id.contains("//"), id.utf8.count <= 64,
            !id.split(separator: "/").contains(where: { $0.hasPrefix("-") })
        else {
            throw .badRequest(
                "schedule '\(schedule)': time zone '\(id)' is not an IANA id; expected e.g. America/New_York or UTC")
        }
    }
}

extension ScheduleLayer {
    func validate(knownPeople: Set<String>, what: String) throws(DomainError) {
        guard !participants.isEmpty else { throw .badRequest("\(what) has no participants; expected at least one person") }
        for person in participants where !knownPeople.contains(person) {
            throw .badRequest("\(what): participant '\(person)' is not known; add them first or fix the name")
        }
        if case .hours(let n) = rotation, !Rotation.hoursRange.contains(n) {
            throw .badRequest("\(what): rotation of \(n) hours is out of range; expected 1…8760 hours")
        }
        guard handoff.hour < 24 else { throw .badRequest("\(what): handoff 24:00 is not allowed; use 00:00") }
        for (i, r) in restrictions.enumerated() {
            let rwhat = "\(what) restrictions[\(i)]"
            guard !r.days.isEmpty else { throw .badRequest("\(rwhat) lists no days; expected e.g. mon, tue") }
            guard r.start.hour < 24 else { throw .badRequest("\(rwhat): start 24:00 is not allowed; use 00:00") }
            guard r.end != r.start else {
                throw .badRequest(
                    "\(rwhat): end \(r.end) equals start \(r.start); use an end after the start, an earlier end for an "
                        + "overnight window, or 00:00–24:00 for a whole day")
            }
        }
    }
}
